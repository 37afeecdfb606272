/**
 * docqa's reader: extractive question answering over passages with an ONNX model folder.
 * See docs/reader.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBatchingRunner } from './batcher.js';
import { loadTokenizer, modelInfo, onnxFile, positionLimit, readJsonFile } from './model-folder.js';
import { createReader } from './reader.js';
import { createOnnxRunner, type ExecutionProvider } from './session.js';
import { READER_WORKER_SCRIPT, ReaderPool, threadsPerWorker } from './pool.js';
import type { Reader } from './types.js';

export * from './types.js';
export type { ExecutionProvider } from './session.js';

export interface LoadReaderOptions {
  /** Folder with model.onnx, tokenizer.json, tokenizer_config.json, config.json and optionally manifest.json. */
  modelDir: string;
  /** The ONNX file inside modelDir (default 'model.onnx'). */
  modelFile?: string;
  executionProvider?: ExecutionProvider;
  /** onnxruntime intra-op threads; 0 = onnxruntime's default. */
  threads?: number;
  /**
   * Micro-batching across concurrent reads (src/reader/batcher.ts): windows that arrive within this many ms share
   * a session run of at most `maxBatch` windows. 0 or undefined: off (each read runs its own batches).
   */
  batchWaitMs?: number;
  /** The micro-batcher's largest run (windows). */
  maxBatch?: number;
}

/** Load a model folder (offline) and return a Reader. Missing files: UnavailableError; invalid ones: ConfigError. */
export async function loadReader(options: LoadReaderOptions): Promise<Reader> {
  const dir = path.resolve(options.modelDir);
  const file = options.modelFile ?? 'model.onnx';
  const onnxPath = await onnxFile(dir, file);
  const tokenizer = await loadTokenizer(dir);
  const config = (await readJsonFile(dir, 'config.json'))!;
  const model = await modelInfo(dir, file);
  const limits = [tokenizer.modelMaxLength, positionLimit(config)].filter((v): v is number => v !== undefined);
  const runner = await createOnnxRunner(onnxPath, {
    executionProvider: options.executionProvider,
    threads: options.threads,
    padTokenId: tokenizer.padTokenId,
  });
  const batching = (options.batchWaitMs ?? 0) > 0;
  return createReader({
    model,
    tokenizer,
    runner: batching
      ? createBatchingRunner(runner, { maxBatch: options.maxBatch ?? 16, maxWaitMs: options.batchWaitMs! })
      : runner,
    runnerBatches: batching,
    ...(limits.length > 0 ? { maxSeqLength: Math.min(...limits) } : {}),
  });
}

export interface OpenReaderOptions extends LoadReaderOptions {
  /** Worker threads reading off the event loop (src/reader/pool.ts); 0: read in this thread. */
  workers: number;
  /** Reads handed to one worker at a time (more lets its micro-batcher join them). */
  maxInFlightPerWorker?: number;
  /** Nice value of the worker threads and the onnxruntime threads they start (0: unchanged; not for workers 0). */
  nice?: number;
}

/**
 * The serving reader: a pool of `workers` worker threads (threads per worker: the setting, else the cores shared
 * out), or the reader in this thread when workers is 0 or the compiled worker script does not exist (running the
 * TypeScript sources directly, as the tests do).
 */
export async function openReader(options: OpenReaderOptions): Promise<Reader> {
  const { workers, maxInFlightPerWorker, nice, ...reader } = options;
  if (workers <= 0 || !fs.existsSync(fileURLToPath(READER_WORKER_SCRIPT))) return loadReader(reader);
  return ReaderPool.start({
    workers,
    maxInFlightPerWorker: maxInFlightPerWorker ?? ((reader.batchWaitMs ?? 0) > 0 ? 16 : 2),
    reader: { ...reader, modelDir: path.resolve(reader.modelDir), threads: threadsPerWorker(reader.threads ?? 0, workers), nice: nice ?? 0 },
  });
}
