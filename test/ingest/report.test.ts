import { describe, expect, it } from 'vitest';
import type { IngestOutcome } from '../../src/ingest/ingestor.js';
import { distribution } from '../../src/ingest/quality.js';
import { fileReport, formatSummary, summarize } from '../../src/ingest/report.js';

const written = (name: string, pages: number[], words: number[], status: 'created' | 'replaced' = 'created'): IngestOutcome => ({
  name,
  source: `docs/${name}`,
  status,
  pages: pages.length,
  passages: words.length,
  chars: pages.reduce((a, b) => a + b, 0),
  warnings: pages.length > 0 && pages.filter((n) => n === 0).length * 2 >= pages.length ? ['looks like a scan (no text layer) on 2 of 3 pages; those pages are not searchable'] : [],
  quality: {
    pages: pages.length,
    emptyPages: pages.filter((n) => n === 0).length,
    charsPerPage: pages,
    passageWords: words,
    looksScanned: pages.length > 0 && pages.filter((n) => n === 0).length * 2 >= pages.length,
  },
  ms: 10,
});

describe('ingest report', () => {
  const outcomes: IngestOutcome[] = [
    written('a.pdf', [1200, 1500, 1800, 0], [150, 150, 120, 40]),
    written('scan.pdf', [0, 0, 900], [80]),
    written('b.md', [], [150, 60], 'replaced'),
    { name: 'c.txt', source: 'docs/c.txt', status: 'unchanged', skipped: true, pages: 0, passages: 7, chars: 900, warnings: [], ms: 1 },
    { name: 'x.pdf', source: 'docs/x.pdf', status: 'failed', failure: 'encrypted', reason: 'x.pdf: the PDF is password-protected (encrypted); docqa cannot read it', pages: 0, passages: 0, chars: 0, warnings: [], ms: 2 },
    { name: 'y.docx', source: 'docs/y.docx', status: 'failed', failure: 'zip_bomb', reason: 'y.docx: ZIP archive would inflate to 9 bytes (limit 1)', pages: 0, passages: 0, chars: 0, warnings: [], ms: 2 },
  ];

  it('sums files, pages, passages, rates and data quality', () => {
    const s = summarize(outcomes, 2, { unsupported: 1, excluded: 0 });
    expect(s.files).toEqual({ total: 6, ok: 3, created: 2, replaced: 1, unchanged: 1, skippedByHash: 1, failed: 2, unsupported: 1, excluded: 0 });
    expect(s.pages).toBe(7);
    expect(s.passages).toBe(7);
    expect(s.rates).toEqual({ filesPerSecond: 1.5, pagesPerSecond: 3.5, passagesPerSecond: 3.5 });
    expect(s.quality).toMatchObject({ documents: 3, pages: 7, emptyPages: 3, emptyPageRatio: 3 / 7, scanLike: ['scan.pdf'] });
    expect(s.quality.charsPerPage).toEqual({ count: 7, min: 0, p5: 0, p50: 900, p95: 1800, max: 1800, mean: 5400 / 7 });
    expect(s.quality.passageWords).toMatchObject({ count: 7, min: 40, p50: 120, max: 150 });
    expect(s.failuresByReason).toEqual({ encrypted: 1, zip_bomb: 1 });
    expect(s.warnings).toEqual([{ name: 'scan.pdf', source: 'docs/scan.pdf', warning: 'looks like a scan (no text layer) on 2 of 3 pages; those pages are not searchable' }]);
  });

  it('prints the summary table, failures with reasons, and the scan warning', () => {
    expect(formatSummary(summarize(outcomes, 2, { unsupported: 1 }))).toBe(
      [
        'Ingest summary',
        '             files  pages  passages',
        '  created        2      7         5',
        '  replaced       1      0         2',
        '  unchanged      1      0         7',
        '  failed         2      -         -',
        '  total          6      7        14',
        '  (1 unchanged skipped without converting (same bytes))',
        '  (1 file with unsupported extensions ignored)',
        '  2.00 s: 1.5 files/s, 3.5 pages/s, 3.5 passages/s (documents converted in this run)',
        'Data quality (documents converted in this run)',
        '  documents 3, pages 7, empty pages 3 (42.9%)',
        '  chars per page    min 0  p5 0  median 900  p95 1,800  max 1,800',
        '  words per passage min 40  p5 40  median 120  p95 150  max 150  (7 passages)',
        'Failed (encrypted 1, zip_bomb 1)',
        '  ✗ [encrypted] x.pdf: the PDF is password-protected (encrypted); docqa cannot read it',
        '  ✗ [zip_bomb] y.docx: ZIP archive would inflate to 9 bytes (limit 1)',
        'Warnings',
        '  ! scan.pdf: looks like a scan (no text layer) on 2 of 3 pages; those pages are not searchable',
      ].join('\n'),
    );
  });

  it('keeps per-file JSON compact and handles an empty run', () => {
    const f = fileReport(outcomes[0]!);
    expect(f).not.toHaveProperty('quality');
    expect(f).toMatchObject({ name: 'a.pdf', emptyPages: 1, looksScanned: false });
    expect(distribution([])).toBeNull();
    const empty = summarize([], 0);
    expect(empty.rates).toEqual({ filesPerSecond: 0, pagesPerSecond: 0, passagesPerSecond: 0 });
    expect(formatSummary(empty)).not.toMatch(/Data quality|Failed|Warnings/u);
  });
});
