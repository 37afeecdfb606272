import { describe, expect, it } from 'vitest';
import { dehyphenate, findGutter, layoutPages, rowsOf, type PdfPageItems, type PdfTextItem } from '../../src/documents/pdf-layout.js';

const W = 600;
const H = 800;
const SIZE = 10;
/** An item of roughly realistic width: 5 units per character at size 10. */
const item = (text: string, x: number, y: number, size = SIZE): PdfTextItem => ({ text, x, y, width: text.length * size * 0.5, height: size });
const page = (number: number, items: PdfTextItem[]): PdfPageItems => ({ number, width: W, height: H, items });

/** Lines of a single text column starting at (x, y), 14 units apart. */
const column = (lines: string[], x: number, y: number) => lines.map((l, i) => item(l, x, y + i * 14));
const words = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} line ${i} of text`);

describe('PDF layout', () => {
  it('groups items on one baseline into a row, left to right, adding spaces only at gaps', () => {
    const rows = rowsOf([item('world', 100, 50.5), item('Hello', 50, 50), item('!', 125, 50), item('next', 50, 64)]);
    expect(rows).toHaveLength(2);
    const text = layoutPages([page(1, [item('world', 100, 50.5), item('Hello', 50, 50), item('!', 125, 50)])])[0]!.text;
    expect(text).toBe('Hello world!');
  });

  it('drops running headers and footers (digits ignored) but keeps a title that reads like the header', () => {
    const pages = [1, 2, 3].map((n) =>
      page(n, [
        item('Annual Report', 50, 30),
        ...(n === 1 ? [item('Annual Report', 50, 90, 16)] : []),
        ...column(words(`p${n}`, 5), 50, 120),
        item(`Page ${n} of 3`, 280, 780),
      ]),
    );
    const out = layoutPages(pages);
    expect(out[0]!.text.startsWith('Annual Report\n\np1 line 0')).toBe(true);
    for (const p of out) {
      expect(p.text).not.toMatch(/Page \d of 3/u);
      expect(p.droppedRows).toEqual(['Annual Report', `Page ${p.number} of 3`]);
    }
    // a single page has nothing that repeats: nothing is dropped
    expect(layoutPages([pages[1]!])[0]!.text).toMatch(/^Annual Report\n\n.*Page 2 of 3$/su);
  });

  it('reads two columns left then right, whether or not their baselines line up', () => {
    const left = column(words('L', 12), 50, 100);
    const alignedRight = column(words('R', 12), 320, 100);
    const offsetRight = column(words('R', 12), 320, 107);
    for (const right of [alignedRight, offsetRight]) {
      const rows = rowsOf([...left, ...right]);
      expect(findGutter(rows)).toBeGreaterThan(120);
      expect(findGutter(rows)).toBeLessThan(320);
      const [out] = layoutPages([page(1, [...right, ...left])]);
      expect(out!.columns).toBe(2);
      expect(out!.text).toBe([...words('L', 12), ''].join('\n') + '\n' + words('R', 12).join('\n'));
    }
  });

  it('keeps a row that crosses the gutter whole and in place (title, then columns, then a wide caption)', () => {
    const items = [
      item('A title that runs across the whole width of the page', 50, 60, 14),
      ...column(words('L', 8), 50, 100),
      ...column(words('R', 8), 320, 100),
      item('Figure 1: a caption as wide as both columns together, really', 50, 230),
      ...column(words('l', 6), 50, 260),
      ...column(words('r', 6), 320, 260),
    ];
    const [out] = layoutPages([page(1, items)]);
    expect(out!.text.split('\n\n')).toEqual([
      'A title that runs across the whole width of the page',
      words('L', 8).join('\n'),
      words('R', 8).join('\n'),
      'Figure 1: a caption as wide as both columns together, really',
      words('l', 6).join('\n'),
      words('r', 6).join('\n'),
    ]);
  });

  it('finds no gutter in single-column text, even with short lines', () => {
    const full = column(Array.from({ length: 10 }, () => 'a full line of text that crosses the middle of the page xx'), 50, 100);
    expect(findGutter(rowsOf(full))).toBeNull();
    const poem = column(['Short line', 'another one', 'and a third', 'the end'], 50, 100);
    expect(findGutter(rowsOf(poem))).toBeNull();
    expect(layoutPages([page(1, poem)])[0]!.columns).toBe(1);
  });

  it('finds no gutter, and throws nothing, when hostile positions make the text absurdly wide', () => {
    // found by the hostile-file fuzzer (test/reliability/fuzz.test.ts): an item at x = 1e83 threw a RangeError
    const rows = (far: number) => rowsOf([...column(words('l', 6), 50, 100), ...column(words('r', 6), far, 100)]);
    for (const far of [1e83, 1e8, 20_000, Infinity]) expect(findGutter(rows(far))).toBeNull();
    expect(layoutPages([page(1, [...column(words('l', 6), 50, 100), item('far', 1e83, 100)])])[0]!.text).toContain('far');
    expect(findGutter(rows(320))).not.toBeNull();
  });

  it('separates paragraphs at wide vertical gaps', () => {
    const items = [...column(['First paragraph', 'goes on.'], 50, 100), ...column(['Second one.'], 50, 150)];
    expect(layoutPages([page(1, items)])[0]!.text).toBe('First paragraph\ngoes on.\n\nSecond one.');
  });

  it('joins words hyphenated at line ends, keeping real hyphens', () => {
    expect(dehyphenate('the gover-\nnment of', new Set())).toBe('the government of');
    expect(dehyphenate('a well-\nknown fact', new Set(['well-known']))).toBe('a well-known fact');
    expect(dehyphenate('the Anglo-\nSaxon kings', new Set())).toBe('the Anglo-Saxon kings');
    expect(dehyphenate('soft\u00ad\nhyphen', new Set())).toBe('softhyphen');
    expect(dehyphenate('end of the left col-\n\numn goes on', new Set())).toBe('end of the left column goes on');
    expect(dehyphenate('ends with 1990-\n2000', new Set())).toBe('ends with 1990-\n2000');
    // end to end: "well-known" occurs within a line elsewhere, so the broken one keeps its hyphen
    const items = column(['a well-known case and a well-', 'known one, with hyphen-', 'ation undone.'], 50, 100);
    expect(layoutPages([page(1, items)])[0]!.text).toBe('a well-known case and a well-known one, with hyphenation undone.');
  });

  it('joins a word hyphenated across a page break on the page where it starts', () => {
    const out = layoutPages([page(1, column(['the last line of the gover-'], 50, 100)), page(2, column(['nment, said the first line.'], 50, 100))]);
    expect(out.map((p) => p.text)).toEqual(['the last line of the government,', 'said the first line.']);
  });

  it('turns form feeds and control characters inside items into spaces', () => {
    expect(layoutPages([page(1, [item('one\ftwo\u0007three', 50, 100)])])[0]!.text).toBe('one two three');
  });
});
