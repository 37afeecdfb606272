import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { converterFor } from '../../src/documents/converters/index.js';
import { collectFiles } from '../../src/ingest/files.js';
import { CORPUS } from '../helpers/services.js';
import { squadArticle } from '../fixtures/documents/render.js';

const squash = (s: string) => s.replace(/\s+/gu, ' ').trim();

describe('the sample corpus', () => {
  it('has every file listed in SOURCES, in all three formats', async () => {
    const sources = fs.readFileSync(path.join(CORPUS, 'SOURCES'), 'utf8');
    const { files, unsupported } = await collectFiles([CORPUS]);
    expect(unsupported).toBe(1); // SOURCES itself
    expect(new Set(files.map((f) => path.extname(f.name)))).toEqual(new Set(['.txt', '.md', '.pdf', '.docx']));
    for (const f of files) expect(sources).toContain(`| ${f.name} |`);
  });

  it('converts its PDF and DOCX files back to the SQuAD paragraphs they were made from', async () => {
    for (const [file, title] of [
      ['steam-engine.pdf', 'Steam_engine'],
      ['huguenot.pdf', 'Huguenot'],
      ['normans.docx', 'Normans'],
    ] as const) {
      const article = squadArticle(title);
      const doc = await converterFor(file).convert(fs.readFileSync(path.join(CORPUS, file)), file);
      expect(squash(doc.text), file).toBe(squash([article.title, ...article.paragraphs].join(' ')));
      expect(doc.warnings).toEqual([]);
      if (file.endsWith('.pdf')) expect(doc.pages.length).toBe(8);
    }
  });
});
