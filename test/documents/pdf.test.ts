import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertPdf, PAGE_SEPARATOR } from '../../src/documents/converters/pdf.js';
import { prepareDocument } from '../../src/documents/prepare.js';
import { encryptPdf, renderPdf, squadArticle, type RenderedPdf } from '../fixtures/documents/render.js';
import { failureOf } from '../helpers/failure.js';

const squash = (s: string) => s.replace(/\s+/gu, ' ').trim();
/**
 * The text drawn on each page, with the fixture's line-end hyphenation undone; a word hyphenated across a page
 * break belongs to the page where it starts.
 */
function drawnPages(pageLines: string[][]): string[] {
  const pages = pageLines.map((lines) => lines.join('\n').replace(/(\p{Ll})-\n(\p{Ll})/gu, '$1$2'));
  for (let i = 0; i + 1 < pages.length; i++) {
    const tail = /^(\p{Ll}\S*)\s*/u.exec(pages[i + 1]!);
    if (/\p{Ll}-$/u.test(pages[i]!) && tail) {
      pages[i] = pages[i]!.slice(0, -1) + tail[1];
      pages[i + 1] = pages[i + 1]!.slice(tail[0].length);
    }
  }
  return pages.map(squash);
}

describe('PDF converter (real pdf.js on PDFs rendered from SQuAD articles)', () => {
  const article = squadArticle('Private_school');
  let single: RenderedPdf;
  beforeAll(async () => {
    single = await renderPdf(article.paragraphs, {
      title: article.title,
      header: 'Private school - a docqa test document',
      footer: (n, total) => `Page ${n} of ${total}`,
      hyphenate: true,
    });
  });

  it('keeps every page, in order, with its number, and drops running headers and footers', async () => {
    const doc = await convertPdf(Buffer.from(single.bytes), 'private-school.pdf');
    expect(single.pageLines.length).toBeGreaterThanOrEqual(4);
    expect(doc.pages.map((p) => p.number)).toEqual(single.pageLines.map((_, i) => i + 1));
    const drawn = drawnPages(single.pageLines);
    doc.pages.forEach((page, i) => {
      const text = doc.text.slice(page.charStart, page.charEnd);
      expect(squash(text), `page ${page.number}`).toBe(drawn[i]);
      expect(text).not.toMatch(/Page \d+ of \d+|a docqa test document/u);
      if (i > 0) expect(doc.text.slice(doc.pages[i - 1]!.charEnd, page.charStart)).toBe(PAGE_SEPARATOR);
    });
    expect(doc.meta).toMatchObject({ format: 'pdf', title: article.title });
    expect(doc.warnings).toEqual([]);
  });

  it('gives back the article text exactly (up to whitespace), hyphenation at line ends undone', async () => {
    const doc = await convertPdf(Buffer.from(single.bytes), 'private-school.pdf');
    const hyphenatedLines = single.pageLines.flat().filter((l) => /\p{Ll}-$/u.test(l));
    expect(hyphenatedLines.length).toBeGreaterThan(3); // the fixture really hyphenates
    expect(squash(doc.text)).toBe(squash([single.title!, ...single.paragraphs].join(' ')));
    expect(doc.text).not.toMatch(/\p{Ll}-\n\p{Ll}/u);
    // paragraphs stay apart: a blank line between them
    expect(doc.text.split(/\n\n/u).length).toBeGreaterThanOrEqual(single.paragraphs.length);
  });

  it('splits into passages whose offsets slice the document and whose page is exact', async () => {
    const doc = await convertPdf(Buffer.from(single.bytes), 'private-school.pdf');
    const { passages } = prepareDocument(doc, { name: 'private-school.pdf', source: 'private-school.pdf' }, {}, { words: 120, overlap: 20 });
    expect(passages.length).toBeGreaterThan(doc.pages.length);
    for (const p of passages) {
      expect(doc.text.slice(p.charStart, p.charEnd)).toBe(p.text);
      const page = doc.pages.find((pg) => pg.number === p.page)!;
      expect(p.charStart).toBeGreaterThanOrEqual(page.charStart);
      expect(p.charEnd).toBeLessThanOrEqual(page.charEnd);
    }
    expect(new Set(passages.map((p) => p.page))).toEqual(new Set(doc.pages.map((p) => p.number)));
  });

  for (const order of ['column-by-column', 'row-by-row'] as const) {
    it(`reads two-column pages column by column, hyphenation joined across lines and columns (content stream written ${order})`, async () => {
      const two = squadArticle('Scottish_Parliament');
      const pdf = await renderPdf(two.paragraphs, {
        columns: 2,
        order,
        title: two.title,
        header: 'Scottish Parliament',
        footer: (n) => `- ${n} -`,
        hyphenate: true,
      });
      const doc = await convertPdf(Buffer.from(pdf.bytes), 'scottish-parliament.pdf');
      expect(doc.pages.length).toBe(pdf.pageLines.length);
      const drawn = drawnPages(pdf.pageLines);
      doc.pages.forEach((page, i) => {
        expect(squash(doc.text.slice(page.charStart, page.charEnd)), `page ${page.number}`).toBe(drawn[i]);
      });
      expect(squash(doc.text)).toBe(squash([pdf.title!, ...pdf.paragraphs].join(' ')));
    });
  }

  it('warns about pages without a text layer, and refuses a PDF that has no text at all', async () => {
    const text = squadArticle('Sky_(United_Kingdom)');
    const mostlyScanned = await renderPdf(text.paragraphs.slice(0, 2), { textlessPages: [1, 2, 3] });
    const doc = await convertPdf(Buffer.from(mostlyScanned.bytes), 'mostly-scanned.pdf');
    expect(doc.pages.length).toBe(4);
    expect(doc.pages.slice(0, 3).every((p) => p.charEnd === p.charStart)).toBe(true);
    expect(doc.warnings.join(' ')).toMatch(/looks like a scan \(no text layer\) on 3 of 4 pages/u);

    const scan = await renderPdf([], { textlessPages: [1, 2] });
    const err = await failureOf(convertPdf(Buffer.from(scan.bytes), 'scan.pdf'));
    expect(err.kind).toBe('no_text_layer');
    expect(err.message).toMatch(/^scan\.pdf: looks like a scan \(no text layer\)/u);
  });

  it('reports a password-protected PDF as encrypted (the fixture opens with its password)', async () => {
    const plain = await renderPdf(article.paragraphs.slice(0, 3));
    const locked = await encryptPdf(plain.bytes, 'secret');
    const err = await failureOf(convertPdf(Buffer.from(locked), 'locked.pdf'));
    expect(err.kind).toBe('encrypted');
    expect(err.message).toBe('locked.pdf: the PDF is password-protected (encrypted); docqa cannot read it');
    // the fixture is a genuinely encrypted PDF: with the password, pdf.js reads the original text
    const opened = await pdfjs.getDocument({ data: new Uint8Array(locked), password: 'secret', verbosity: 0 }).promise;
    const items = (await (await opened.getPage(1)).getTextContent()).items;
    const text = items.map((i) => ('str' in i ? i.str : '')).join(' ');
    await opened.destroy();
    expect(squash(text)).toContain(plain.pageLines[0]![0]!);
  });

  it('reports empty, truncated, corrupt and non-PDF files by name, as corrupt or empty', async () => {
    const bytes = Buffer.from(single.bytes);
    const cases: [string, Buffer, string, RegExp][] = [
      ['empty.pdf', Buffer.alloc(0), 'empty', /empty file/u],
      ['text.pdf', Buffer.from('This is a text file with a .pdf extension.\n'), 'corrupt', /not a PDF/u],
      ['truncated.pdf', bytes.subarray(0, Math.floor(bytes.length / 2)), 'corrupt', /not a readable PDF|could be read/u],
      ['header-only.pdf', Buffer.from('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog'), 'corrupt', /not a readable PDF/u],
      ['garbage.pdf', Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251))]), 'corrupt', /not a readable PDF/u],
    ];
    for (const [name, data, kind, message] of cases) {
      const err = await failureOf(convertPdf(data, name));
      expect(err.kind, name).toBe(kind);
      expect(err.message.startsWith(`${name}: `), err.message).toBe(true);
      expect(err.message).toMatch(message);
    }
  });
});
