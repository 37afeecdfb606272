import fs from 'node:fs/promises';
import path from 'node:path';
import type { DocumentMeta } from '../documents/document.js';
import { converterFor, supportedExtensions } from '../documents/converters/index.js';
import { prepareDocument } from '../documents/prepare.js';
import type { SplitOptions } from '../documents/splitter.js';
import { BadInputError, DocqaError, TooLargeError, errorMessage } from '../errors.js';
import type { DocumentStore, WriteStatus } from '../store/store.js';

export interface IngestLimits {
  maxFileBytes: number;
}

export interface IngestOutcome {
  name: string;
  status: WriteStatus | 'failed';
  documentId?: string;
  pages: number;
  passages: number;
  chars: number;
  warnings: string[];
  /** Why it failed (status 'failed'). */
  reason?: string;
  errorCode?: string;
}

export interface IngestInput {
  data: Buffer;
  /** Unique document name (relative path or upload name). */
  name: string;
  mediaType?: string;
  meta?: DocumentMeta;
}

/** Convert → split → write, for one document at a time. Throws typed errors; see ingestSafely for batches. */
export class Ingestor {
  constructor(
    private readonly store: DocumentStore,
    private readonly split: SplitOptions,
    private readonly limits: IngestLimits,
  ) {}

  async ingest(input: IngestInput): Promise<IngestOutcome> {
    if (input.name.trim().length === 0) throw new BadInputError('document name must not be empty', 'name');
    if (input.data.length > this.limits.maxFileBytes) {
      throw new TooLargeError(
        `${input.name}: ${input.data.length} bytes is over the limit of ${this.limits.maxFileBytes}`,
        this.limits.maxFileBytes,
      );
    }
    const converter = converterFor(input.name, input.mediaType);
    const converted = await converter.convert(input.data, input.name);
    const { doc, passages } = prepareDocument(converted, input.name, input.meta ?? {}, this.split);
    if (passages.length === 0) throw new BadInputError(`${input.name}: no text to index`, 'file');
    const result = await this.store.writeDocument(doc, passages);
    return {
      name: input.name,
      status: result.status,
      documentId: doc.id,
      pages: doc.pageCount,
      passages: passages.length,
      chars: doc.charCount,
      warnings: converted.warnings,
    };
  }

  /** Like ingest, but a bad file becomes a 'failed' outcome with its reason instead of an exception. */
  async ingestSafely(input: IngestInput): Promise<IngestOutcome> {
    try {
      return await this.ingest(input);
    } catch (err) {
      if (err instanceof DocqaError && err.code === 'unavailable') throw err; // the store is down: stop the batch
      return {
        name: input.name,
        status: 'failed',
        pages: 0,
        passages: 0,
        chars: 0,
        warnings: [],
        reason: errorMessage(err),
        errorCode: err instanceof DocqaError ? err.code : 'internal',
      };
    }
  }
}

/** Files under the given paths (folders recursively, sorted), with the name each is stored under. */
export async function collectFiles(paths: string[]): Promise<{ file: string; name: string }[]> {
  const extensions = new Set(supportedExtensions());
  const found: { file: string; name: string }[] = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => null);
    if (!stat) throw new BadInputError(`no such file or folder: ${p}`, 'paths');
    if (stat.isFile()) {
      found.push({ file: p, name: path.basename(p) });
      continue;
    }
    const root = path.resolve(p);
    const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile()) continue;
      const file = path.join(e.parentPath, e.name);
      if (!extensions.has(path.extname(e.name).toLowerCase())) continue;
      found.push({ file, name: path.relative(root, file).split(path.sep).join('/') });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
