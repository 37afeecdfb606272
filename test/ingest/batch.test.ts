import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConvertedDocument } from '../../src/documents/converter.js';
import { ingestBatch } from '../../src/ingest/batch.js';
import { InlineConversion, type Conversion, type ConversionRequest, type ConversionResult } from '../../src/ingest/conversion.js';
import { collectFiles } from '../../src/ingest/files.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { formatSummary, summarize } from '../../src/ingest/report.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { renderDocx, renderPdf, squadArticle } from '../fixtures/documents/render.js';

/** Inline conversion that records how many conversions run at once. */
class CountingConversion implements Conversion {
  readonly isolated = false;
  private readonly inner = new InlineConversion(60_000);
  running = 0;
  maxRunning = 0;
  async convert(r: ConversionRequest): Promise<ConversionResult> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await new Promise((resolve) => setImmediate(resolve)); // let the other lanes start
      return await this.inner.convert(r);
    } finally {
      this.running--;
    }
  }
  async close() {}
}

describe('ingestBatch and collectFiles', () => {
  let dir: string;
  let corpus: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-batch-'));
    corpus = path.join(dir, 'corpus');
    const kenya = squadArticle('Kenya');
    const write = (name: string, data: string | Uint8Array) => {
      fs.mkdirSync(path.dirname(path.join(corpus, name)), { recursive: true });
      fs.writeFileSync(path.join(corpus, name), data);
    };
    kenya.paragraphs.slice(0, 8).forEach((p, i) => write(`text/p${i}.txt`, p));
    write('reports/kenya.pdf', (await renderPdf(kenya.paragraphs.slice(8, 20), { footer: (n) => `page ${n}` })).bytes);
    write('reports/kenya.docx', await renderDocx({ title: 'Kenya', sections: [{ paragraphs: kenya.paragraphs.slice(20, 30) }] }));
    write('reports/broken.pdf', '%PDF-1.7 this is not really a PDF');
    write('drafts/draft.md', '# Draft\n\nNot ready.');
    write('.hidden/secret.txt', 'hidden');
    write('notes.rtf', '{\\rtf1 unsupported}');
    store = new SqliteStore(path.join(dir, 'docqa.sqlite'));
    await store.init();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('collects supported files recursively, honours globs, skips hidden files, gives each its source', async () => {
    const all = await collectFiles([corpus]);
    expect(all.files.map((f) => f.name)).toEqual([
      'drafts/draft.md',
      'reports/broken.pdf',
      'reports/kenya.docx',
      'reports/kenya.pdf',
      ...Array.from({ length: 8 }, (_, i) => `text/p${i}.txt`),
    ]);
    expect(all.unsupported).toBe(1);
    expect(all.excluded).toBe(0);
    const some = await collectFiles([corpus], { include: ['*.pdf', '*.md'], exclude: ['drafts'] });
    expect(some.files.map((f) => f.name)).toEqual(['reports/broken.pdf', 'reports/kenya.pdf']);
    expect(some.excluded).toBe(11); // 8 .txt, the .docx, the draft, the .rtf (hidden files are not counted)
    // an explicit file is taken as given, even with an unsupported extension (it will fail, visibly)
    expect((await collectFiles([path.join(corpus, 'notes.rtf')])).files.map((f) => f.name)).toEqual(['notes.rtf']);
    // sources: the folder as given joined with the path inside it; a file reached twice is collected once
    const twice = await collectFiles([path.join(corpus, 'text'), path.join(corpus, 'text', 'p1.txt')]);
    expect(twice.files.length).toBe(8);
    expect(twice.files[1]).toMatchObject({ name: 'p1.txt', source: `${corpus}/text/p1.txt` });
    const relative = path.relative(process.cwd(), corpus);
    const rel = await collectFiles([`./${relative}//`], { include: ['reports/*.pdf'] });
    expect(rel.files.map((f) => [f.name, f.source])).toEqual([
      ['reports/broken.pdf', `${relative}/reports/broken.pdf`],
      ['reports/kenya.pdf', `${relative}/reports/kenya.pdf`],
    ]);
    // --source: a folder's prefix, or one file's whole source
    const prefixed = await collectFiles([corpus], { include: ['reports/kenya.pdf'], source: 'https://example.org/docs' });
    expect(prefixed.files.map((f) => f.source)).toEqual(['https://example.org/docs/reports/kenya.pdf']);
    const bare = await collectFiles([corpus], { include: ['reports/kenya.pdf'], source: '.' });
    expect(bare.files.map((f) => f.source)).toEqual(['reports/kenya.pdf']);
    const one = await collectFiles([path.join(corpus, 'reports', 'kenya.pdf')], { source: 's3://bucket/kenya.pdf' });
    expect(one.files).toMatchObject([{ name: 'kenya.pdf', source: 's3://bucket/kenya.pdf' }]);
    await expect(collectFiles([corpus, corpus], { source: 'x' })).rejects.toThrow(/single path/u);
    await expect(collectFiles([path.join(dir, 'nope')])).rejects.toThrow(/no such file or folder/u);
  });

  it('ingests with bounded concurrency, each bad file failing alone, and reports it', async () => {
    const conversion = new CountingConversion();
    const ingestor = new Ingestor(store, { words: 100, overlap: 15 }, { maxFileBytes: 1_000_000 }, conversion);
    const { files, unsupported } = await collectFiles([corpus]);
    const done: string[] = [];
    const result = await ingestBatch(ingestor, files, { concurrency: 3, onDone: (o) => done.push(o.name) });
    expect(conversion.maxRunning).toBe(3);
    expect(result.outcomes.map((o) => o.name)).toEqual(files.map((f) => f.name));
    expect([...done].sort()).toEqual(files.map((f) => f.name).sort());
    const failed = result.outcomes.filter((o) => o.status === 'failed');
    expect(failed.map((o) => [o.name, o.failure])).toEqual([['reports/broken.pdf', 'corrupt']]);
    expect(await store.counts()).toMatchObject({ documents: files.length - 1 });

    const summary = summarize(result.outcomes, result.seconds, { unsupported });
    expect(summary.files).toMatchObject({ total: 12, ok: 11, created: 11, failed: 1, unchanged: 0, unsupported: 1 });
    const pdf = result.outcomes.find((o) => o.name === 'reports/kenya.pdf')!;
    expect(summary.pages).toBe(pdf.pages);
    expect(summary.passages).toBe(result.outcomes.reduce((n, o) => n + o.passages, 0));
    expect(summary.quality).toMatchObject({ documents: 11, pages: pdf.pages, emptyPages: 0, emptyPageRatio: 0, scanLike: [] });
    expect(summary.quality.passageWords!.max).toBeLessThanOrEqual(100);
    expect(summary.failuresByReason).toEqual({ corrupt: 1 });
    const table = formatSummary(summary);
    expect(table).toMatch(/^ {2}created\s+11\s+\d+\s+\d+$/mu);
    expect(table).toMatch(/^ {2}failed\s+1\s+-\s+-$/mu);
    expect(table).toMatch(/^Failed \(corrupt 1\)\n {2}✗ \[corrupt\] reports\/broken\.pdf: not a readable PDF/mu);
    expect(table).toMatch(/words per passage min \d+ {2}p5 \d+ {2}median \d+ {2}p95 \d+ {2}max \d+/u);

    // the second run converts nothing
    const again = await ingestBatch(ingestor, files, { concurrency: 3 });
    const s2 = summarize(again.outcomes, again.seconds);
    expect(s2.files).toMatchObject({ unchanged: 11, skippedByHash: 11, failed: 1, created: 0 });
    expect(formatSummary(s2)).toMatch(/11 unchanged skipped without converting \(same bytes\)/u);
  });

  it('stops taking files when aborted, and stops the batch when the store is unreachable', async () => {
    const ingestor = new Ingestor(store, { words: 100, overlap: 15 }, { maxFileBytes: 1_000_000 }, new InlineConversion(60_000));
    const { files } = await collectFiles([corpus]);
    const stop = new AbortController();
    const partial = await ingestBatch(ingestor, files, { concurrency: 1, signal: stop.signal, onDone: () => stop.abort() });
    expect(partial.outcomes).toHaveLength(1);
    expect(partial.aborted).toBe(true);

    await store.close();
    fs.rmSync(path.join(dir, 'docqa.sqlite'), { force: true });
    fs.mkdirSync(path.join(dir, 'docqa.sqlite')); // a folder where the database file should be
    await expect(ingestBatch(ingestor, files, { concurrency: 2 })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('refuses a file over the size limit without reading it', async () => {
    const ingestor = new Ingestor(store, { words: 100, overlap: 15 }, { maxFileBytes: 1000 }, new InlineConversion(60_000));
    const result = await ingestBatch(ingestor, [{ file: path.join(dir, 'does-not-exist.pdf'), name: 'big.pdf', source: 'big.pdf', size: 10_000 }], { concurrency: 1 });
    expect(result.outcomes[0]).toMatchObject({ status: 'failed', failure: 'too_large', reason: 'big.pdf: 10000 bytes is over the limit of 1000 (maxFileBytes)' });
    const unreadable = await ingestBatch(ingestor, [{ file: path.join(dir, 'gone.txt'), name: 'gone.txt', source: 'gone.txt', size: 10 }], { concurrency: 1 });
    expect(unreadable.outcomes[0]).toMatchObject({ status: 'failed', failure: 'unreadable_file' });
  });
});
