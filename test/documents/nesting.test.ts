/**
 * Deep nesting fails fast (issue 16: the fuzzer's 5 timeouts were HTML and DOCX files nested up to 50,000 elements
 * deep, converted past the 10 s limit): HTML and a DOCX's XML parts nested deeper than MAX_NESTING_DEPTH are
 * 'corrupt', named, before a parser builds or walks the tree; up to the limit they convert as before. The shapes
 * are the fuzzer's own (test/reliability/helpers/fuzz.ts: deepNesting, deepXml).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH } from '../../src/config.js';
import { convertDocx } from '../../src/documents/converters/docx.js';
import { htmlConverter } from '../../src/documents/converters/text.js';
import { htmlToText } from '../../src/documents/html-text.js';
import { checkXmlNesting, NestingTooDeepError } from '../../src/documents/nesting.js';
import { renderDocx } from '../fixtures/documents/render.js';
import { makeZip, readZipEntries } from '../fixtures/documents/zip.js';
import { failureOf } from '../helpers/failure.js';

const nestedHtml = (tag: string, depth: number, closed: boolean) =>
  `<html><body><p>before</p>${`<${tag}>`.repeat(depth)}deep text${closed ? `</${tag}>`.repeat(depth) : ''}<p>after</p></body></html>`;

describe('HTML nesting bound', () => {
  it.each([
    ['div', true],
    ['div', false],
    ['b', false],
    ['table', true],
    ['ul', false],
    ['span', true],
  ])('<%s> nested 50,000 deep (closed: %s) is corrupt, naming the limit', async (tag, closed) => {
    const err = await failureOf(htmlConverter.convert(Buffer.from(nestedHtml(tag, 50_000, closed)), 'deep.html'));
    expect(err.kind).toBe('corrupt');
    expect(err.message).toContain('deep.html');
    expect(err.message).toContain(`nested more than ${MAX_NESTING_DEPTH} deep`);
    expect(err.message).toContain('MAX_NESTING_DEPTH');
    expect(err.code).toBe('bad_input'); // HTTP 400 naming the field file (src/api/errors.ts)
    expect(err.field).toBe('file');
  });

  it('converts up to the limit, and fails one element past it', async () => {
    const ok = await htmlConverter.convert(Buffer.from(nestedHtml('div', MAX_NESTING_DEPTH - 2, true)), 'ok.html');
    expect(ok.text).toContain('deep text');
    expect(ok.text).toContain('after');
    // html and body count too: limit - 2 divs inside them is exactly the limit
    expect(() => htmlToText(nestedHtml('div', MAX_NESTING_DEPTH - 1, true))).toThrow(NestingTooDeepError);
  });

  it('counts open elements, not tags: siblings, void elements and implied ends do not add up', () => {
    const many = '<p>one<br><img src=x>two'.repeat(5_000) + '<ul>' + '<li>item'.repeat(5_000) + '</ul>';
    const { text } = htmlToText(`<body>${many}</body>`, { maxDepth: 10 });
    expect(text.split('\n').filter((l) => l === 'item')).toHaveLength(5_000);
    expect(() => htmlToText('<div><div><div>x</div></div></div>', { maxDepth: 2 })).toThrow(NestingTooDeepError);
  });
});

describe('DOCX nesting bound', () => {
  let docx: Buffer;
  beforeAll(async () => {
    docx = await renderDocx({ title: 'Deep', sections: [{ heading: 'One', paragraphs: ['A paragraph of text.', 'Another one.'] }] });
  });
  const nestedDocx = (tag: string, depth: number, closed: boolean) =>
    makeZip(
      readZipEntries(docx).map((e) =>
        e.name === 'word/document.xml'
          ? {
              name: e.name,
              data: Buffer.from(
                e.data
                  .toString('utf8')
                  .replace('<w:body>', `<w:body>${`<${tag}>`.repeat(depth)}<w:t>deep</w:t>${closed ? `</${tag}>`.repeat(depth) : ''}`),
              ),
            }
          : e,
      ),
    );

  it.each([
    ['w:r', true],
    ['w:tbl', true],
    ['w:sdt', false],
    ['w:p', true],
    ['w:x', false],
  ])('document.xml with <%s> nested 50,000 deep (closed: %s) is corrupt, naming the part and the limit', async (tag, closed) => {
    const err = await failureOf(convertDocx(nestedDocx(tag, 50_000, closed), 'deep.docx'));
    expect(err.kind).toBe('corrupt');
    expect(err.message).toContain('deep.docx: word/document.xml has elements nested more than');
    expect(err.message).toContain('MAX_NESTING_DEPTH');
  });

  it('a DOCX nested 100 deep still converts', async () => {
    const doc = await convertDocx(nestedDocx('w:sdt', 100, true), 'fine.docx');
    expect(doc.text).toContain('A paragraph of text.');
  });

  it('checkXmlNesting counts XML elements (self-closing ones open and close at once)', () => {
    expect(() => checkXmlNesting('<a><b/><b/><c><d/></c></a>', 3)).not.toThrow();
    expect(() => checkXmlNesting('<a><b><c><d/></c></b></a>', 3)).toThrow(NestingTooDeepError);
  });
});
