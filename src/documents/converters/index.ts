import path from 'node:path';
import { UnsupportedMediaTypeError } from '../../errors.js';
import type { Converter } from '../converter.js';
import { docxConverter } from './docx.js';
import { pdfConverter } from './pdf.js';
import { htmlConverter, markdownConverter, textConverter } from './text.js';

/** Every converter docqa knows, in order of preference. Add a format by adding its converter here. */
export const CONVERTERS: readonly Converter[] = [pdfConverter, docxConverter, textConverter, markdownConverter, htmlConverter];

export function supportedExtensions(): string[] {
  return CONVERTERS.flatMap((c) => c.extensions);
}

/** The converter for a file name (by extension) or, failing that, a media type. */
export function converterFor(name: string, mediaType?: string): Converter {
  const ext = path.extname(name).toLowerCase();
  const byExt = CONVERTERS.find((c) => c.extensions.includes(ext));
  if (byExt) return byExt;
  const type = mediaType?.split(';')[0]?.trim().toLowerCase();
  const byType = type ? CONVERTERS.find((c) => c.mediaTypes.includes(type)) : undefined;
  if (byType) return byType;
  throw new UnsupportedMediaTypeError(
    `${name}: unsupported file type${ext ? ` '${ext}'` : ''}${type ? ` (${type})` : ''}; supported: ${supportedExtensions().join(', ')}`,
  );
}

/** The converter of a format name (as recorded in ConvertedDocument.meta.format). */
export function converterByFormat(format: string): Converter {
  const c = CONVERTERS.find((x) => x.format === format);
  if (!c) throw new UnsupportedMediaTypeError(`unknown document format '${format}'`);
  return c;
}
