/**
 * A batch of files through one Ingestor with bounded concurrency: at most `concurrency` files are read and
 * converted at a time (so memory stays bounded), each file fails alone, and an unreachable store stops the batch
 * (after the files in flight) by throwing.
 *
 * Resumability comes from the parts: unchanged files are skipped by their source hash, and each document is
 * written atomically by the store, so a batch killed at any point and run again converges to the same store.
 */
import fs from 'node:fs/promises';
import type { DocumentMeta } from '../documents/document.js';
import { UnreadableDocumentError } from '../documents/failure.js';
import { errorMessage, TooLargeError } from '../errors.js';
import { forEachConcurrent } from '../util/concurrency.js';
import type { SourceFile } from './files.js';
import { failedOutcome, type IngestOptions, type IngestOutcome, type Ingestor } from './ingestor.js';

export interface BatchOptions extends IngestOptions {
  concurrency: number;
  /** User metadata given to every file (`--meta`). */
  meta?: DocumentMeta;
  /** Stop taking new files (those in flight finish). */
  signal?: AbortSignal;
  onStart?(file: SourceFile): void;
  onDone?(outcome: IngestOutcome, file: SourceFile): void;
}

export interface BatchResult {
  /** In the order of `files` (files never started, after an abort, are absent). */
  outcomes: IngestOutcome[];
  seconds: number;
  aborted: boolean;
  /** Leftovers of earlier interrupted writes deleted before the batch started (Elasticsearch). */
  swept: { passages: number; markers: number };
}

async function ingestFile(ingestor: Ingestor, f: SourceFile, options: IngestOptions, meta?: DocumentMeta): Promise<IngestOutcome> {
  const max = ingestor.limits.maxFileBytes;
  if (f.size > max) {
    // refused before reading it: a huge file never enters memory
    return failedOutcome(f.name, new TooLargeError(`${f.source}: ${f.size} bytes is over the limit of ${max} (maxFileBytes)`, max), 0, f.source);
  }
  let data: Buffer;
  try {
    data = await fs.readFile(f.file);
  } catch (err) {
    return failedOutcome(f.name, new UnreadableDocumentError(f.source, 'unreadable_file', `cannot read ${f.file} (${errorMessage(err)})`), 0, f.source);
  }
  return ingestor.ingestSafely({ data, name: f.name, source: f.source, ...(meta ? { meta } : {}) }, options);
}

export async function ingestBatch(ingestor: Ingestor, files: SourceFile[], options: BatchOptions): Promise<BatchResult> {
  const started = performance.now();
  // an earlier run killed mid-write may have left passages no document owns: they go first
  const swept = await ingestor.sweepOrphans();
  const outcomes: (IngestOutcome | undefined)[] = Array.from({ length: files.length }, () => undefined);
  await forEachConcurrent(
    files,
    options.concurrency,
    async (f, i) => {
      options.onStart?.(f);
      // throws only when the store is unavailable (ingestSafely rethrows that): the batch stops
      const outcome = await ingestFile(ingestor, f, { force: options.force }, options.meta);
      outcomes[i] = outcome;
      options.onDone?.(outcome, f);
    },
    { signal: options.signal },
  );
  return {
    outcomes: outcomes.filter((o): o is IngestOutcome => o !== undefined),
    seconds: (performance.now() - started) / 1000,
    aborted: options.signal?.aborted === true && outcomes.some((o) => o === undefined),
    swept,
  };
}
