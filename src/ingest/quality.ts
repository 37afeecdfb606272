/**
 * Data-quality figures of ingestion (pure): what a converted document looks like before it is indexed, and the
 * same figures summed over a run. They are exported as metrics (observability/metrics.ts) and printed in the
 * ingest summary, so that a bad batch (scans without text, broken extraction, degenerate passages) is seen.
 */
import type { ConvertedDocument } from '../documents/converter.js';
import type { Passage } from '../documents/document.js';
import type { TextSource } from '../documents/pieced-text.js';

export interface DocumentQuality {
  /** 0 for formats without pages (text, Markdown, HTML, DOCX). */
  pages: number;
  /** Pages with no text (no text layer, blank, or only running headers/footers). */
  emptyPages: number;
  /** Characters (without surrounding whitespace) of each page. */
  charsPerPage: number[];
  /** Words of each passage. */
  passageWords: number[];
  /** Most pages are empty: probably a scan without a text layer. */
  looksScanned: boolean;
}

const WORD = /\S+/gu;

export function wordCount(s: string): number {
  return s.match(WORD)?.length ?? 0;
}

/** `passageWords`: the words of each passage when already counted (PassageLayout.words, counted in the worker). */
export function documentQuality(converted: Pick<ConvertedDocument, 'pages'> & { text: TextSource }, passages: Passage[], passageWords?: ArrayLike<number>): DocumentQuality {
  const charsPerPage = converted.pages.map((p) => converted.text.slice(p.charStart, p.charEnd).trim().length);
  const emptyPages = charsPerPage.filter((n) => n === 0).length;
  return {
    pages: converted.pages.length,
    emptyPages,
    charsPerPage,
    passageWords: passageWords ? Array.from(passageWords) : passages.map((p) => wordCount(p.text)),
    looksScanned: converted.pages.length > 0 && emptyPages / converted.pages.length >= 0.5,
  };
}

export interface Distribution {
  count: number;
  min: number;
  p5: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles; null for no values. */
export function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    count: values.length,
    min: sorted[0]!,
    p5: at(0.05),
    p50: at(0.5),
    p95: at(0.95),
    max: sorted[sorted.length - 1]!,
    mean: sum / values.length,
  };
}
