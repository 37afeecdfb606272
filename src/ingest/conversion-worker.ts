/**
 * The worker thread of WorkerConversion: converts one file per message and replies with the converted document or
 * a serialized error. It holds no state between files; the pool terminates it on timeout.
 */
import { parentPort } from 'node:worker_threads';
import { converterByFormat } from '../documents/converters/index.js';
import { serializeError, type WorkerReply } from './conversion.js';

interface ConvertMessage {
  data: Uint8Array;
  name: string;
  format: string;
}

if (!parentPort) throw new Error('conversion-worker.js must run as a worker thread');
const port = parentPort;

port.on('message', async ({ data, name, format }: ConvertMessage) => {
  let reply: WorkerReply;
  try {
    const doc = await converterByFormat(format).convert(Buffer.from(data.buffer, data.byteOffset, data.byteLength), name);
    reply = { ok: true, doc };
  } catch (err) {
    reply = { ok: false, error: serializeError(err) };
  }
  port.postMessage(reply);
});
