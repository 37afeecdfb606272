/**
 * Text normalizers that keep, for every normalized character, the range of original characters it came from
 * (Hugging Face tokenizers' NormalizedString alignments). Token offsets are read from these ranges, so they are
 * exact in the ORIGINAL text whatever the normalizer removed, split, lowercased or decomposed.
 */
import { ConfigError } from '../errors.js';
import { codePoints, isBertRemoved, isCjk, isMark, isNonspacingMark, isWhitespace } from './unicode.js';

export interface AlignedText {
  /** Normalized text as code points. */
  cps: number[];
  /** For each normalized code point, the original range [start, end) in UTF-16 code units. */
  starts: number[];
  ends: number[];
}

export type Normalizer = (text: AlignedText) => AlignedText;

export function alignedText(text: string): AlignedText {
  return codePoints(text);
}

/** Replace each code point by zero or more code points that keep its original range. */
function mapCodePoints(text: AlignedText, fn: (cp: number) => number | readonly number[] | null): AlignedText {
  const out: AlignedText = { cps: [], starts: [], ends: [] };
  for (let i = 0; i < text.cps.length; i++) {
    const r = fn(text.cps[i]!);
    if (r === null) continue;
    const s = text.starts[i]!;
    const e = text.ends[i]!;
    if (typeof r === 'number') {
      out.cps.push(r);
      out.starts.push(s);
      out.ends.push(e);
    } else {
      for (const cp of r) {
        out.cps.push(cp);
        out.starts.push(s);
        out.ends.push(e);
      }
    }
  }
  return out;
}

function toCodePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

const lowerCache = new Map<number, number | readonly number[]>();
/** Rust `char::to_lowercase`, one character at a time (no final-sigma context, unlike String#toLowerCase). */
export function lowercaseCodePoint(cp: number): number | readonly number[] {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  let r = lowerCache.get(cp);
  if (r === undefined) {
    const l = toCodePoints(String.fromCodePoint(cp).toLowerCase());
    r = l.length === 1 ? l[0]! : l;
    lowerCache.set(cp, r);
  }
  return r;
}

const decompositions = { NFD: new Map<number, number | readonly number[]>(), NFKD: new Map<number, number | readonly number[]>() };
function decompose(cp: number, form: 'NFD' | 'NFKD'): number | readonly number[] {
  if (cp < 0xa0) return cp;
  const cache = decompositions[form];
  let r = cache.get(cp);
  if (r === undefined) {
    const d = toCodePoints(String.fromCodePoint(cp).normalize(form));
    r = d.length === 1 ? d[0]! : d;
    cache.set(cp, r);
  }
  return r;
}

/**
 * NFD/NFKD with alignments. Characters decompose one by one (each piece keeps its character's range); where
 * canonical reordering moves marks, each mark keeps its own range (as tokenizers' alignments do).
 */
function decomposeAligned(text: AlignedText, form: 'NFD' | 'NFKD'): AlignedText {
  const out: AlignedText = { cps: [], starts: [], ends: [] };
  const n = text.cps.length;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && isMark(text.cps[j]!)) j++;
    const pieces: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let k = i; k < j; k++) {
      const d = decompose(text.cps[k]!, form);
      for (const cp of typeof d === 'number' ? [d] : d) {
        pieces.push(cp);
        starts.push(text.starts[k]!);
        ends.push(text.ends[k]!);
      }
    }
    if (j - i > 1) {
      const whole = toCodePoints(String.fromCodePoint(...text.cps.slice(i, j)).normalize(form));
      if (whole.length !== pieces.length || whole.some((cp, k) => cp !== pieces[k])) {
        // Canonical reordering moved marks: the result is a (stable) permutation of the pieces, so each output
        // character takes the range of the first unused piece with the same code point.
        const used = new Array<boolean>(pieces.length).fill(false);
        const order = whole.map((cp) => {
          const k = pieces.findIndex((p, idx) => !used[idx] && p === cp);
          if (k >= 0) used[k] = true;
          return k;
        });
        const permutation = whole.length === pieces.length && order.every((k) => k >= 0);
        whole.forEach((cp, k) => {
          out.cps.push(cp);
          out.starts.push(permutation ? starts[order[k]!]! : text.starts[i]!);
          out.ends.push(permutation ? ends[order[k]!]! : text.ends[j - 1]!);
        });
        i = j;
        continue;
      }
    }
    out.cps.push(...pieces);
    out.starts.push(...starts);
    out.ends.push(...ends);
    i = j;
  }
  return out;
}

const stripMarks = (text: AlignedText) => mapCodePoints(text, (cp) => (isNonspacingMark(cp) ? null : cp));

export interface BertNormalizerConfig {
  clean_text?: boolean;
  handle_chinese_chars?: boolean;
  strip_accents?: boolean | null;
  lowercase?: boolean;
}

/** tokenizers' BertNormalizer: clean text, space out CJK, strip accents (NFD, drop Mn), lowercase — in that order. */
export function bertNormalizer(config: BertNormalizerConfig): Normalizer {
  const clean = config.clean_text ?? true;
  const chinese = config.handle_chinese_chars ?? true;
  const lowercase = config.lowercase ?? true;
  const strip = config.strip_accents ?? lowercase;
  return (text) => {
    let t = text;
    if (clean) t = mapCodePoints(t, (cp) => (isBertRemoved(cp) ? null : isWhitespace(cp) ? 0x20 : cp));
    if (chinese) t = mapCodePoints(t, (cp) => (isCjk(cp) ? [0x20, cp, 0x20] : cp));
    if (strip) t = stripMarks(decomposeAligned(t, 'NFD'));
    if (lowercase) t = mapCodePoints(t, lowercaseCodePoint);
    return t;
  };
}

/** Build the aligned normalizer a tokenizer.json `normalizer` section describes (null: identity). */
export function createNormalizer(config: unknown): Normalizer {
  if (config === null || config === undefined) return (t) => t;
  const c = config as { type?: string } & Record<string, unknown>;
  switch (c.type) {
    case 'BertNormalizer':
      return bertNormalizer(c as BertNormalizerConfig);
    case 'Lowercase':
      return (t) => mapCodePoints(t, lowercaseCodePoint);
    case 'NFD':
      return (t) => decomposeAligned(t, 'NFD');
    case 'NFKD':
      return (t) => decomposeAligned(t, 'NFKD');
    case 'StripAccents':
      return stripMarks;
    case 'Sequence': {
      const steps = ((c.normalizers as unknown[]) ?? []).map(createNormalizer);
      return (t) => steps.reduce((acc, step) => step(acc), t);
    }
    default:
      throw new ConfigError(
        `tokenizer.json: normalizer "${String(c.type)}" is not supported by the reader ` +
          '(supported: BertNormalizer, Lowercase, NFD, NFKD, StripAccents, Sequence)',
      );
  }
}
