import type { DocumentMeta, Page } from './document.js';

/** A heading of the source (DOCX, Markdown) at a character position of the converted text. */
export interface Heading {
  charStart: number;
  level: number;
  text: string;
}

/** The output of a converter: plain text with its page ranges, before splitting. */
export interface ConvertedDocument {
  text: string;
  /** Empty when the format has no pages. */
  pages: Page[];
  headings: Heading[];
  /** Format-level facts (format, encoding, title...), merged into the document's metadata. */
  meta: DocumentMeta;
  /** Non-fatal problems worth reporting (e.g. "page 3 has no text layer"). */
  warnings: string[];
}

/** Turns the bytes of one file format into text. Throws BadInputError for input it cannot read. */
export interface Converter {
  readonly format: string;
  /** Lower-case file extensions with the dot, e.g. ['.txt']. */
  readonly extensions: readonly string[];
  readonly mediaTypes: readonly string[];
  convert(data: Buffer, name: string): Promise<ConvertedDocument>;
}
