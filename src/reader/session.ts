/**
 * The ONNX side of the reader (Hugging Face pipeline: _forward): an onnxruntime-node session fed exactly the
 * inputs its graph declares (input_ids, attention_mask, token_type_ids; int64 or int32), returning start/end
 * logits per window. The only module of the reader that runs the model.
 */
import * as ort from 'onnxruntime-node';
import { ConfigError, UnavailableError, errorMessage } from '../errors.js';
import { padBatch, type PaddedBatch } from './batch.js';
import type { Window } from './windows.js';

export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

export interface WindowLogits {
  start: Float32Array;
  end: Float32Array;
}

/** Runs windows through the model; one call = one session run (one batch). */
export interface WindowRunner {
  run(windows: readonly Window[]): Promise<WindowLogits[]>;
  close(): Promise<void>;
}

const FEEDS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
type FeedName = (typeof FEEDS)[number];

interface OutputPlan {
  /** Two outputs [batch, sequence], or one [batch, sequence, 2]. */
  start: string;
  end?: string;
}

/** Which outputs hold the start and end logits (HF: start_logits/end_logits, else the first two). */
export function outputPlan(outputNames: readonly string[], file: string): OutputPlan {
  if (outputNames.includes('start_logits') && outputNames.includes('end_logits')) {
    return { start: 'start_logits', end: 'end_logits' };
  }
  if (outputNames.length >= 2) return { start: outputNames[0]!, end: outputNames[1]! };
  if (outputNames.length === 1) return { start: outputNames[0]! };
  throw new ConfigError(`${file}: the graph has no outputs`);
}

/** The declared inputs, checked: input_ids is required; anything the reader cannot provide is an error. */
export function checkInputs(inputNames: readonly string[], file: string): FeedName[] {
  const unknown = inputNames.filter((n) => !(FEEDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `${file}: the graph declares input(s) ${unknown.join(', ')}; the reader provides ${FEEDS.join(', ')}`,
    );
  }
  if (!inputNames.includes('input_ids')) throw new ConfigError(`${file}: the graph has no input_ids input`);
  return inputNames as FeedName[];
}

function tensorOf(data: BigInt64Array, type: string, dims: number[]): ort.Tensor {
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(data, (v) => Number(v)), dims);
  return new ort.Tensor('int64', data, dims);
}

function feeds(batch: PaddedBatch, inputs: readonly FeedName[], types: Map<string, string>): Record<string, ort.Tensor> {
  const dims = [batch.size, batch.length];
  const data: Record<FeedName, BigInt64Array> = {
    input_ids: batch.inputIds,
    attention_mask: batch.attentionMask,
    token_type_ids: batch.tokenTypeIds,
  };
  return Object.fromEntries(inputs.map((name) => [name, tensorOf(data[name], types.get(name) ?? 'int64', dims)]));
}

function rows(tensor: ort.Tensor, batch: PaddedBatch, windows: readonly Window[], channel?: 0 | 1): Float32Array[] {
  const values = tensor.data as Float32Array;
  const stride = channel === undefined ? 1 : 2;
  if (values.length !== batch.size * batch.length * stride) {
    throw new ConfigError(
      `the model returned ${values.length} logits for a batch of ${batch.size} x ${batch.length} tokens`,
    );
  }
  return windows.map((w, row) => {
    const out = new Float32Array(w.inputIds.length);
    const base = row * batch.length * stride;
    for (let p = 0; p < out.length; p++) out[p] = values[base + p * stride + (channel ?? 0)]!;
    return out;
  });
}

export interface SessionOptions {
  executionProvider?: ExecutionProvider;
  /** Intra-op threads; 0 or undefined: onnxruntime's default. */
  threads?: number;
  padTokenId: number;
}

export async function createOnnxRunner(file: string, options: SessionOptions): Promise<WindowRunner> {
  const ep = options.executionProvider ?? 'cpu';
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      ...(options.threads && options.threads > 0 ? { intraOpNumThreads: options.threads } : {}),
    });
  } catch (err) {
    if (ep !== 'cpu') {
      throw new UnavailableError(
        `onnxruntime cannot run ${file} with the ${ep} execution provider: ${errorMessage(err)}` +
          (ep === 'cuda' ? ' (install with ONNXRUNTIME_NODE_INSTALL=cuda12 and CUDA 12 libraries)' : ''),
        { cause: err },
      );
    }
    throw new ConfigError(`${file} cannot be loaded by onnxruntime: ${errorMessage(err)}`);
  }
  let inputs: FeedName[];
  let plan: OutputPlan;
  try {
    inputs = checkInputs(session.inputNames, file);
    plan = outputPlan(session.outputNames, file);
  } catch (err) {
    await session.release();
    throw err;
  }
  const types = new Map<string, string>();
  for (const meta of session.inputMetadata ?? []) {
    if (meta.isTensor) types.set(meta.name, meta.type);
  }
  let closed = false;
  return {
    async run(windows) {
      if (closed) throw new UnavailableError('the reader is closed');
      if (windows.length === 0) return [];
      const batch = padBatch(windows, options.padTokenId);
      const out = await session.run(feeds(batch, inputs, types));
      const start = out[plan.start]!;
      if (plan.end === undefined) {
        const s = rows(start, batch, windows, 0);
        const e = rows(start, batch, windows, 1);
        return s.map((row, i) => ({ start: row, end: e[i]! }));
      }
      const s = rows(start, batch, windows);
      const e = rows(out[plan.end]!, batch, windows);
      return s.map((row, i) => ({ start: row, end: e[i]! }));
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
