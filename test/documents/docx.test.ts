import { beforeAll, describe, expect, it } from 'vitest';
import { convertDocx } from '../../src/documents/converters/docx.js';
import { prepareDocument } from '../../src/documents/prepare.js';
import { checkZip } from '../../src/documents/zip-guard.js';
import { renderDocx, squadArticle } from '../fixtures/documents/render.js';
import { makeZip, readZipEntries } from '../fixtures/documents/zip.js';
import { failureOf } from '../helpers/failure.js';

const squash = (s: string) => s.replace(/\s+/gu, ' ').trim();

describe('DOCX converter (real mammoth on DOCX files rendered from SQuAD articles)', () => {
  const article = squadArticle('Sky_(United_Kingdom)');
  const firstHalf = article.paragraphs.slice(0, 10);
  const secondHalf = article.paragraphs.slice(10);
  const table = [
    ['Channel', 'Launched', 'Owner'],
    ['Sky One', '1984', 'Sky UK'],
    ['Sky News', '1989', 'Sky UK'],
  ];
  let docx: Buffer;
  beforeAll(async () => {
    docx = await renderDocx({
      title: article.title,
      sections: [
        { heading: 'History and channels', paragraphs: firstHalf },
        { heading: 'Later years', paragraphs: secondHalf },
      ],
      table,
    });
  });

  it('keeps paragraphs and headings in order, tables as text (a row per line, cells tab-separated)', async () => {
    const doc = await convertDocx(docx, 'sky.docx');
    const expected = [article.title, 'History and channels', ...firstHalf, table.map((r) => r.join('\t')).join('\n'), 'Later years', ...secondHalf];
    expect(doc.text).toBe(expected.join('\n\n'));
    expect(doc.pages).toEqual([]);
    expect(doc.meta).toEqual({ format: 'docx', title: article.title });
    expect(doc.headings.map((h) => [h.level, h.text, doc.text.slice(h.charStart, h.charStart + h.text.length)])).toEqual([
      [1, article.title, article.title],
      [2, 'History and channels', 'History and channels'],
      [2, 'Later years', 'Later years'],
    ]);
  });

  it('gives each passage the nearest heading above it as context', async () => {
    const doc = await convertDocx(docx, 'sky.docx');
    const { passages } = prepareDocument(doc, { name: 'sky.docx', source: 'sky.docx' }, {}, { words: 100, overlap: 10 });
    const laterStart = doc.headings[2]!.charStart;
    for (const p of passages) {
      expect(doc.text.slice(p.charStart, p.charEnd)).toBe(p.text);
      expect(p.page).toBeNull();
      const expected = p.charStart >= laterStart ? 'Later years' : p.charStart >= doc.headings[1]!.charStart ? 'History and channels' : article.title;
      expect(p.heading).toBe(expected);
    }
    expect(new Set(passages.map((p) => p.heading))).toEqual(new Set([article.title, 'History and channels', 'Later years']));
  });

  it('refuses files that are not a zip, truncated, or a zip without a Word document', async () => {
    const cases: [string, Buffer, string, RegExp][] = [
      ['empty.docx', Buffer.alloc(0), 'empty', /empty file/u],
      ['text.docx', Buffer.from(squash(firstHalf[0]!)), 'corrupt', /not a ZIP archive/u],
      ['truncated.docx', docx.subarray(0, Math.floor(docx.length * 0.6)), 'corrupt', /truncated ZIP archive|damaged/u],
      ['other.docx', makeZip([{ name: 'readme.txt', data: Buffer.from('hello') }]), 'corrupt', /no word\/document\.xml/u],
    ];
    for (const [name, data, kind, message] of cases) {
      const err = await failureOf(convertDocx(data, name));
      expect(err.kind, name).toBe(kind);
      expect(err.message.startsWith(`${name}: `)).toBe(true);
      expect(err.message).toMatch(message);
    }
  });

  it('refuses zip bombs before inflating them: too big as declared, or inflating beyond what they declare', async () => {
    const entries = readZipEntries(docx);
    expect(entries.map((e) => e.name)).toContain('word/document.xml');
    // declares 4 GB in one entry (the real data is small): the declared total is over the limit
    const declaredHuge = makeZip([...entries, { name: 'word/media/huge.bin', data: Buffer.alloc(1000), declaredSize: 0xfffffffe }]);
    const huge = await failureOf(convertDocx(declaredHuge, 'declared-huge.docx'));
    expect(huge.kind).toBe('zip_bomb');
    expect(huge.message).toMatch(/would inflate to \d+ bytes \(limit \d+\)/u);
    // a 64 MiB run of zeros (64 KiB compressed) that claims to be 1 KiB: caught while inflating, bounded by the claim
    const liar = makeZip([...entries, { name: 'word/media/liar.bin', data: Buffer.alloc(64 * 1024 * 1024), declaredSize: 1024 }]);
    expect(liar.length).toBeLessThan(200_000);
    const lying = await failureOf(convertDocx(liar, 'lying.docx'));
    expect(lying.kind).toBe('zip_bomb');
    expect(lying.message).toMatch(/inflates beyond the 1024 bytes it declares/u);
    // many entries
    const many = makeZip(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') })));
    expect(() => checkZip(many, 'many.zip', { maxUncompressedBytes: 1e9, maxEntries: 20 })).toThrow(/50 entries \(limit 20\)/u);
    // a central-directory entry whose extra-field length runs past the end of the file (found by the hostile-file
    // fuzzer: the reads past the end threw an unnamed RangeError)
    const runaway = makeZip(entries.slice(0, 2));
    const cd = runaway.readUInt32LE(runaway.length - 6);
    runaway.writeUInt16LE(0xfff0, cd + 30);
    expect(() => checkZip(runaway, 'runaway.docx')).toThrow(/damaged ZIP central directory/u);
    expect((await failureOf(convertDocx(runaway, 'runaway.docx'))).kind).toBe('corrupt');
    // and a genuine DOCX passes the check
    expect(checkZip(docx, 'sky.docx').length).toBe(entries.length);
  });
});
