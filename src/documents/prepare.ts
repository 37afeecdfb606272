import { createHash } from 'node:crypto';
import type { TextSource } from './pieced-text.js';
import type { ConvertedDocument, Heading } from './converter.js';
import { passageId, type DocumentMeta, type DocumentRecord, type Passage } from './document.js';
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

/**
 * A document's passages as positions only (no text, no objects): what the conversion worker computes off the
 * event loop and hands back in transferable typed arrays. Passage i is `text.slice(starts[i], ends[i])`.
 */
export interface PassageLayout {
  /** sha256 of the converted text: the document id. */
  contentId: string;
  starts: Int32Array;
  ends: Int32Array;
  /** Page number, or -1 for a format without pages. */
  pages: Int32Array;
  /** Index into `headingTexts`, or -1 for no heading. */
  headings: Int32Array;
  headingTexts: string[];
  /** Words of each passage (DocumentQuality.passageWords). */
  words: Int32Array;
}

const WORD = /\S+/gu;

/** Pure: hashes and splits a converted document into a PassageLayout (the CPU-heavy half of prepareDocument). */
export function layoutPassages(converted: ConvertedDocument, split: SplitOptions): PassageLayout {
  const id = contentId(converted.text);
  const passages = splitDocument(id, converted.text, converted.pages, split);
  attachHeadings(passages, converted.headings);
  const n = passages.length;
  const layout: PassageLayout = {
    contentId: id,
    starts: new Int32Array(n),
    ends: new Int32Array(n),
    pages: new Int32Array(n),
    headings: new Int32Array(n),
    headingTexts: [],
    words: new Int32Array(n),
  };
  const headingIndex = new Map<string, number>();
  passages.forEach((p, i) => {
    layout.starts[i] = p.charStart;
    layout.ends[i] = p.charEnd;
    layout.pages[i] = p.page ?? -1;
    let h = -1;
    if (p.heading !== undefined) {
      h = headingIndex.get(p.heading) ?? -1;
      if (h < 0) {
        h = layout.headingTexts.push(p.heading) - 1;
        headingIndex.set(p.heading, h);
      }
    }
    layout.headings[i] = h;
    layout.words[i] = p.text.match(WORD)?.length ?? 0;
  });
  return layout;
}

/** Passages [from, to) of a layout, as prepareDocument would have made them. */
export function layoutSlice(docId: string, text: TextSource, layout: PassageLayout, from: number, to: number): Passage[] {
  const out: Passage[] = [];
  for (let i = from; i < Math.min(to, layout.starts.length); i++) {
    const page = layout.pages[i]!;
    const h = layout.headings[i]!;
    const passage: Passage = {
      id: passageId(docId, i),
      docId,
      text: text.slice(layout.starts[i], layout.ends[i]),
      charStart: layout.starts[i]!,
      charEnd: layout.ends[i]!,
      page: page < 0 ? null : page,
      seq: i,
    };
    if (h >= 0) passage.heading = layout.headingTexts[h]!;
    out.push(passage);
  }
  return out;
}

/** The ArrayBuffers of a layout, to transfer it between threads without copying. */
export function layoutTransferList(layout: PassageLayout): ArrayBuffer[] {
  return [layout.starts, layout.ends, layout.pages, layout.headings, layout.words].map((a) => a.buffer as ArrayBuffer);
}

/** The record of a document whose passages are laid out (layoutPassages): what prepareDocument makes, without passages. */
export function recordOf(
  converted: Pick<ConvertedDocument, 'meta' | 'pages'> & { text: TextSource },
  layout: PassageLayout,
  { name, source }: { name: string; source: string },
  meta: DocumentMeta,
  now: Date = new Date(),
): DocumentRecord {
  return {
    id: layout.contentId,
    name,
    source,
    meta: { ...converted.meta, ...meta },
    pageCount: converted.pages.length,
    passageCount: layout.starts.length,
    charCount: converted.text.length,
    createdAt: now.toISOString(),
  };
}
