import { BadInputError } from '../../errors.js';
import type { ConvertedDocument, Converter, Heading } from '../converter.js';

export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin-1';
}

/**
 * Decodes text bytes: a BOM decides (UTF-8, UTF-16 LE/BE); otherwise valid UTF-8 is UTF-8 and anything else is
 * read as Latin-1 (Windows-1252 is the common case and agrees on letters). NUL bytes or many control characters
 * mean the file is binary, whatever its extension.
 */
export function decodeText(data: Buffer, name: string): DecodedText {
  let decoded: DecodedText;
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) {
    decoded = { text: new TextDecoder('utf-16le').decode(data.subarray(2)), encoding: 'utf-16le' };
  } else if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) {
    decoded = { text: new TextDecoder('utf-16be').decode(data.subarray(2)), encoding: 'utf-16be' };
  } else {
    const body = data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
    if (body.includes(0)) throw new BadInputError(`${name}: binary file (contains NUL bytes), not text`, 'file');
    try {
      decoded = { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
    } catch {
      decoded = { text: new TextDecoder('latin1').decode(body), encoding: 'latin-1' };
    }
  }
  const controls = decoded.text.match(/[\u0000-\u0008\u000e-\u001f\u007f]/gu)?.length ?? 0;
  if (controls > 0 && controls > decoded.text.length * 0.01) {
    throw new BadInputError(`${name}: binary file (${controls} control characters), not text`, 'file');
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

async function convertText(data: Buffer, name: string, format: 'text' | 'markdown'): Promise<ConvertedDocument> {
  const { text, encoding } = decodeText(data, name);
  return {
    text,
    pages: [],
    headings: format === 'markdown' ? markdownHeadings(text) : [],
    meta: { format, encoding },
    warnings: text.trim().length === 0 ? ['document has no text'] : [],
  };
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
