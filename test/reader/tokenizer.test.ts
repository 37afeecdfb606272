import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/reader/model-folder.js';
import type { PassageTokenizer } from '../../src/reader/tokenizer.js';
import { isBertRemoved, isWhitespace } from '../../src/reader/unicode.js';
import { codePointToUtf16, FIXTURES, readJson, ROOT, TINY_BERT, TINY_ROBERTA } from './helpers.js';

interface EncodingCase {
  text: string;
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  words: (number | null)[];
}
interface EncodingsFixture {
  tokenizers: Record<string, { dir: string; cases: EncodingCase[] }>;
}

const fixture = readJson<EncodingsFixture>(path.join(FIXTURES, 'tokenizer-offsets', 'encodings.json'));

describe.each(Object.entries(fixture.tokenizers))('tokenizer %s vs Hugging Face tokenizers (Python)', (_name, spec) => {
  let tokenizer: PassageTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(path.join(ROOT, spec.dir));
  });

  it.each(spec.cases.map((c) => [JSON.stringify(c.text).slice(0, 50), c] as const))(
    'ids, offsets and words of %s',
    (_label, c) => {
      const got = tokenizer.encode(c.text);
      const toUtf16 = codePointToUtf16(c.text);
      expect(got.ids).toEqual(c.ids);
      expect(got.starts.map((s, i) => [s, got.ends[i]])).toEqual(c.offsets.map(([s, e]) => [toUtf16[s], toUtf16[e]]));
      expect(got.words).toEqual(c.words);
    },
  );
});

/** Strings built from pieces that stress offsets, plus arbitrary Unicode. */
const tricky = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .array(
      fc.constantFrom(
        'a', 'Word', ' ', '  ', '\n', '\r\n', '\t', '\u00a0', '\u3000', '\u200b', '\ufeff', '\u0301', '\u0308',
        '\u00e9', 'e\u0301', '\u00c5', '\u0130', '\u03a3', '\u00df', '\ufb01', '\U0001F600', '\U0001F44D\U0001F3FD',
        '\U0001F468\u200d\U0001F469', '\U0001D518', '\u6771', '\U00020BB7', '\ud55c', '...', '?!', '"', "'s", '-',
        '\u2014', '$1,000', '42', '\u0000', '\u0007', '\u0085', '<s>', '</s>', '[SEP]', '<mask>', 'x'.repeat(101),
        '\ud800', '\udc00',
      ),
      { maxLength: 25 },
    )
    .map((parts) => parts.join('')),
);

describe.each([
  ['bert-base-uncased', TINY_BERT, 'WordPiece'],
  ['roberta-base', TINY_ROBERTA, 'BPE'],
] as const)('tokenizer %s offsets, on random text', (_name, dir, kind) => {
  let tokenizer: PassageTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(dir);
  });

  it('stay in bounds, are monotone, never split a surrogate pair, and cover every visible character', () => {
    fc.assert(
      fc.property(tricky, (text) => {
        const t = tokenizer.encode(text);
        expect(t.starts.length).toBe(t.ids.length);
        expect(t.ends.length).toBe(t.ids.length);
        expect(t.words.length).toBe(t.ids.length);
        const isLow = (i: number) => i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i]!) && /[\ud800-\udbff]/.test(text[i - 1]!);
        const covered = new Array<boolean>(text.length).fill(false);
        for (let i = 0; i < t.ids.length; i++) {
          const s = t.starts[i]!;
          const e = t.ends[i]!;
          expect(s).toBeGreaterThanOrEqual(0);
          expect(e).toBeGreaterThanOrEqual(s);
          expect(e).toBeLessThanOrEqual(text.length);
          expect(isLow(s) || isLow(e)).toBe(false);
          if (i > 0) {
            expect(s).toBeGreaterThanOrEqual(t.starts[i - 1]!);
            expect(e).toBeGreaterThanOrEqual(t.ends[i - 1]!);
            expect(t.words[i]! - t.words[i - 1]!).toBeGreaterThanOrEqual(0);
          }
          for (let k = s; k < e; k++) covered[k] = true;
        }
        let i = 0;
        for (const ch of text) {
          const cp = ch.codePointAt(0)!;
          const visible =
            kind === 'BPE'
              ? !isWhitespace(cp)
              : /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(ch) &&
                !/^\p{M}+$/u.test(ch.normalize('NFD')) &&
                !isBertRemoved(cp) &&
                !(cp >= 0xd800 && cp <= 0xdfff);
          if (visible) expect(covered[i]).toBe(true);
          i += ch.length;
        }
      }),
      { numRuns: 400 },
    );
  });

  it('give the ids transformers.js itself gives, on ordinary text', () => {
    const json = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    const config = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    const reference = new PreTrainedTokenizer(json, config);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 80 }), (text) => {
        expect(tokenizer.encode(text).ids).toEqual(reference.encode(text, { add_special_tokens: false }));
      }),
      { numRuns: 300 },
    );
  });
});
