import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { convertPdf } from '../../src/documents/converters/pdf.js';

/** A PDF whose only text is one line near the top of each page (a slide deck of titles, a form with one field). */
async function oneLinePerPage(lines: string[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const line of lines) {
    const page = pdf.addPage([612, 792]);
    page.drawText(line, { x: 72, y: 792 - 60, size: 12, font });
  }
  return Buffer.from(await pdf.save());
}

describe('PDF scan detection (issue 16)', () => {
  it('accepts a PDF whose only text is one line near the top of each page, with the same words on every page', async () => {
    const lines = [1, 2, 3, 4].map((n) => `Inspection report ${n}: the north valve was replaced`);
    const doc = await convertPdf(await oneLinePerPage(lines), 'one-line.pdf');
    expect(doc.pages).toHaveLength(4);
    for (const [i, p] of doc.pages.entries()) expect(doc.text.slice(p.charStart, p.charEnd)).toBe(lines[i]);
    expect(doc.warnings.join(' ')).not.toMatch(/scan/u);
  });

  it('accepts one identical line per page', async () => {
    const doc = await convertPdf(await oneLinePerPage(['Confidential minutes', 'Confidential minutes', 'Confidential minutes']), 'same.pdf');
    expect(doc.text.split('\n\n')).toEqual(['Confidential minutes', 'Confidential minutes', 'Confidential minutes']);
  });
});
