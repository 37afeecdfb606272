/**
 * The domain types of ingestion: a converted source document and the passages it is split into.
 * Every offset is a UTF-16 code-unit index into `SourceDocument.text` (what String.prototype.slice uses),
 * so `doc.text.slice(p.charStart, p.charEnd) === p.text` always holds.
 */

/** Flat metadata: string values only, so that both stores can filter on it exactly. */
export type DocumentMeta = Record<string, string>;

/** One page of a paginated source, as a character range of the document text (1-based number). */
export interface Page {
  number: number;
  charStart: number;
  charEnd: number;
}

/** A document after conversion, before splitting. `id` is the sha256 (hex) of `text`. */
export interface SourceDocument {
  id: string;
  /** Display name: the file name relative to the ingest root, or the name given on upload. Unique per store. */
  name: string;
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
  name: string;
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
