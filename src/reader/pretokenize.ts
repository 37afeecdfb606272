/**
 * Pre-tokenizers (the "words" that the subword model then splits), on aligned text so that each word keeps the
 * original range of every character. They follow Hugging Face tokenizers' Rust implementations.
 */
import { ConfigError } from '../errors.js';
import type { AlignedText } from './normalize.js';
import { isBertPunctuation, isWhitespace, WHITESPACE_CLASS } from './unicode.js';

/** One pre-token: a slice of the normalized text with its alignments. */
export type Word = AlignedText;

export interface PreTokenizer {
  split(words: Word[]): Word[];
  /** True when the words are byte-level encoded before the subword model (GPT-2/RoBERTa). */
  readonly byteLevel: boolean;
  /** ByteLevel's add_prefix_space (used again when trimming offsets). */
  readonly addPrefixSpace: boolean;
}

function slice(w: Word, from: number, to: number): Word {
  return { cps: w.cps.slice(from, to), starts: w.starts.slice(from, to), ends: w.ends.slice(from, to) };
}

/** Split a word with a global regular expression; unmatched text is dropped (the patterns cover what they keep). */
function splitByRegex(w: Word, pattern: RegExp): Word[] {
  const text = String.fromCodePoint(...w.cps);
  // UTF-16 index -> code point index
  const cpAt: number[] = new Array(text.length + 1);
  let k = 0;
  for (let i = 0; i < text.length; k++) {
    cpAt[i] = k;
    const width = w.cps[k]! > 0xffff ? 2 : 1;
    if (width === 2) cpAt[i + 1] = k;
    i += width;
  }
  cpAt[text.length] = k;
  const out: Word[] = [];
  pattern.lastIndex = 0;
  for (const m of text.matchAll(pattern)) {
    if (m[0].length === 0) continue;
    out.push(slice(w, cpAt[m.index]!, cpAt[m.index + m[0].length]!));
  }
  return out;
}

/** Split on whitespace (dropped) and isolate each punctuation character: BertPreTokenizer. */
function bertSplit(w: Word): Word[] {
  const out: Word[] = [];
  let start = -1;
  for (let i = 0; i <= w.cps.length; i++) {
    const cp = i < w.cps.length ? w.cps[i]! : 0x20;
    const space = isWhitespace(cp);
    const punct = !space && isBertPunctuation(cp);
    if (space || punct) {
      if (start >= 0) out.push(slice(w, start, i));
      start = -1;
      if (punct) out.push(slice(w, i, i + 1));
    } else if (start < 0) {
      start = i;
    }
  }
  return out;
}

function whitespaceSplit(w: Word): Word[] {
  const out: Word[] = [];
  let start = -1;
  for (let i = 0; i <= w.cps.length; i++) {
    const space = i === w.cps.length || isWhitespace(w.cps[i]!);
    if (space) {
      if (start >= 0) out.push(slice(w, start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  return out;
}

const S = `[${WHITESPACE_CLASS}]`;
const NOT_S = `[^${WHITESPACE_CLASS}]`;
/** GPT-2's split pattern with Rust's notion of whitespace. */
export const BYTE_LEVEL_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WHITESPACE_CLASS}\\p{L}\\p{N}]+|${S}+(?!${NOT_S})|${S}+`,
  'gu',
);
const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const WHITESPACE_PATTERN = new RegExp(`[${WORD}]+|[^${WORD}${WHITESPACE_CLASS}]+`, 'gu');

interface Step {
  split(w: Word): Word[];
  byteLevel?: boolean;
  addPrefixSpace?: boolean;
}

function step(config: unknown): Step {
  const c = (config ?? {}) as { type?: string } & Record<string, unknown>;
  switch (c.type) {
    case 'BertPreTokenizer':
      return { split: bertSplit };
    case 'WhitespaceSplit':
      return { split: whitespaceSplit };
    case 'Whitespace':
      return { split: (w) => splitByRegex(w, WHITESPACE_PATTERN) };
    case 'ByteLevel': {
      const addPrefixSpace = c.add_prefix_space === true;
      const useRegex = c.use_regex !== false;
      return {
        byteLevel: true,
        addPrefixSpace,
        split: (w) => {
          let word = w;
          if (addPrefixSpace && word.cps.length > 0 && word.cps[0] !== 0x20) {
            // tokenizers' prepend: the added space aligns with the character it precedes
            word = {
              cps: [0x20, ...word.cps],
              starts: [word.starts[0]!, ...word.starts],
              ends: [word.ends[0]!, ...word.ends],
            };
          }
          return useRegex ? splitByRegex(word, BYTE_LEVEL_PATTERN) : word.cps.length > 0 ? [word] : [];
        },
      };
    }
    default:
      throw new ConfigError(
        `tokenizer.json: pre_tokenizer "${String(c.type)}" is not supported by the reader ` +
          '(supported: BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Sequence)',
      );
  }
}

/** Build the pre-tokenizer a tokenizer.json `pre_tokenizer` section describes (null: the whole text is one word). */
export function createPreTokenizer(config: unknown): PreTokenizer {
  const c = config as ({ type?: string } & Record<string, unknown>) | null | undefined;
  const steps: Step[] =
    c === null || c === undefined
      ? []
      : c.type === 'Sequence'
        ? ((c.pretokenizers as unknown[]) ?? []).map(step)
        : [step(c)];
  const byteIndex = steps.findIndex((s) => s.byteLevel);
  if (byteIndex >= 0 && byteIndex !== steps.length - 1) {
    throw new ConfigError('tokenizer.json: a ByteLevel pre-tokenizer is supported only as the last step');
  }
  return {
    byteLevel: byteIndex >= 0,
    addPrefixSpace: byteIndex >= 0 && steps[byteIndex]!.addPrefixSpace === true,
    split: (words) =>
      steps.reduce((acc, s) => acc.flatMap((w) => s.split(w)), words.filter((w) => w.cps.length > 0)),
  };
}
