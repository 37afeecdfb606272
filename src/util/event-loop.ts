/**
 * Long work on the main thread in bounded slices: between two slices the event loop serves what is waiting
 * (/healthz, other requests, timers), so a big document never stalls the server for the whole of its work.
 */
import { createHash } from 'node:crypto';

/** Resolves after the event loop has handled pending I/O (setImmediate runs after the poll phase). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Calls `fn` on `data` `sliceBytes` at a time (with the slice's offset), with a yield to the event loop between two. */
async function eachSlice(data: Uint8Array, sliceBytes: number, fn: (slice: Uint8Array, at: number) => void): Promise<void> {
  for (let at = 0; at < data.byteLength; at += sliceBytes) {
    if (at > 0) await yieldToEventLoop();
    fn(data.subarray(at, at + sliceBytes), at);
  }
}

/** Bytes hashed between two yields. */
export const HASH_SLICE_BYTES = 4 * 1024 * 1024;

/** sha256 (hex) of `data`, hashed HASH_SLICE_BYTES at a time with a yield to the event loop in between. */
export async function sha256Sliced(data: Uint8Array, sliceBytes = HASH_SLICE_BYTES): Promise<string> {
  const hash = createHash('sha256');
  await eachSlice(data, sliceBytes, (slice) => hash.update(slice));
  return hash.digest('hex');
}

/** Bytes copied between two yields by copySliced. */
export const COPY_SLICE_BYTES = 4 * 1024 * 1024;

/**
 * A copy of `data` in memory of its own, made COPY_SLICE_BYTES at a time with a yield to the event loop in between:
 * for handing big bodies to a worker thread as a transfer (structured cloning would copy them in one go).
 */
export async function copySliced(data: Uint8Array, sliceBytes = COPY_SLICE_BYTES): Promise<Uint8Array> {
  const copy = new Uint8Array(data.byteLength);
  await eachSlice(data, sliceBytes, (slice, at) => copy.set(slice, at));
  return copy;
}

/** UTF-8 bytes decoded between two yields by decodeUtf8Sliced. */
export const DECODE_SLICE_BYTES = 1024 * 1024;

/**
 * UTF-8 bytes decoded DECODE_SLICE_BYTES at a time with a yield to the event loop in between, as consecutive
 * strings (a character split between two slices goes whole into the later one).
 */
export async function decodeUtf8Sliced(bytes: Uint8Array, sliceBytes = DECODE_SLICE_BYTES): Promise<string[]> {
  const decoder = new TextDecoder('utf-8');
  const pieces: string[] = [];
  await eachSlice(bytes, sliceBytes, (slice) => pieces.push(decoder.decode(slice, { stream: true })));
  pieces.push(decoder.decode());
  return pieces;
}
