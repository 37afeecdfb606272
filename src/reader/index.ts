/**
 * docqa's reader: extractive question answering over passages with an ONNX model folder.
 * See docs/reader.md.
 */
import path from 'node:path';
import { loadTokenizer, modelInfo, onnxFile, positionLimit, readJsonFile } from './model-folder.js';
import { createReader } from './reader.js';
import { createOnnxRunner, type ExecutionProvider } from './session.js';
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
  return createReader({
    model,
    tokenizer,
    runner,
    ...(limits.length > 0 ? { maxSeqLength: Math.min(...limits) } : {}),
  });
}
