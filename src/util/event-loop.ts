/**
 * Long work on the main thread in bounded slices: between two slices the event loop serves what is waiting
 * (/healthz, other requests, timers), so a big document never stalls the server for the whole of its work.
 */
import { createHash } from 'node:crypto';

/** Resolves after the event loop has handled pending I/O (setImmediate runs after the poll phase). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Bytes hashed between two yields. */
export const HASH_SLICE_BYTES = 4 * 1024 * 1024;

/** sha256 (hex) of `data`, hashed HASH_SLICE_BYTES at a time with a yield to the event loop in between. */
export async function sha256Sliced(data: Uint8Array, sliceBytes = HASH_SLICE_BYTES): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < data.length; at += sliceBytes) {
    if (at > 0) await yieldToEventLoop();
    hash.update(data.subarray(at, at + sliceBytes));
  }
  return hash.digest('hex');
}
