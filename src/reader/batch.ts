/**
 * Batching: windows of different lengths padded to the longest of their batch, as int64 data for the model
 * inputs (input_ids, attention_mask, token_type_ids). Pure: the ONNX tensors are made in session.ts.
 */
import type { Window } from './windows.js';

export interface PaddedBatch {
  size: number;
  /** Tokens per row: the longest window of the batch. */
  length: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

export function padBatch(windows: readonly Window[], padTokenId: number): PaddedBatch {
  const size = windows.length;
  const length = windows.reduce((max, w) => Math.max(max, w.inputIds.length), 0);
  const inputIds = new BigInt64Array(size * length).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(size * length);
  const tokenTypeIds = new BigInt64Array(size * length);
  windows.forEach((w, row) => {
    const base = row * length;
    w.inputIds.forEach((id, p) => {
      inputIds[base + p] = BigInt(id);
      attentionMask[base + p] = 1n;
      tokenTypeIds[base + p] = BigInt(w.typeIds[p]!);
    });
  });
  return { size, length, inputIds, attentionMask, tokenTypeIds };
}

/** Consecutive chunks of at most `size` items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
