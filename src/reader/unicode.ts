/**
 * Character classes exactly as Hugging Face's Rust `tokenizers` (0.22) sees them, so that docqa's tokenization
 * matches the Python fast tokenizers id for id and offset for offset.
 *
 * Where Rust and JavaScript disagree on purpose (not merely on Unicode versions), Rust wins:
 * - whitespace is Rust's `char::is_whitespace` (White_Space): it includes U+0085 and excludes U+FEFF, unlike `\s`;
 * - "control" characters removed by BertNormalizer's clean_text are the ranges Rust's tables give (probed from
 *   tokenizers 0.22 over every code point): Cc, Cf and Co, not Cn;
 * - the CJK ranges are the ones BertNormalizer spaces out (not every Han block).
 * Punctuation, letters, numbers and non-spacing marks use this runtime's Unicode tables (`\p{...}`); they differ
 * from Rust's only for characters assigned in recent Unicode versions (see docs/reader.md).
 */

const WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** The same set as a regular-expression class body (for the byte-level split pattern). */
export const WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Rust `char::is_whitespace`. */
export function isWhitespace(cp: number): boolean {
  return WHITESPACE.has(cp);
}

/** Code points BertNormalizer's clean_text drops (besides NUL and U+FFFD): Rust's Cc, Cf and Co minus \t \n \r. */
const CONTROL_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0, 0x8], [0xb, 0xc], [0xe, 0x1f], [0x7f, 0x9f], [0xad, 0xad], [0x600, 0x605], [0x61c, 0x61c], [0x6dd, 0x6dd],
  [0x70f, 0x70f], [0x180e, 0x180e], [0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x2064], [0x2066, 0x206f],
  [0xe000, 0xf8ff], [0xfeff, 0xfeff], [0xfff9, 0xfffb], [0xfffd, 0xfffd], [0x110bd, 0x110bd], [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a], [0xe0001, 0xe0001], [0xe0020, 0xe007f], [0xf0000, 0xffffd], [0x100000, 0x10fffd],
];

/** True for the characters BertNormalizer(clean_text) removes: NUL, U+FFFD and control/format/private-use. */
export function isBertRemoved(cp: number): boolean {
  return inRanges(CONTROL_RANGES, cp);
}

const CJK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xf900, 0xfaff], [0x20000, 0x2a6df], [0x2a700, 0x2b81f], [0x2b920, 0x2ceaf],
  [0x2f800, 0x2fa1f],
];

/** BertNormalizer's `handle_chinese_chars` set. */
export function isCjk(cp: number): boolean {
  return inRanges(CJK_RANGES, cp);
}

const PUNCTUATION = /^[\p{P}!-/:-@[-`{-~]$/u;

/** BertPreTokenizer's punctuation: ASCII punctuation (symbols included) or Unicode P*. */
export function isBertPunctuation(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x21 && cp <= 0x2f) || (cp >= 0x3a && cp <= 0x40) || (cp >= 0x5b && cp <= 0x60) || (cp >= 0x7b && cp <= 0x7e);
  return PUNCTUATION.test(String.fromCodePoint(cp));
}

const NONSPACING_MARK = /^\p{Mn}$/u;
const MARK = /^\p{M}$/u;

/** General category Mn (no mark is below U+0300). */
export function isNonspacingMark(cp: number): boolean {
  return cp >= 0x300 && NONSPACING_MARK.test(String.fromCodePoint(cp));
}

/** General category M (Mn, Mc, Me). */
export function isMark(cp: number): boolean {
  return cp >= 0x300 && MARK.test(String.fromCodePoint(cp));
}

function inRanges(ranges: ReadonlyArray<readonly [number, number]>, cp: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Code points of a JS string with their UTF-16 positions; a lone surrogate reads as U+FFFD (as TextEncoder does). */
export function codePoints(text: string): { cps: number[]; starts: number[]; ends: number[] } {
  const cps: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    let cp = c;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    if (width === 1 && c >= 0xd800 && c <= 0xdfff) cp = 0xfffd;
    cps.push(cp);
    starts.push(i);
    ends.push(i + width);
    i += width;
  }
  return { cps, starts, ends };
}
