import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InlineConversion } from '../../src/ingest/conversion.js';
import { Ingestor, SOURCE_HASH_KEY, sha256 } from '../../src/ingest/ingestor.js';
import { Metrics } from '../../src/observability/metrics.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { encryptPdf, renderDocx, renderPdf, squadArticle } from '../fixtures/documents/render.js';
import { makeZip, readZipEntries } from '../fixtures/documents/zip.js';

const SPLIT = { words: 120, overlap: 20 };

describe('Ingestor (real converters, real SQLite store)', () => {
  let dir: string;
  let store: SqliteStore;
  let ingestor: Ingestor;
  let pdf: Buffer;
  let docx: Buffer;
  const kenya = squadArticle('Kenya');
  beforeAll(async () => {
    pdf = Buffer.from((await renderPdf(kenya.paragraphs.slice(0, 12), { title: 'Kenya', footer: (n, t) => `${n} / ${t}` })).bytes);
    docx = await renderDocx({ title: 'Kenya', sections: [{ paragraphs: kenya.paragraphs.slice(12, 20) }] });
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-ingestor-'));
    store = new SqliteStore(path.join(dir, 'docqa.sqlite'));
    await store.init();
    ingestor = new Ingestor(store, SPLIT, { maxFileBytes: 5_000_000 }, new InlineConversion(60_000));
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a PDF with page-true passages, its source hash and data-quality figures', async () => {
    const out = await ingestor.ingest({ data: pdf, name: 'kenya.pdf' });
    expect(out).toMatchObject({ name: 'kenya.pdf', status: 'created', format: 'pdf' });
    expect(out.pages).toBeGreaterThan(1);
    const doc = (await store.findDocumentBySource('kenya.pdf'))!;
    expect(doc.meta).toMatchObject({ format: 'pdf', title: 'Kenya', [SOURCE_HASH_KEY]: sha256(pdf) });
    const passages = await store.getPassages(doc.id);
    expect(passages.length).toBe(out.passages);
    expect(new Set(passages.map((p) => p.page))).toEqual(new Set(Array.from({ length: out.pages }, (_, i) => i + 1)));
    const q = out.quality!;
    expect(q.pages).toBe(out.pages);
    expect(q.emptyPages).toBe(0);
    expect(q.charsPerPage.every((n) => n > 500)).toBe(true);
    expect(q.passageWords).toEqual(passages.map((p) => p.text.split(/\s+/u).length));
    expect(q.looksScanned).toBe(false);
  });

  it('skips unchanged bytes without converting, replaces changed ones, converts again with force', async () => {
    const first = await ingestor.ingest({ data: docx, name: 'kenya.docx' });
    expect(first.status).toBe('created');
    const again = await ingestor.ingest({ data: docx, name: 'kenya.docx' });
    expect(again).toMatchObject({ status: 'unchanged', skipped: true, documentId: first.documentId, passages: first.passages });
    expect(again.quality).toBeUndefined();
    const forced = await ingestor.ingest({ data: docx, name: 'kenya.docx' }, { force: true });
    expect(forced).toMatchObject({ status: 'unchanged', documentId: first.documentId });
    expect(forced.skipped).toBeUndefined();
    const changed = await renderDocx({ title: 'Kenya', sections: [{ paragraphs: kenya.paragraphs.slice(12, 21) }] });
    const replaced = await ingestor.ingest({ data: changed, name: 'kenya.docx' });
    expect(replaced.status).toBe('replaced');
    expect(await store.getDocument(first.documentId!)).toBeNull();
    expect(await store.counts()).toEqual({ documents: 1, passages: replaced.passages });
  });

  it('says so when the same text is already stored under another name', async () => {
    const text = Buffer.from(kenya.paragraphs[0]!);
    await ingestor.ingest({ data: text, name: 'a.txt' });
    const dup = await ingestor.ingest({ data: text, name: 'copy/a.txt' });
    expect(dup).toMatchObject({ status: 'unchanged', duplicateOf: 'a.txt' });
    expect(dup.warnings).toEqual(['same text as a.txt, which is stored once, under that source']);
  });

  it('turns each bad file into a failed outcome with its name, kind and reason', async () => {
    const bomb = makeZip([...readZipEntries(docx), { name: 'word/media/x.bin', data: Buffer.alloc(1 << 20), declaredSize: 10 }]);
    const scan = Buffer.from((await renderPdf([], { textlessPages: [1, 2, 3] })).bytes);
    const locked = Buffer.from(await encryptPdf(pdf, 'pw'));
    const cases: [string, Buffer, string, string][] = [
      ['huge.txt', Buffer.alloc(5_000_001, 'a'), 'too_large', 'huge.txt: 5000001 bytes is over the limit of 5000000 (maxFileBytes)'],
      ['tool.exe', Buffer.from('MZ'), 'unsupported_type', "tool.exe: unsupported file type '.exe'"],
      ['broken.pdf', pdf.subarray(0, 2000), 'corrupt', 'broken.pdf: not a readable PDF'],
      ['locked.pdf', locked, 'encrypted', 'locked.pdf: the PDF is password-protected'],
      ['scan.pdf', scan, 'no_text_layer', 'scan.pdf: looks like a scan (no text layer)'],
      ['notzip.docx', Buffer.from('just text'), 'corrupt', 'notzip.docx: not a ZIP archive'],
      ['bomb.docx', bomb, 'zip_bomb', 'bomb.docx: ZIP entry word/media/x.bin inflates beyond'],
      ['image.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), 'binary', 'image.txt: binary file'],
      ['empty.md', Buffer.alloc(0), 'empty', 'empty.md: empty file (0 bytes)'],
      ['   ', Buffer.from('x'), 'invalid', 'document name must not be empty'],
    ];
    const metrics = new Metrics({ defaultMetrics: false });
    for (const [name, data, kind, reason] of cases) {
      const out = await ingestor.ingestSafely({ data, name });
      metrics.observeIngest(out);
      expect(out, name).toMatchObject({ name, status: 'failed', failure: kind, passages: 0 });
      expect(out.reason!.startsWith(reason), `${out.reason} / ${reason}`).toBe(true);
    }
    expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/docqa_ingest_failures_total\{reason="corrupt"\} 2/u);
    expect(text).toMatch(/docqa_ingest_failures_total\{reason="zip_bomb"\} 1/u);
    expect(text).toMatch(/docqa_ingest_documents_total\{status="failed"\} 10/u);
  });

  it('records data-quality metrics for written documents, including the empty-page ratio', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const halfScanned = Buffer.from((await renderPdf(kenya.paragraphs.slice(0, 2), { textlessPages: [1, 2, 3] })).bytes);
    const outcomes = [
      await ingestor.ingest({ data: halfScanned, name: 'half.pdf' }),
      await ingestor.ingest({ data: Buffer.from(kenya.paragraphs.slice(20).join('\n\n')), name: 'kenya.txt' }),
    ];
    outcomes.forEach((o) => metrics.observeIngest(o));
    expect(outcomes[0]!.warnings).toEqual(['looks like a scan (no text layer) on 3 of 4 pages; those pages are not searchable']);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^docqa_ingest_pages_total 4$/mu);
    expect(text).toMatch(/^docqa_ingest_empty_pages_total 3$/mu);
    expect(text).toMatch(/^docqa_ingest_empty_page_ratio 0\.75$/mu);
    expect(text).toMatch(/^docqa_ingest_scan_like_documents_total 1$/mu);
    expect(text).toMatch(/^docqa_ingest_chars_per_page_count 4$/mu);
    expect(text).toMatch(/^docqa_ingest_chars_per_page_bucket\{le="0"\} 3$/mu);
    const passages = outcomes[0]!.passages + outcomes[1]!.passages;
    expect(text).toMatch(new RegExp(`^docqa_ingest_passage_words_count ${passages}$`, 'mu'));
    expect(text).toMatch(new RegExp(`^docqa_ingest_passages_total ${passages}$`, 'mu'));
  });

  it('stops on an unreachable store instead of failing file after file', async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(dir, 'a file where the data folder should be');
    await expect(ingestor.ingestSafely({ data: Buffer.from('some text'), name: 'a.txt' })).rejects.toMatchObject({ code: 'unavailable' });
    fs.rmSync(dir, { force: true });
  });
});
