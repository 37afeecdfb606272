/**
 * The domain types of ingestion: a converted source document and the passages it is split into.
 * Every offset is a UTF-16 code-unit index into `SourceDocument.text` (what String.prototype.slice uses),
 * so `doc.text.slice(p.charStart, p.charEnd) === p.text` always holds.
 */

/**
 * One metadata value: a string, a finite number or a boolean. A string in ISO-8601 date form ('2024-03-01',
 * '2024-03-01T10:00:00Z') is a date (see src/documents/metadata.ts); every other string is a string.
 */
export type MetaScalar = string | number | boolean;
export type MetaValue = MetaScalar | MetaScalar[];
/** Flat, typed metadata: both stores filter on it with the same semantics (src/store/filters.ts). */
export type DocumentMeta = Record<string, MetaValue>;

/** One page of a paginated source, as a character range of the document text (1-based number). */
export interface Page {
  number: number;
  charStart: number;
  charEnd: number;
}

/** A document after conversion, before splitting. `id` is the sha256 (hex) of `text`. */
export interface SourceDocument {
  id: string;
  /** Display name: the file name relative to the ingest root, or the name given on upload. Not unique. */
  name: string;
  /** The document's identity: see DocumentRecord.source. */
  source: string;
  text: string;
  /** Empty when the source has no pages (text, markdown). */
  pages: Page[];
  meta: DocumentMeta;
}

/** A contiguous slice of a document's text: the unit of retrieval and reading. */
export interface Passage {
  /** `${docId}:${seq}` */
  id: string;
  docId: string;
  text: string;
  charStart: number;
  charEnd: number;
  /** 1-based page of charStart, or null when the document has no pages. */
  page: number | null;
  /** 0-based position of the passage in its document. */
  seq: number;
  /** The nearest heading above the passage, when the source has headings (DOCX, Markdown). */
  heading?: string;
}

/** What a store keeps about a document (its text lives in its passages). */
export interface DocumentRecord {
  id: string;
  /** Display name (a file name or relative path); several documents may share it. */
  name: string;
  /**
   * Where the document comes from, and its identity in the store (unique): the path as given to `docqa ingest`
   * (a folder's path joined with the file's path inside it), or the `--source` / API `source` given, which
   * defaults to the name for uploads. Writing another text under the same source replaces the document.
   */
  source: string;
  meta: DocumentMeta;
  pageCount: number;
  passageCount: number;
  charCount: number;
  /** ISO-8601 time the document was written. */
  createdAt: string;
}

export function passageId(docId: string, seq: number): string {
  return `${docId}:${seq}`;
}
