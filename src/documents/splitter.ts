/**
 * Splits a document into overlapping, word-aligned passages that respect sentence boundaries where possible and
 * never cross a page boundary (so a passage's page is exact). Pure: text in, passages out.
 *
 * Guarantees (tested as properties):
 * - every passage is `text.slice(charStart, charEnd)`, starts and ends on a non-space character, is non-empty;
 * - no word is ever cut; every non-whitespace character of the text lies in at least one passage;
 * - consecutive passages of a page overlap by at most `overlap` words, and what lies between them is whitespace.
 */
import type { Page, Passage } from './document.js';
import { passageId } from './document.js';

export interface SplitOptions {
  /** Target passage length in words (a passage never exceeds it). */
  words: number;
  /** Words repeated from the end of one passage at the start of the next (whole sentences when they fit). */
  overlap: number;
}

interface Word {
  start: number;
  end: number;
}

interface Sentence {
  /** Index range [first, last] into the page's words. */
  first: number;
  last: number;
}

const SENTENCE_END = /[.!?…。！？]["'”’)\]]*$/u;
const ABBREVIATION = /^(?:[A-Z]|Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|vs|etc|e\.g|i\.e|cf|No|Fig|Vol|pp|ca)\.$/u;

function wordsOf(text: string, from: number, to: number): Word[] {
  const words: Word[] = [];
  const re = /\S+/gu;
  re.lastIndex = from;
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
    words.push({ start: Math.max(m.index, from), end: Math.min(m.index + m[0].length, to) });
  }
  return words;
}

/** Groups words into sentences: a sentence ends at terminal punctuation or at a blank line. */
function sentencesOf(text: string, words: Word[]): Sentence[] {
  const sentences: Sentence[] = [];
  let first = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = words[i + 1];
    const token = text.slice(w.start, w.end);
    const gap = next ? text.slice(w.end, next.start) : '';
    const paragraphBreak = /\n[^\S\n]*\n/u.test(gap);
    const terminal = SENTENCE_END.test(token) && !ABBREVIATION.test(token);
    if (!next || paragraphBreak || terminal) {
      sentences.push({ first, last: i });
      first = i + 1;
    }
  }
  return sentences;
}

/** Word index ranges [first, last] of the passages of one page. */
function passageRanges(sentences: Sentence[], options: SplitOptions): [number, number][] {
  // Sentences longer than a passage are cut into pieces first (never mid-word), leaving room for the overlap.
  const piece = Math.max(1, options.words - options.overlap);
  const units: Sentence[] = [];
  for (const s of sentences) {
    if (s.last - s.first + 1 <= options.words) {
      units.push(s);
      continue;
    }
    for (let first = s.first; first <= s.last; first += piece) {
      units.push({ first, last: Math.min(s.last, first + piece - 1) });
    }
  }
  const ranges: [number, number][] = [];
  let u = 0;
  while (u < units.length) {
    const first = units[u]!.first;
    let end = u;
    while (end + 1 < units.length && units[end + 1]!.last - first + 1 <= options.words) end++;
    const last = units[end]!.last;
    ranges.push([first, last]);
    if (end + 1 >= units.length) break;
    const following = units[end + 1]!;
    // Overlap: start the next passage at the earliest trailing whole sentence that fits in `overlap` words
    // and still leaves room for the next sentence, so every passage moves forward.
    let k = end + 1;
    while (
      k - 1 > u &&
      last - units[k - 1]!.first + 1 <= options.overlap &&
      following.last - units[k - 1]!.first + 1 <= options.words
    ) {
      k--;
    }
    if (k <= end) {
      u = k;
      continue;
    }
    // No whole sentence fits: repeat the last words instead.
    const repeat = Math.min(options.overlap, options.words - (following.last - following.first + 1), last - first);
    if (repeat > 0) units.splice(end + 1, 0, { first: last - repeat + 1, last });
    u = end + 1;
  }
  return ranges;
}

export function splitDocument(docId: string, text: string, pages: Page[], options: SplitOptions): Passage[] {
  if (options.words < 1) throw new RangeError('words must be at least 1');
  if (options.overlap < 0 || options.overlap >= options.words) throw new RangeError('overlap must be in [0, words)');
  const spans: { start: number; end: number; page: number | null }[] =
    pages.length > 0
      ? pages.map((p) => ({ start: p.charStart, end: p.charEnd, page: p.number }))
      : [{ start: 0, end: text.length, page: null }];
  const passages: Passage[] = [];
  for (const span of spans) {
    const words = wordsOf(text, span.start, span.end);
    if (words.length === 0) continue;
    for (const [first, last] of passageRanges(sentencesOf(text, words), options)) {
      const charStart = words[first]!.start;
      const charEnd = words[last]!.end;
      const seq = passages.length;
      passages.push({
        id: passageId(docId, seq),
        docId,
        text: text.slice(charStart, charEnd),
        charStart,
        charEnd,
        page: span.page,
        seq,
      });
    }
  }
  return passages;
}
