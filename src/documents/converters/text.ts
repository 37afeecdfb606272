import type { ConvertedDocument, Converter, Heading } from '../converter.js';
import { UnreadableDocumentError } from '../failure.js';
import { htmlToText } from '../html-text.js';
import { NestingTooDeepError, tooDeep } from '../nesting.js';

export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin-1';
}

/**
 * UTF-16 without a BOM: ASCII-heavy UTF-16 text has a NUL in every other byte. Returns the byte order, or null.
 * Binary files also have NULs, but not this regularly.
 */
function bomlessUtf16(data: Buffer): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(data.length, 4096) & ~1;
  if (n < 8) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (data[i] === 0) evenNul++;
    if (data[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  if (oddNul >= pairs * 0.9 && evenNul === 0) return 'utf-16le';
  if (evenNul >= pairs * 0.9 && oddNul === 0) return 'utf-16be';
  return null;
}

/**
 * Decodes text bytes: a BOM decides (UTF-8, UTF-16 LE/BE); UTF-16 without a BOM is recognised by its NUL
 * pattern; otherwise valid UTF-8 is UTF-8 and anything else is read as Latin-1 (WHATWG's "latin1" is
 * Windows-1252, the common case, and agrees with ISO-8859-1 on letters). Other NUL bytes or many control
 * characters mean the file is binary, whatever its extension.
 */
export function decodeText(data: Buffer, name: string): DecodedText {
  let decoded: DecodedText;
  const utf16 = bomlessUtf16(data);
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) {
    decoded = { text: new TextDecoder('utf-16le').decode(data.subarray(2)), encoding: 'utf-16le' };
  } else if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) {
    decoded = { text: new TextDecoder('utf-16be').decode(data.subarray(2)), encoding: 'utf-16be' };
  } else if (utf16) {
    decoded = { text: new TextDecoder(utf16).decode(data), encoding: utf16 };
  } else {
    const body = data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
    if (body.includes(0)) throw new UnreadableDocumentError(name, 'binary', 'binary file (contains NUL bytes), not text');
    try {
      decoded = { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
    } catch {
      decoded = { text: new TextDecoder('latin1').decode(body), encoding: 'latin-1' };
    }
  }
  const controls = decoded.text.match(/[\u0000-\u0008\u000e-\u001f\u007f]/gu)?.length ?? 0;
  if (controls > 0 && controls > decoded.text.length * 0.01) {
    throw new UnreadableDocumentError(name, 'binary', `binary file (${controls} control characters), not text`);
  }
  return { ...decoded, text: decoded.text.replace(/\r\n?/gu, '\n') };
}

/** ATX Markdown headings (`# Title`), with their positions in the text. */
export function markdownHeadings(text: string): Heading[] {
  const headings: Heading[] = [];
  let inFence = false;
  const re = /^.*$/gmu;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const line = m[0];
    if (/^\s*(```|~~~)/u.test(line)) inFence = !inFence;
    const h = !inFence && /^(#{1,6})\s+(.+?)\s*#*\s*$/u.exec(line);
    if (h) headings.push({ charStart: m.index, level: h[1]!.length, text: h[2]! });
    if (m[0].length === 0) re.lastIndex++;
  }
  return headings;
}

function emptyCheck(text: string, name: string, bytes: number): void {
  if (text.trim().length === 0) {
    throw new UnreadableDocumentError(name, 'empty', bytes === 0 ? 'empty file (0 bytes)' : 'no text (only whitespace)');
  }
}

async function convertText(data: Buffer, name: string, format: 'text' | 'markdown'): Promise<ConvertedDocument> {
  const { text, encoding } = decodeText(data, name);
  emptyCheck(text, name, data.length);
  return {
    text,
    pages: [],
    headings: format === 'markdown' ? markdownHeadings(text) : [],
    meta: { format, encoding },
    warnings: [],
  };
}

/** HTML: decoded like text, then reduced to its visible text (see html-text.ts); headings become context. */
async function convertHtml(data: Buffer, name: string): Promise<ConvertedDocument> {
  const { text: html, encoding } = decodeText(data, name);
  let converted;
  try {
    converted = htmlToText(html);
  } catch (err) {
    if (err instanceof NestingTooDeepError) throw tooDeep(name, err, 'the HTML');
    throw err;
  }
  const { text, headings, title } = converted;
  emptyCheck(text, name, data.length);
  return { text, pages: [], headings, meta: { format: 'html', encoding, ...(title ? { title } : {}) }, warnings: [] };
}

export const textConverter: Converter = {
  format: 'text',
  extensions: ['.txt', '.text'],
  mediaTypes: ['text/plain'],
  convert: (data, name) => convertText(data, name, 'text'),
};

export const markdownConverter: Converter = {
  format: 'markdown',
  extensions: ['.md', '.markdown'],
  mediaTypes: ['text/markdown', 'text/x-markdown'],
  convert: (data, name) => convertText(data, name, 'markdown'),
};

export const htmlConverter: Converter = {
  format: 'html',
  extensions: ['.html', '.htm', '.xhtml'],
  mediaTypes: ['text/html', 'application/xhtml+xml'],
  convert: convertHtml,
};
