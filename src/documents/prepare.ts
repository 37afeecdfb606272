import { createHash } from 'node:crypto';
import type { ConvertedDocument, Heading } from './converter.js';
import type { DocumentMeta, DocumentRecord, Passage } from './document.js';
import { splitDocument, type SplitOptions } from './splitter.js';

export function contentId(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The nearest heading at or before each passage start (headings sorted by position). */
export function attachHeadings(passages: Passage[], headings: Heading[]): void {
  if (headings.length === 0) return;
  const sorted = [...headings].sort((a, b) => a.charStart - b.charStart);
  let h = -1;
  for (const p of passages) {
    while (h + 1 < sorted.length && sorted[h + 1]!.charStart <= p.charStart) h++;
    if (h >= 0) p.heading = sorted[h]!.text;
  }
}

/**
 * Pure: a converted document, its name and source become the record and passages a store writes. `meta` (user and
 * system keys) wins over what the converter found (e.g. a title).
 */
export function prepareDocument(
  converted: ConvertedDocument,
  { name, source }: { name: string; source: string },
  meta: DocumentMeta,
  split: SplitOptions,
  now: Date = new Date(),
): { doc: DocumentRecord; passages: Passage[] } {
  const id = contentId(converted.text);
  const passages = splitDocument(id, converted.text, converted.pages, split);
  attachHeadings(passages, converted.headings);
  const doc: DocumentRecord = {
    id,
    name,
    source,
    meta: { ...converted.meta, ...meta },
    pageCount: converted.pages.length,
    passageCount: passages.length,
    charCount: converted.text.length,
    createdAt: now.toISOString(),
  };
  return { doc, passages };
}
