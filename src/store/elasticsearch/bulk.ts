/**
 * Bulk writes in batches, with retries of what Elasticsearch asks to retry (HTTP 429 and 5xx, for a whole request or
 * for single items of it) and an error that lists every item that failed for good.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, estypes } from '@elastic/elasticsearch';
import { DocqaError } from '../../errors.js';
import { isTransient, toStoreError } from './client.js';

export type BulkOperation =
  | { action: 'index'; id: string; document: object }
  /**
   * With ifSeqNo/ifPrimaryTerm the delete only happens when the document is still the version that was read (a
   * conditional delete); one that changed in between is left alone and counted as a conflict, not an error.
   */
  | { action: 'delete'; id: string; ifSeqNo?: number; ifPrimaryTerm?: number };

/** What a bulk write did not do on purpose: conditional deletes of documents that changed in between. */
export interface BulkResult {
  conflicts: number;
}

export interface BulkItemError {
  action: 'index' | 'delete';
  id: string;
  status: number;
  type: string;
  reason: string;
}

export interface RetryPolicy {
  /** Retries after the first attempt, per batch. */
  maxRetries: number;
  /** Delay before the first retry; doubles with each retry, with jitter, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface BulkOptions {
  /** Operations per request. */
  batchSize: number;
  /** Approximate payload bytes per request; a batch is cut when either limit is reached. */
  maxBatchBytes: number;
  retry: RetryPolicy;
  /** Where the client points, for error messages. */
  url: string;
  /** Refuse to write unless `index` is an alias (so a missing alias never auto-creates an unmapped index). */
  requireAlias?: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Size of a bulk request: operations and approximate bytes (request tuning, not a docqa setting). */
export const DEFAULT_BULK_BATCH = { operations: 500, bytes: 5 * 1024 * 1024 } as const;

/**
 * Some items of a bulk write failed and were not retried into success: `items` says which and why. The code is
 * 'unavailable' when any of them failed for a transient reason (overload, server error), 'bad_input' otherwise
 * (the server refused the data itself, e.g. a mapping error).
 */
export class BulkWriteError extends DocqaError {
  constructor(
    readonly items: BulkItemError[],
    readonly index: string,
  ) {
    const transient = items.some((i) => i.status === 429 || i.status >= 500);
    const first = items[0]!;
    super(
      transient ? 'unavailable' : 'bad_input',
      `${items.length} bulk item(s) failed on ${index}; first: ${first.action} ${first.id}: HTTP ${first.status} ${first.type}: ${first.reason}`,
      { items: items.slice(0, 20) },
    );
  }
}

export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}

/** Splits operations into batches of at most `batchSize` operations and about `maxBatchBytes` bytes. */
export function batches(ops: BulkOperation[], batchSize: number, maxBatchBytes: number): BulkOperation[][] {
  return [...batchesOf(ops, batchSize, maxBatchBytes)];
}

/**
 * The batches one at a time: each is sized (JSON.stringify of its documents) only when the previous one has been
 * sent, so a 45 MB document is never serialized in one go on the event loop.
 */
function* batchesOf(ops: BulkOperation[], batchSize: number, maxBatchBytes: number): Generator<BulkOperation[]> {
  let current: BulkOperation[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = op.action === 'index' ? JSON.stringify(op.document).length + 64 : 64;
    if (current.length > 0 && (current.length >= batchSize || bytes + size > maxBatchBytes)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += size;
  }
  if (current.length > 0) yield current;
}

function toOperations(ops: BulkOperation[]): estypes.BulkRequest['operations'] {
  const lines: object[] = [];
  for (const op of ops) {
    if (op.action === 'index') lines.push({ index: { _id: op.id } }, op.document);
    else if (op.ifSeqNo !== undefined && op.ifPrimaryTerm !== undefined) {
      lines.push({ delete: { _id: op.id, if_seq_no: op.ifSeqNo, if_primary_term: op.ifPrimaryTerm } });
    } else lines.push({ delete: { _id: op.id } });
  }
  return lines as estypes.BulkRequest['operations'];
}

function itemError(op: BulkOperation, item: estypes.BulkResponseItem): BulkItemError {
  const error = item.error;
  return {
    action: op.action,
    id: op.id,
    status: item.status,
    type: error?.type ?? 'unknown',
    reason: error?.reason ?? `HTTP ${item.status}`,
  };
}

/** Sends one batch, retrying transient failures of the request and of single items. */
async function writeBatch(client: Client, index: string, batch: BulkOperation[], options: BulkOptions): Promise<number> {
  let pending = batch;
  let conflicts = 0;
  let lastTransient: BulkItemError[] = [];
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(options.retry, attempt - 1));
    let response: estypes.BulkResponse;
    try {
      // The transport must not retry on its own: a retried bulk request would be retried twice over.
      response = await client.bulk(
        { index, operations: toOperations(pending), ...(options.requireAlias ? { require_alias: true } : {}) },
        { maxRetries: 0 },
      );
    } catch (err) {
      if (isTransient(err) && attempt < options.retry.maxRetries) continue;
      throw toStoreError(err, `bulk write to ${index}`, options.url);
    }
    const failed: BulkItemError[] = [];
    const retry: BulkOperation[] = [];
    response.items.forEach((entry, i) => {
      const op = pending[i]!;
      const item = Object.values(entry)[0] as estypes.BulkResponseItem;
      // Deleting what is already gone is fine.
      if (item.status < 300 || (op.action === 'delete' && item.status === 404)) return;
      // A conditional delete of a document that was rewritten in between: left alone on purpose.
      if (op.action === 'delete' && op.ifSeqNo !== undefined && item.status === 409) {
        conflicts++;
        return;
      }
      if (item.status === 429 || item.status >= 500) retry.push(op);
      failed.push(itemError(op, item));
    });
    const permanent = failed.filter((f) => f.status !== 429 && f.status < 500);
    if (permanent.length > 0) throw new BulkWriteError(failed, index);
    if (retry.length === 0) return conflicts;
    lastTransient = failed;
    if (attempt >= options.retry.maxRetries) throw new BulkWriteError(lastTransient, index);
    pending = retry;
  }
}

/**
 * Writes all operations in batches, in order; stops at the first batch that cannot be written and throws
 * BulkWriteError (per-item failures) or the mapped request error. Does not refresh.
 */
export async function bulkWrite(
  client: Client,
  index: string,
  ops: BulkOperation[],
  options: BulkOptions,
): Promise<BulkResult> {
  let conflicts = 0;
  for (const batch of batchesOf(ops, options.batchSize, options.maxBatchBytes)) {
    conflicts += await writeBatch(client, index, batch, options);
  }
  return { conflicts };
}
