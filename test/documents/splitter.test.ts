import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Page, Passage } from '../../src/documents/document.js';
import { splitDocument } from '../../src/documents/splitter.js';

function checkInvariants(text: string, pages: Page[], passages: Passage[], words: number, overlap: number) {
  const wordCount = (s: string) => (s.match(/\S+/gu) ?? []).length;
  passages.forEach((p, seq) => {
    expect(p.seq).toBe(seq);
    expect(p.id).toBe(`doc:${seq}`);
    expect(text.slice(p.charStart, p.charEnd)).toBe(p.text);
    expect(p.text.trim()).toBe(p.text);
    expect(p.text.length).toBeGreaterThan(0);
    expect(wordCount(p.text)).toBeLessThanOrEqual(words);
    // never cuts a word: the characters around the passage are whitespace or the text's/page's edge
    const page = pages.find((pg) => pg.number === p.page);
    const lo = page ? page.charStart : 0;
    const hi = page ? page.charEnd : text.length;
    if (p.charStart > lo) expect(text[p.charStart - 1]).toMatch(/\s/u);
    if (p.charEnd < hi) expect(text[p.charEnd]).toMatch(/\s/u);
    if (page) {
      expect(p.charStart).toBeGreaterThanOrEqual(page.charStart);
      expect(p.charEnd).toBeLessThanOrEqual(page.charEnd);
    } else {
      expect(p.page).toBeNull();
    }
  });
  // every non-space character is covered; passages of a page move forward; overlaps are bounded
  const covered = new Uint8Array(text.length);
  for (const p of passages) covered.fill(1, p.charStart, p.charEnd);
  for (let i = 0; i < text.length; i++) {
    if (!/\s/u.test(text[i]!)) {
      const inPage = pages.length === 0 || pages.some((pg) => i >= pg.charStart && i < pg.charEnd);
      if (inPage) expect(covered[i], `char ${i} ${JSON.stringify(text[i])}`).toBe(1);
    }
  }
  for (let i = 1; i < passages.length; i++) {
    const a = passages[i - 1]!;
    const b = passages[i]!;
    if (a.page !== b.page) continue;
    expect(b.charStart).toBeGreaterThan(a.charStart);
    expect(b.charEnd).toBeGreaterThan(a.charEnd);
    if (b.charStart < a.charEnd) {
      expect(wordCount(text.slice(b.charStart, a.charEnd))).toBeLessThanOrEqual(overlap);
    } else {
      expect(text.slice(a.charEnd, b.charStart).trim()).toBe('');
    }
  }
  // reassembling the passages minus their overlaps gives back the text (up to the whitespace between them)
  const squash = (s: string) => s.replace(/\s+/gu, ' ').trim();
  let rebuilt = '';
  let end = 0;
  for (const p of passages) {
    const from = Math.max(p.charStart, end);
    rebuilt += ' ' + p.text.slice(from - p.charStart);
    end = Math.max(end, p.charEnd);
  }
  const expected = pages.length === 0 ? text : pages.map((pg) => text.slice(pg.charStart, pg.charEnd)).join(' ');
  expect(squash(rebuilt)).toBe(squash(expected));
}


/**
 * Passages minus their overlaps, joined by the text between them, per page: this must give back exactly the
 * page's text from its first to its last non-space character.
 */
function reassembleExactly(text: string, pages: Page[], passages: Passage[]) {
  const spans = pages.length > 0 ? pages.map((p) => ({ number: p.number as number | null, start: p.charStart, end: p.charEnd })) : [{ number: null, start: 0, end: text.length }];
  for (const span of spans) {
    const own = passages.filter((p) => p.page === span.number);
    const body = text.slice(span.start, span.end);
    const first = body.search(/\S/u);
    if (first < 0) {
      expect(own).toEqual([]);
      continue;
    }
    const last = body.length - (body.length - body.trimEnd().length);
    let rebuilt = '';
    let end = own[0]!.charStart;
    for (const p of own) {
      if (p.charStart >= end) {
        expect(text.slice(end, p.charStart).trim()).toBe(''); // only whitespace is skipped between passages
        rebuilt += text.slice(end, p.charStart) + p.text;
      } else {
        rebuilt += p.text.slice(end - p.charStart); // the overlap is dropped, the rest appended
      }
      end = Math.max(end, p.charEnd);
    }
    expect(rebuilt).toBe(body.slice(first, last));
  }
}

describe('splitDocument', () => {
  it('keeps sentences whole and overlaps by whole sentences when they fit', () => {
    const text =
      'Alpha beta gamma. Delta epsilon zeta eta. Theta iota.\n\nKappa lambda mu nu xi. Omicron pi rho sigma tau upsilon.';
    const passages = splitDocument('doc', text, [], { words: 8, overlap: 3 });
    // S2 (4 words) does not fit in a 3-word overlap, so its last 3 words are repeated instead;
    // "Theta iota." fits whole and is repeated as a sentence.
    expect(passages.map((p) => p.text)).toEqual([
      'Alpha beta gamma. Delta epsilon zeta eta.',
      'epsilon zeta eta. Theta iota.',
      'Theta iota.\n\nKappa lambda mu nu xi.',
      'nu xi. Omicron pi rho sigma tau upsilon.',
    ]);
    const none = splitDocument('doc', text, [], { words: 8, overlap: 0 });
    expect(none.map((p) => p.text)).toEqual([
      'Alpha beta gamma. Delta epsilon zeta eta.',
      'Theta iota.\n\nKappa lambda mu nu xi.',
      'Omicron pi rho sigma tau upsilon.',
    ]);
    checkInvariants(text, [], none, 8, 0);
    checkInvariants(text, [], passages, 8, 3);
    const overlapping = splitDocument('doc', text, [], { words: 8, overlap: 4 });
    expect(overlapping.map((p) => p.text)).toEqual([
      'Alpha beta gamma. Delta epsilon zeta eta.',
      'Delta epsilon zeta eta. Theta iota.',
      'Theta iota.\n\nKappa lambda mu nu xi.',
      'nu xi. Omicron pi rho sigma tau upsilon.',
    ]);
    checkInvariants(text, [], overlapping, 8, 4);
  });

  it('splits a sentence longer than a passage without cutting words, overlapping by words', () => {
    const text = Array.from({ length: 25 }, (_, i) => `w${i}`).join(' ');
    const passages = splitDocument('doc', text, [], { words: 10, overlap: 2 });
    // pieces of words - overlap = 8 words, each following passage repeats the previous 2
    expect(passages.map((p) => p.text)).toEqual([
      'w0 w1 w2 w3 w4 w5 w6 w7',
      'w6 w7 w8 w9 w10 w11 w12 w13 w14 w15',
      'w14 w15 w16 w17 w18 w19 w20 w21 w22 w23',
      'w22 w23 w24',
    ]);
    checkInvariants(text, [], passages, 10, 2);
  });

  it('does not end a sentence at an abbreviation', () => {
    const text = 'Dr. Smith met Mr. Jones at noon. They talked.';
    const passages = splitDocument('doc', text, [], { words: 7, overlap: 0 });
    expect(passages[0]!.text).toBe('Dr. Smith met Mr. Jones at noon.');
  });

  it('never crosses a page and records the page', () => {
    const text = 'Page one has words.\fPage two has more words here.';
    const pages: Page[] = [
      { number: 1, charStart: 0, charEnd: 19 },
      { number: 2, charStart: 20, charEnd: text.length },
    ];
    const passages = splitDocument('doc', text, pages, { words: 50, overlap: 5 });
    expect(passages.map((p) => [p.page, p.text])).toEqual([
      [1, 'Page one has words.'],
      [2, 'Page two has more words here.'],
    ]);
    checkInvariants(text, pages, passages, 50, 5);
  });

  it('produces nothing for empty or whitespace-only text and skips empty pages', () => {
    expect(splitDocument('doc', '', [], { words: 5, overlap: 1 })).toEqual([]);
    expect(splitDocument('doc', ' \n\t  ', [], { words: 5, overlap: 1 })).toEqual([]);
    const pages: Page[] = [
      { number: 1, charStart: 0, charEnd: 3 },
      { number: 2, charStart: 3, charEnd: 8 },
    ];
    expect(splitDocument('doc', '   hello', pages, { words: 5, overlap: 1 }).map((p) => p.page)).toEqual([2]);
  });

  it('holds its invariants on arbitrary text (property)', () => {
    const token = fc.oneof(
      fc.constantFrom('the', 'Etna.', 'Dr.', 'end!', 'why?', '«quoted»', 'naïve', '🌋', '東京。', 'a', 'x-y', '...'),
      fc.string({ minLength: 1, maxLength: 6 }).map((s) => s.replace(/\s/gu, '') || 'z'),
    );
    const gap = fc.constantFrom(' ', '  ', '\n', '\n\n', '\t', ' \n \n ', '\u00a0', '\r\n');
    const doc = fc.array(fc.tuple(token, gap), { maxLength: 120 }).map((parts) => parts.map(([t, g]) => t + g).join(''));
    fc.assert(
      fc.property(doc, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 29 }), (text, words, ov) => {
        const overlap = Math.min(ov, words - 1);
        const passages = splitDocument('doc', text, [], { words, overlap });
        checkInvariants(text, [], passages, words, overlap);
        // pages: cut the same text into up to three pages at arbitrary points
        const cut1 = Math.floor(text.length / 3);
        const cut2 = Math.floor((2 * text.length) / 3);
        const pages: Page[] = [
          { number: 1, charStart: 0, charEnd: cut1 },
          { number: 2, charStart: cut1, charEnd: cut2 },
          { number: 3, charStart: cut2, charEnd: text.length },
        ];
        checkInvariants(text, pages, splitDocument('doc', text, pages, { words, overlap }), words, overlap);
      }),
      { numRuns: 300 },
    );
  });
  it('gives back each page exactly from its passages minus overlaps, with pages of any size (property)', () => {
    const word = fc.oneof(fc.constantFrom('a', 'the', 'Etna.', 'ok?', 'Dr.', '“quote”', '東京。', 'x-y', 'é'), fc.stringMatching(/^[a-z]{1,8}[.,!?]?$/u));
    const gap = fc.constantFrom(' ', '\n', '\n\n', '  ', '\t', '\n\f\n');
    const text = fc.array(fc.tuple(word, gap), { maxLength: 150 }).map((parts) => parts.map(([w, g]) => w + g).join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 5 }), fc.integer({ min: 1, max: 40 }), fc.nat(39), (t, cutSeeds, words, ov) => {
        const overlap = Math.min(ov, words - 1);
        // pages: arbitrary cut points (possibly equal: empty pages), numbered from 1
        const cuts = [...new Set(cutSeeds.map((c) => (t.length === 0 ? 0 : c % (t.length + 1))))].sort((a, b) => a - b);
        const bounds = [0, ...cuts, t.length];
        const pages: Page[] = bounds.slice(1).map((end, i) => ({ number: i + 1, charStart: bounds[i]!, charEnd: end }));
        for (const pg of [[], pages]) {
          const passages = splitDocument('doc', t, pg, { words, overlap });
          checkInvariants(t, pg, passages, words, overlap);
          reassembleExactly(t, pg, passages);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('splits text without any sentence end into passages of at most `words` words (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,6}$/u), { minLength: 1, maxLength: 400 }), fc.integer({ min: 2, max: 50 }), (ws, words) => {
        const text = ws.join(' ');
        const overlap = Math.floor(words / 4);
        const passages = splitDocument('doc', text, [], { words, overlap });
        expect(passages.length).toBeGreaterThanOrEqual(Math.ceil(ws.length / words));
        checkInvariants(text, [], passages, words, overlap);
        reassembleExactly(text, [], passages);
      }),
      { numRuns: 200 },
    );
  });
});
