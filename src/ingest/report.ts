/**
 * The report of an ingest run (pure): counts by outcome, throughput, data quality, failures and warnings, as a
 * JSON-ready object and as the table the CLI prints.
 */
import type { FailureKind } from '../documents/failure.js';
import type { IngestOutcome } from './ingestor.js';
import { distribution, type Distribution } from './quality.js';

interface Row {
  files: number;
  pages: number;
  passages: number;
}

export interface BatchSummary {
  files: {
    total: number;
    /** created + replaced */
    ok: number;
    created: number;
    replaced: number;
    /** Already stored: skipped before conversion (same bytes) or converted to the same text. */
    unchanged: number;
    /** The part of `unchanged` skipped without converting. */
    skippedByHash: number;
    failed: number;
    /** Inside the folders but not ingested: unsupported extension, or excluded by a glob. */
    unsupported: number;
    excluded: number;
  };
  byStatus: Record<'created' | 'replaced' | 'unchanged' | 'failed', Row>;
  /** Pages and passages written (created + replaced). */
  pages: number;
  passages: number;
  seconds: number;
  /** Work rates over the documents actually converted in this run. */
  rates: { filesPerSecond: number; pagesPerSecond: number; passagesPerSecond: number };
  quality: {
    /** Documents converted in this run (written or unchanged). */
    documents: number;
    pages: number;
    emptyPages: number;
    emptyPageRatio: number;
    charsPerPage: Distribution | null;
    passageWords: Distribution | null;
    /** Names of documents most of whose pages have no text layer. */
    scanLike: string[];
  };
  failuresByReason: Partial<Record<FailureKind, number>>;
  failures: { name: string; source: string; reason: FailureKind; message: string }[];
  warnings: { name: string; source: string; warning: string }[];
  aborted: boolean;
}

/** One file in the JSON report: the outcome without its per-page/per-passage arrays. */
export type FileReport = Omit<IngestOutcome, 'quality'> & { emptyPages?: number; looksScanned?: boolean };

export function fileReport(o: IngestOutcome): FileReport {
  const { quality, ...rest } = o;
  return quality ? { ...rest, emptyPages: quality.emptyPages, looksScanned: quality.looksScanned } : rest;
}

export function summarize(
  outcomes: IngestOutcome[],
  seconds: number,
  extra: { unsupported?: number; excluded?: number; aborted?: boolean } = {},
): BatchSummary {
  const row = (): Row => ({ files: 0, pages: 0, passages: 0 });
  const byStatus = { created: row(), replaced: row(), unchanged: row(), failed: row() };
  const charsPerPage: number[] = [];
  const passageWords: number[] = [];
  const failuresByReason: Partial<Record<FailureKind, number>> = {};
  let converted = 0;
  let convertedPages = 0;
  let convertedPassages = 0;
  let emptyPages = 0;
  const scanLike: string[] = [];
  for (const o of outcomes) {
    const r = byStatus[o.status];
    r.files++;
    r.pages += o.pages;
    r.passages += o.passages;
    if (o.status === 'failed') {
      const kind = o.failure ?? 'internal';
      failuresByReason[kind] = (failuresByReason[kind] ?? 0) + 1;
    }
    const q = o.quality;
    if (q) {
      converted++;
      convertedPages += q.pages;
      convertedPassages += q.passageWords.length;
      emptyPages += q.emptyPages;
      charsPerPage.push(...q.charsPerPage);
      passageWords.push(...q.passageWords);
      if (q.looksScanned) scanLike.push(o.name);
    }
  }
  const per = (n: number) => (seconds > 0 ? n / seconds : 0);
  return {
    files: {
      total: outcomes.length,
      ok: byStatus.created.files + byStatus.replaced.files,
      created: byStatus.created.files,
      replaced: byStatus.replaced.files,
      unchanged: byStatus.unchanged.files,
      skippedByHash: outcomes.filter((o) => o.skipped).length,
      failed: byStatus.failed.files,
      unsupported: extra.unsupported ?? 0,
      excluded: extra.excluded ?? 0,
    },
    byStatus,
    pages: byStatus.created.pages + byStatus.replaced.pages,
    passages: byStatus.created.passages + byStatus.replaced.passages,
    seconds,
    rates: { filesPerSecond: per(converted), pagesPerSecond: per(convertedPages), passagesPerSecond: per(convertedPassages) },
    quality: {
      documents: converted,
      pages: convertedPages,
      emptyPages,
      emptyPageRatio: convertedPages > 0 ? emptyPages / convertedPages : 0,
      charsPerPage: distribution(charsPerPage),
      passageWords: distribution(passageWords),
      scanLike,
    },
    failuresByReason,
    failures: outcomes
      .filter((o) => o.status === 'failed')
      .map((o) => ({ name: o.name, source: o.source, reason: o.failure ?? 'internal', message: o.reason ?? '' })),
    warnings: outcomes.flatMap((o) => o.warnings.map((warning) => ({ name: o.name, source: o.source, warning }))),
    aborted: extra.aborted ?? false,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const count = (n: number, noun: string) => `${int(n)} ${noun}${n === 1 ? '' : 's'}`;
const fixed = (n: number, digits = 1) => n.toFixed(digits);

function table(rows: string[][], rightAligned: boolean[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The summary as the CLI prints it. */
export function formatSummary(s: BatchSummary): string {
  const lines: string[] = [];
  const b = s.byStatus;
  const dash = (n: number, show: boolean) => (show ? int(n) : '-');
  lines.push(`Ingest summary${s.aborted ? ' (interrupted: not every file was processed)' : ''}`);
  lines.push(
    ...table(
      [
        ['', 'files', 'pages', 'passages'],
        ['created', int(b.created.files), int(b.created.pages), int(b.created.passages)],
        ['replaced', int(b.replaced.files), int(b.replaced.pages), int(b.replaced.passages)],
        ['unchanged', int(b.unchanged.files), int(b.unchanged.pages), int(b.unchanged.passages)],
        ['failed', int(b.failed.files), dash(0, false), dash(0, false)],
        ['total', int(s.files.total), int(s.pages + b.unchanged.pages), int(s.passages + b.unchanged.passages)],
      ],
      [false, true, true, true],
    ).map((l) => `  ${l}`),
  );
  const notes: string[] = [];
  if (s.files.skippedByHash > 0) notes.push(`${int(s.files.skippedByHash)} unchanged skipped without converting (same bytes)`);
  if (s.files.unsupported > 0) notes.push(`${count(s.files.unsupported, 'file')} with unsupported extensions ignored`);
  if (s.files.excluded > 0) notes.push(`${count(s.files.excluded, 'file')} excluded by --include/--exclude`);
  for (const n of notes) lines.push(`  (${n})`);
  lines.push(
    `  ${fixed(s.seconds, 2)} s: ${fixed(s.rates.filesPerSecond)} files/s, ${fixed(s.rates.pagesPerSecond)} pages/s, ${fixed(s.rates.passagesPerSecond)} passages/s (documents converted in this run)`,
  );
  const q = s.quality;
  if (q.documents > 0) {
    lines.push('Data quality (documents converted in this run)');
    lines.push(
      q.pages > 0
        ? `  documents ${int(q.documents)}, pages ${int(q.pages)}, empty pages ${int(q.emptyPages)} (${fixed(q.emptyPageRatio * 100)}%)`
        : `  documents ${int(q.documents)}, none with pages`,
    );
    if (q.charsPerPage) {
      const d = q.charsPerPage;
      lines.push(`  chars per page    min ${int(d.min)}  p5 ${int(d.p5)}  median ${int(d.p50)}  p95 ${int(d.p95)}  max ${int(d.max)}`);
    }
    if (q.passageWords) {
      const d = q.passageWords;
      lines.push(`  words per passage min ${int(d.min)}  p5 ${int(d.p5)}  median ${int(d.p50)}  p95 ${int(d.p95)}  max ${int(d.max)}  (${int(d.count)} passages)`);
    }
  }
  if (s.failures.length > 0) {
    const reasons = Object.entries(s.failuresByReason).map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push(`Failed (${reasons})`);
    for (const f of s.failures) lines.push(`  ✗ [${f.reason}] ${f.message}`);
  }
  // scan-like documents are among the warnings: their converter says "looks like a scan (no text layer)"
  if (s.warnings.length > 0) {
    lines.push('Warnings');
    for (const w of s.warnings) lines.push(`  ! ${w.name}: ${w.warning}`);
  }
  return lines.join('\n');
}
