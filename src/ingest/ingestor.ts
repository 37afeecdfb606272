import { createHash } from 'node:crypto';
import { CONFIG_DEFAULTS, type Config } from '../config.js';
import type { DocumentMeta } from '../documents/document.js';
import { checkUserMeta } from '../documents/metadata.js';
import { converterByFormat, converterFor } from '../documents/converters/index.js';
import { failureKindOf, UnreadableDocumentError, type FailureKind } from '../documents/failure.js';
import { layoutPassages, layoutSlice, recordOf } from '../documents/prepare.js';
import type { SplitOptions } from '../documents/splitter.js';
import { BadInputError, DocqaError, TooLargeError, errorMessage } from '../errors.js';
import type { DocumentStore, WriteStatus } from '../store/store.js';
import { defaultConversion, type Conversion } from './conversion.js';
import { documentQuality, type DocumentQuality } from './quality.js';
import { sha256Sliced, yieldToEventLoop } from '../util/event-loop.js';
import type { Passage } from '../documents/document.js';
import type { TextSource } from '../documents/pieced-text.js';

export { collectFiles } from './files.js';

/** Unset limits take the config's defaults (src/config.ts). */
export interface IngestLimits {
  maxFileBytes: number;
  /** Per-file conversion time limit (fileTimeoutMs). */
  fileTimeoutMs?: number;
  /** Per-conversion-worker heap limit in MiB (fileMemoryMb). */
  fileMemoryMb?: number;
  /** Files converted at the same time (ingestConcurrency). */
  concurrency?: number;
  /** Files up to this size convert in their own lane (ingestSmallFileBytes). */
  smallFileBytes?: number;
}

/** The metadata key holding the sha256 of the source file's bytes, which lets unchanged files skip conversion. */
export const SOURCE_HASH_KEY = 'sourceSha256';

export interface IngestOutcome {
  name: string;
  /** The document's identity (DocumentRecord.source). */
  source: string;
  /**
   * created / replaced: written. unchanged: already stored, either skipped before conversion (same source bytes,
   * `skipped`) or converted to the same text. failed: see `failure` and `reason`.
   */
  status: WriteStatus | 'failed';
  documentId?: string;
  format?: string;
  pages: number;
  passages: number;
  chars: number;
  warnings: string[];
  /** True when the source bytes were unchanged and conversion was skipped. */
  skipped?: boolean;
  /** Set when the same text is already stored under another source (the store keeps one copy, under that source). */
  duplicateOf?: string;
  /** Data-quality figures of the converted document (absent when skipped or failed). */
  quality?: DocumentQuality;
  /** Why it failed (status 'failed'): a message that starts with the document name. */
  reason?: string;
  errorCode?: string;
  failure?: FailureKind;
  /** Wall time spent on this document. */
  ms: number;
}

export interface IngestInput {
  data: Buffer;
  /** Display name (relative path or upload name). */
  name: string;
  /** The document's identity (a path as given, or a URI); defaults to the name. */
  source?: string;
  mediaType?: string;
  /** Convert as this format whatever the name says (e.g. 'text' for text sent as JSON). */
  format?: string;
  meta?: DocumentMeta;
}

export interface IngestOptions {
  /** Convert even when the source bytes are unchanged. */
  force?: boolean;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Convert → split → write, for one document at a time. Throws typed errors; see ingestSafely for batches. */
export class Ingestor {
  readonly conversion: Conversion;

  constructor(
    private readonly store: DocumentStore,
    private readonly split: SplitOptions,
    readonly limits: IngestLimits,
    conversion?: Conversion,
  ) {
    this.conversion =
      conversion ??
      defaultConversion({
        timeoutMs: limits.fileTimeoutMs ?? CONFIG_DEFAULTS.fileTimeoutMs,
        memoryMb: limits.fileMemoryMb ?? CONFIG_DEFAULTS.fileMemoryMb,
        concurrency: limits.concurrency ?? CONFIG_DEFAULTS.ingestConcurrency,
        smallFileBytes: limits.smallFileBytes ?? CONFIG_DEFAULTS.ingestSmallFileBytes,
      });
  }

  /** An ingestor with every ingestion setting of the config (size, time and memory limits, concurrency). */
  static fromConfig(store: DocumentStore, config: Config, conversion?: Conversion): Ingestor {
    return new Ingestor(
      store,
      { words: config.passageWords, overlap: config.passageOverlap },
      {
        maxFileBytes: config.maxFileBytes,
        fileTimeoutMs: config.fileTimeoutMs,
        fileMemoryMb: config.fileMemoryMb,
        concurrency: config.ingestConcurrency,
        smallFileBytes: config.ingestSmallFileBytes,
      },
      conversion,
    );
  }

  async ingest(input: IngestInput, options: IngestOptions = {}): Promise<IngestOutcome> {
    const started = performance.now();
    const { name, data } = input;
    const source = input.source ?? name;
    if (name.trim().length === 0) throw new BadInputError('document name must not be empty', 'name');
    if (source.trim().length === 0) throw new BadInputError('document source must not be empty', 'source');
    const userMeta = checkUserMeta(input.meta, 'meta');
    if (data.length > this.limits.maxFileBytes) {
      throw new TooLargeError(`${name}: ${data.length} bytes is over the limit of ${this.limits.maxFileBytes} (maxFileBytes)`, this.limits.maxFileBytes);
    }
    const converter = input.format ? converterByFormat(input.format) : converterFor(name, input.mediaType);
    const sourceHash = await sha256Sliced(data);
    const elapsed = () => Math.round(performance.now() - started);
    if (!options.force) {
      const existing = await this.store.findDocumentBySource(source);
      if (existing && existing.meta[SOURCE_HASH_KEY] === sourceHash) {
        return {
          name,
          source,
          status: 'unchanged',
          skipped: true,
          documentId: existing.id,
          format: String(existing.meta.format ?? converter.format),
          pages: existing.pageCount,
          passages: existing.passageCount,
          chars: existing.charCount,
          warnings: [],
          ms: elapsed(),
        };
      }
    }
    // the worker converts, hashes and splits; this thread only turns positions into passages, a slice at a time
    const converted = await this.conversion.convert({ data, name, format: converter.format, split: this.split });
    const layout = converted.layout ?? layoutPassages({ ...converted, text: converted.text.toString() }, this.split);
    const doc = recordOf(converted, layout, { name, source }, { ...userMeta, format: converter.format, [SOURCE_HASH_KEY]: sourceHash });
    const passages = await passagesOf(doc.id, converted.text, layout);
    if (passages.length === 0) {
      throw converted.pages.length > 0
        ? new UnreadableDocumentError(name, 'no_text_layer', 'looks like a scan (no text layer): no page has text')
        : new UnreadableDocumentError(name, 'empty', 'no text to index');
    }
    const result = await this.store.writeDocument(doc, passages);
    // the write's last transaction and what follows (quality figures, metrics, the reply) are one task otherwise
    if (passages.length > PASSAGE_SLICE) await yieldToEventLoop();
    const warnings = [...converted.warnings];
    let duplicateOf: string | undefined;
    if (result.status === 'unchanged') {
      const stored = await this.store.getDocument(doc.id);
      if (stored && stored.source !== source) {
        duplicateOf = stored.source;
        warnings.push(`same text as ${stored.source}, which is stored once, under that source`);
      }
    }
    return {
      name,
      source,
      status: result.status,
      documentId: doc.id,
      format: converter.format,
      pages: doc.pageCount,
      passages: passages.length,
      chars: doc.charCount,
      warnings,
      ...(duplicateOf ? { duplicateOf } : {}),
      quality: documentQuality(converted, passages, layout.words),
      ms: elapsed(),
    };
  }

  /** Like ingest, but a bad file becomes a 'failed' outcome with its reason instead of an exception. */
  async ingestSafely(input: IngestInput, options: IngestOptions = {}): Promise<IngestOutcome> {
    const started = performance.now();
    try {
      return await this.ingest(input, options);
    } catch (err) {
      // the store is down, or its disk is full: every next file would fail the same way, so the batch stops
      if (err instanceof DocqaError && (err.code === 'unavailable' || err.code === 'insufficient_storage')) throw err;
      return failedOutcome(input.name, err, Math.round(performance.now() - started), input.source);
    }
  }

  /** Cleans up after writes that were interrupted (DocumentStore.sweepOrphans); zeros where the store needs none. */
  async sweepOrphans(): Promise<{ passages: number; markers: number }> {
    return (await this.store.sweepOrphans?.()) ?? { passages: 0, markers: 0 };
  }

  /** Stops the conversion workers. */
  async close(): Promise<void> {
    await this.conversion.close();
  }
}

/** Passages built per slice of this many, with a yield to the event loop between slices. */
export const PASSAGE_SLICE = 2048;

/** A layout's passages, built PASSAGE_SLICE at a time with a yield to the event loop in between. */
async function passagesOf(docId: string, text: TextSource, layout: Parameters<typeof layoutSlice>[2]): Promise<Passage[]> {
  const passages: Passage[] = [];
  for (let from = 0; from < layout.starts.length; from += PASSAGE_SLICE) {
    if (from > 0) await yieldToEventLoop();
    passages.push(...layoutSlice(docId, text, layout, from, from + PASSAGE_SLICE));
  }
  return passages;
}

export function failedOutcome(name: string, err: unknown, ms = 0, source = name): IngestOutcome {
  const message = errorMessage(err);
  return {
    name,
    source,
    status: 'failed',
    pages: 0,
    passages: 0,
    chars: 0,
    warnings: [],
    reason: message.startsWith(name) || name.trim() === '' ? message : `${name}: ${message}`,
    errorCode: err instanceof DocqaError ? err.code : 'internal',
    failure: failureKindOf(err),
    ms,
  };
}
