/**
 * PDF → text per page, through pdf.js (pdfjs-dist 5.4.296, the build pdf-parse 2.4.5 pins). pdf-parse itself is not
 * used: its getText() joins items in content-stream order and drops their positions, while column order and
 * header/footer detection need the positions, so this converter reads pdf.js text items itself and lays them out
 * with the pure pdf-layout module.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { errorMessage } from '../../errors.js';
import type { ConvertedDocument, Converter } from '../converter.js';
import type { Page } from '../document.js';
import { UnreadableDocumentError } from '../failure.js';
import { layoutPages, type PdfPageItems, type PdfTextItem } from '../pdf-layout.js';

/** Pages are joined by a blank line in the document text; each Page is a character range of it. */
export const PAGE_SEPARATOR = '\n\n';
/** A document whose pages are mostly empty probably is a scan without a text layer. */
const SCAN_SHARE = 0.5;

const PDFJS_DIR = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

function loadOptions(data: Buffer) {
  return {
    data: new Uint8Array(data), // a copy: pdf.js may take ownership of (detach) the buffer it is given
    verbosity: 0, // errors only
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    // the predefined CMaps are needed to read the text of CID-keyed fonts (CJK); standard fonts' metrics for widths
    cMapUrl: path.join(PDFJS_DIR, 'cmaps') + path.sep,
    cMapPacked: true,
    standardFontDataUrl: path.join(PDFJS_DIR, 'standard_fonts') + path.sep,
  };
}

function openError(name: string, err: unknown): UnreadableDocumentError {
  const kind = (err as { name?: string })?.name;
  if (kind === 'PasswordException') {
    return new UnreadableDocumentError(name, 'encrypted', 'the PDF is password-protected (encrypted); docqa cannot read it');
  }
  return new UnreadableDocumentError(name, 'corrupt', `not a readable PDF (${errorMessage(err)})`);
}

/** The positioned text items of one page, in page coordinates (y down, as pdf.js's viewport gives them). */
async function pageItems(doc: Pdfjs.PDFDocumentProxy, number: number): Promise<PdfPageItems> {
  const page = await doc.getPage(number);
  try {
    const viewport = page.getViewport({ scale: 1 });
    const content = await page.getTextContent();
    const items: PdfTextItem[] = [];
    for (const item of content.items) {
      if (!('str' in item) || item.str.length === 0) continue;
      const [x, y] = viewport.convertToViewportPoint(item.transform[4] as number, item.transform[5] as number) as [
        number,
        number,
      ];
      items.push({ text: item.str, x, y, width: item.width, height: item.height });
    }
    return { number, width: viewport.width, height: viewport.height, items };
  } finally {
    page.cleanup();
  }
}

export async function convertPdf(data: Buffer, name: string): Promise<ConvertedDocument> {
  if (data.length === 0) throw new UnreadableDocumentError(name, 'empty', 'empty file (0 bytes)');
  if (!data.subarray(0, 1024).includes('%PDF-')) {
    throw new UnreadableDocumentError(name, 'corrupt', 'not a PDF (no %PDF- header)');
  }
  // loaded on first use: processes that never see a PDF do not pay for pdf.js
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  let doc: Pdfjs.PDFDocumentProxy;
  try {
    doc = await pdfjs.getDocument(loadOptions(data)).promise;
  } catch (err) {
    throw openError(name, err);
  }
  const warnings: string[] = [];
  const meta: Record<string, string> = { format: 'pdf' };
  try {
    const pages: PdfPageItems[] = [];
    const unreadable: number[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      try {
        pages.push(await pageItems(doc, n));
      } catch (err) {
        if ((err as { name?: string })?.name === 'PasswordException') throw openError(name, err);
        unreadable.push(n);
        pages.push({ number: n, width: 0, height: 0, items: [] });
        warnings.push(`page ${n} could not be read (${errorMessage(err)}); it is left empty`);
      }
    }
    if (doc.numPages > 0 && unreadable.length === doc.numPages) {
      throw new UnreadableDocumentError(name, 'corrupt', `none of its ${doc.numPages} pages could be read`);
    }
    const title = await doc
      .getMetadata()
      .then((m) => (m.info as { Title?: unknown } | undefined)?.Title)
      .catch(() => undefined);
    if (typeof title === 'string' && title.trim().length > 0) meta.title = title.trim();
    return assemble(name, layoutPages(pages), meta, warnings);
  } finally {
    await doc.destroy();
  }
}

/** Joins page texts into the document text and records each page's character range. */
function assemble(
  name: string,
  laidOut: { number: number; text: string }[],
  meta: Record<string, string>,
  warnings: string[],
): ConvertedDocument {
  let text = '';
  const pages: Page[] = [];
  for (const p of laidOut) {
    if (pages.length > 0) text += PAGE_SEPARATOR;
    pages.push({ number: p.number, charStart: text.length, charEnd: text.length + p.text.length });
    text += p.text;
  }
  const empty = pages.filter((p) => text.slice(p.charStart, p.charEnd).trim().length === 0).length;
  if (pages.length > 0 && empty === pages.length) {
    throw new UnreadableDocumentError(
      name,
      'no_text_layer',
      `looks like a scan (no text layer): none of its ${pages.length} pages has text; run OCR on it first`,
    );
  }
  if (pages.length > 0 && empty / pages.length >= SCAN_SHARE) {
    warnings.push(`looks like a scan (no text layer) on ${empty} of ${pages.length} pages; those pages are not searchable`);
  }
  return { text, pages, headings: [], meta, warnings };
}

export const pdfConverter: Converter = {
  format: 'pdf',
  extensions: ['.pdf'],
  mediaTypes: ['application/pdf', 'application/x-pdf'],
  convert: convertPdf,
};
