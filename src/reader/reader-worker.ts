/**
 * The worker thread of ReaderPool (src/reader/pool.ts): loads the reader once (its own ONNX session, tokenizer and,
 * when asked, its micro-batcher) and reads questions as they come, several at a time. Protocol (both ways are
 * plain structured-cloneable objects):
 *   -> {type: 'read', id, question, passages, options}
 *   <- {type: 'ready', model} | {type: 'failed', error} once, then {type: 'result', id, ok, result | error} per read
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../errors.js';
import { loadReader, type LoadReaderOptions } from './index.js';
import type { ReaderRequest, WorkerMessage } from './pool.js';

if (!parentPort) throw new Error('reader-worker.js must run as a worker thread');
const port = parentPort;
const post = (m: WorkerMessage) => port.postMessage(m);

try {
  const reader = await loadReader(workerData as LoadReaderOptions);
  port.on('message', async ({ id, question, passages, options }: ReaderRequest) => {
    try {
      post({ type: 'result', id, ok: true, result: await reader.read(question, passages, options) });
    } catch (err) {
      post({ type: 'result', id, ok: false, error: serializeError(err) });
    }
  });
  post({ type: 'ready', model: reader.model });
} catch (err) {
  post({ type: 'failed', error: serializeError(err) });
}
