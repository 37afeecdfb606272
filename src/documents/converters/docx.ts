/**
 * DOCX → text through mammoth: paragraphs and headings in document order (headings are kept as passage context),
 * tables as text (a row per line, cells separated by tabs), lists one item per line. Images are skipped without
 * being decoded, linked external files are never read, and the archive is checked for zip bombs first.
 * A DOCX has no fixed pages (pagination happens when Word lays it out), so its passages have no page number.
 */
import { errorMessage } from '../../errors.js';
import type { ConvertedDocument, Converter } from '../converter.js';
import { UnreadableDocumentError } from '../failure.js';
import { htmlToText } from '../html-text.js';
import { checkXmlNesting, NestingTooDeepError, tooDeep } from '../nesting.js';
import { checkZip, DEFAULT_ZIP_LIMITS, type ZipLimits } from '../zip-guard.js';

export async function convertDocx(data: Buffer, name: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ConvertedDocument> {
  if (data.length === 0) throw new UnreadableDocumentError(name, 'empty', 'empty file (0 bytes)');
  // XML parts nested deeper than MAX_NESTING_DEPTH fail here, before mammoth builds (and recurses over) their tree
  const xmlPart = /\.(xml|rels)$/iu;
  const entries = checkZip(data, name, limits, (entry, content) => {
    if (!xmlPart.test(entry.name)) return;
    try {
      checkXmlNesting(content.toString('utf8'));
    } catch (err) {
      if (err instanceof NestingTooDeepError) throw tooDeep(name, err, entry.name);
      throw err;
    }
  });
  if (!entries.some((e) => e.name === 'word/document.xml')) {
    throw new UnreadableDocumentError(name, 'corrupt', 'not a Word document (the archive has no word/document.xml)');
  }
  let html: string;
  const warnings: string[] = [];
  try {
    const { default: mammoth } = await import('mammoth'); // loaded on first use
    const result = await mammoth.convertToHtml(
      { buffer: data },
      {
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })), // images are never decoded
        ignoreEmptyParagraphs: true,
        externalFileAccess: false,
      },
    );
    html = result.value;
    for (const m of result.messages) if (m.type === 'error') warnings.push(m.message);
  } catch (err) {
    throw new UnreadableDocumentError(name, 'corrupt', `not a readable Word document (${errorMessage(err)})`);
  }
  let converted;
  try {
    converted = htmlToText(html, { preserveWhitespace: true });
  } catch (err) {
    if (err instanceof NestingTooDeepError) throw tooDeep(name, err, 'the Word document');
    throw err;
  }
  const { text, headings } = converted;
  const meta: Record<string, string> = { format: 'docx' };
  if (headings[0]?.level === 1) meta.title = headings[0].text;
  return { text, pages: [], headings, meta, warnings };
}

export const docxConverter: Converter = {
  format: 'docx',
  extensions: ['.docx'],
  mediaTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  convert: (data, name) => convertDocx(data, name),
};
