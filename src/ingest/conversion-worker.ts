/**
 * The worker thread of WorkerConversion: converts one file per message and replies with the converted document or
 * a serialized error. It holds no state between files; the pool terminates it on timeout.
 */
import { parentPort } from 'node:worker_threads';
import { converterByFormat } from '../documents/converters/index.js';
import { layoutPassages, layoutTransferList } from '../documents/prepare.js';
import type { SplitOptions } from '../documents/splitter.js';
import { serializeError, TEXT_BYTES_CHARS, type WorkerReply } from './conversion.js';

interface ConvertMessage {
  data: Uint8Array;
  name: string;
  format: string;
  split?: SplitOptions;
}

if (!parentPort) throw new Error('conversion-worker.js must run as a worker thread');
const port = parentPort;

port.on('message', async ({ data, name, format, split }: ConvertMessage) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const doc = await converterByFormat(format).convert(Buffer.from(data.buffer, data.byteOffset, data.byteLength), name);
    // hashing and splitting (seconds for a 45 MB text) happen here, not on the server's event loop; the passage
    // positions travel back as transferred typed arrays, not as 64,000 objects to deserialize
    const layout = split ? layoutPassages(doc, split) : undefined;
    if (layout) transfer = layoutTransferList(layout);
    // a big text travels as transferred UTF-8 bytes, which the main thread decodes a slice at a time: one string
    // of millions of characters is cloned in one go on the receiving thread (50-180 ms for 45 MB)
    const big = doc.text.length >= TEXT_BYTES_CHARS && (doc.text as string & { isWellFormed(): boolean }).isWellFormed();
    const textBytes = big ? new TextEncoder().encode(doc.text) : undefined;
    if (textBytes) transfer.push(textBytes.buffer as ArrayBuffer);
    const sent = { ...doc, ...(textBytes ? { text: '' } : {}), ...(layout ? { layout } : {}) };
    reply = { ok: true, doc: sent, ...(textBytes ? { textBytes } : {}) };
  } catch (err) {
    reply = { ok: false, error: serializeError(err) };
  }
  port.postMessage(reply, transfer);
});
