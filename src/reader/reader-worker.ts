/**
 * The worker thread of ReaderPool (src/reader/pool.ts): loads the reader once (its own ONNX session, tokenizer and,
 * when asked, its micro-batcher) and reads questions as they come, several at a time. Protocol (both ways are
 * plain structured-cloneable objects):
 *   -> {type: 'read', id, question, passages, options}
 *   <- {type: 'ready', model} | {type: 'failed', error} once, then {type: 'result', id, ok, result | error} per read
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../errors.js';
import { loadReader } from './index.js';
import type { ReaderRequest, WorkerMessage, WorkerReaderOptions } from './pool.js';

if (!parentPort) throw new Error('reader-worker.js must run as a worker thread');
const port = parentPort;
const post = (m: WorkerMessage) => port.postMessage(m);

try {
  const { nice, ...options } = workerData as WorkerReaderOptions;
  // before the session starts its threads, which inherit it: on Linux the nice value is per thread, and pid 0 is
  // this thread (elsewhere it may be the whole process, so only where it is per thread)
  if (nice && nice > 0 && process.platform === 'linux') setPriority(0, nice);
  const reader = await loadReader(options);
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
