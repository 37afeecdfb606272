import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/reader/model-folder.js';
import { utf16Offsets, type PassageTokenizer } from '../../src/reader/tokenizer.js';
import { codePointToUtf16, FIXTURES, readJson, ROOT, TINY_BERT, TINY_ROBERTA, TINY_XLMR } from './helpers.js';

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
    async (_label, c) => {
      const got = await tokenizer.encode(c.text);
      const toUtf16 = codePointToUtf16(c.text);
      expect(got.ids).toEqual(c.ids);
      expect(got.starts.map((s, i) => [s, got.ends[i]])).toEqual(c.offsets.map(([s, e]) => [toUtf16[s], toUtf16[e]]));
      expect(got.words).toEqual(c.words);
    },
  );

  it('encodes many texts at once exactly as one by one', async () => {
    const texts = spec.cases.map((c) => c.text);
    const one = await Promise.all(texts.map((t) => tokenizer.encode(t)));
    expect(await tokenizer.encodeAll(texts)).toEqual(one);
    expect(await tokenizer.encodeAll([])).toEqual([]);
  });
});

/** Strings built from pieces that stress offsets, plus arbitrary Unicode. */
const tricky = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .array(
      fc.constantFrom(
        'a', 'Word', ' ', '  ', '\n', '\r\n', '\t', '\u00a0', '\u3000', '\u200b', '\ufeff', '\u0301', '\u0308',
        '\u00e9', 'e\u0301', '\u00c5', '\u0130', '\u03a3', '\u00df', '\ufb01', '\u{1F600}', '\u{1F44D}\u{1F3FD}',
        '\u{1F468}\u200d\u{1F469}', '\u{1D518}', '\u6771', '\u{20BB7}', '\ud55c', '...', '?!', '"', "'s", '-',
        '\u2014', '$1,000', '42', '\u0000', '\u0007', '\u0085', '<s>', '</s>', '[SEP]', '<mask>', 'x'.repeat(101),
        '\ud800', '\udc00',
      ),
      { maxLength: 25 },
    )
    .map((parts) => parts.join('')),
);

const WHITE_SPACE = /^\p{White_Space}$/u;
const PLAIN = /^[\p{L}\p{N}\p{P}\p{S}\p{Zs}\n\t]*$/u;

describe.each([
  ['bert-base-uncased', TINY_BERT, 'WordPiece'],
  ['roberta-base', TINY_ROBERTA, 'BPE'],
  ['xlm-roberta (SentencePiece Unigram)', TINY_XLMR, 'Unigram'],
] as const)('tokenizer %s offsets, on random text', (_name, dir, kind) => {
  let tokenizer: PassageTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(dir);
  });

  it('stay in bounds, are monotone, never split a surrogate pair, and cover every visible character', async () => {
    await fc.assert(
      fc.asyncProperty(tricky, async (text) => {
        const t = await tokenizer.encode(text);
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
          // BERT's normalizer drops control, format and private-use characters, U+FFFD (what a lone surrogate
          // becomes) and the marks that accent stripping removes; byte-level BPE drops only whitespace. SentencePiece's
          // Precompiled (nmt_nfkc) normalizer drops controls, format characters and U+FFFD and composes marks, and
          // its alignments then shift onto the dropped or composed characters (Python gives the same offsets):
          // coverage is checked on text without them
          const replaced = cp === 0xfffd || (cp >= 0xd800 && cp <= 0xdfff);
          const visible =
            kind === 'WordPiece'
              ? /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(ch) && !/^\p{M}+$/u.test(ch.normalize('NFD')) && !replaced
              : kind === 'Unigram'
                ? PLAIN.test(text) && !WHITE_SPACE.test(ch)
                : !WHITE_SPACE.test(ch);
          if (visible) expect(covered[i]).toBe(true);
          i += ch.length;
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('pair templates read from the library', () => {
  it.each([
    ['BERT: [CLS] q [SEP] c [SEP], token types 0 then 1', TINY_BERT, [[101, 0]], [[102, 0]], [[102, 1]], 0, 1, 101, 0],
    ['RoBERTa: <s> q </s></s> c </s>, token types all 0', TINY_ROBERTA, [[0, 0]], [[2, 0], [2, 0]], [[2, 0]], 0, 0, 0, 1],
    ['XLM-R: <s> q </s></s> c </s>, token types all 0', TINY_XLMR, [[0, 0]], [[2, 0], [2, 0]], [[2, 0]], 0, 0, 0, 1],
  ] as const)('%s', async (_name, dir, before, between, after, questionTypeId, contextTypeId, cls, pad) => {
    const tokenizer = await loadTokenizer(dir);
    const pairs = (ts: readonly { id: number; typeId: number }[]) => ts.map((t) => [t.id, t.typeId]);
    expect(pairs(tokenizer.template.beforeQuestion)).toEqual(before);
    expect(pairs(tokenizer.template.betweenQuestionAndContext)).toEqual(between);
    expect(pairs(tokenizer.template.afterContext)).toEqual(after);
    expect([tokenizer.template.questionTypeId, tokenizer.template.contextTypeId]).toEqual([questionTypeId, contextTypeId]);
    expect([tokenizer.clsTokenId, tokenizer.padTokenId]).toEqual([cls, pad]);
    expect(tokenizer.modelMaxLength).toBe(512);
  });
});

describe('code-point to UTF-16 offsets', () => {
  it('is the identity without astral characters, else counts surrogate pairs as one code point', () => {
    expect(utf16Offsets('plain text')).toBeUndefined();
    expect([...utf16Offsets('a\u{1F600}b')!]).toEqual([0, 1, 3, 4]);
    expect([...utf16Offsets('\ud800x\udc00')!]).toEqual([0, 1, 2, 3]); // lone surrogates: one each
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect([...(utf16Offsets(text) ?? codePointToUtf16(text))]).toEqual(codePointToUtf16(text));
      }),
    );
  });
});
