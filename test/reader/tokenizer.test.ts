import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/reader/model-folder.js';
import { codePointToUtf16, FIXTURES, readJson, ROOT } from './helpers.js';

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

describe.each(Object.entries(fixture.tokenizers))('tokenizer %s vs Hugging Face tokenizers', (_name, spec) => {
  it.each(spec.cases.map((c) => [JSON.stringify(c.text).slice(0, 50), c] as const))(
    'ids, offsets and words of %s',
    async (_label, c) => {
      const tokenizer = await loadTokenizer(path.join(ROOT, spec.dir));
      const got = tokenizer.encode(c.text);
      const toUtf16 = codePointToUtf16(c.text);
      expect(got.ids).toEqual(c.ids);
      expect(got.starts.map((s, i) => [s, got.ends[i]])).toEqual(
        c.offsets.map(([s, e]) => [toUtf16[s], toUtf16[e]]),
      );
      expect(got.words).toEqual(c.words);
    },
  );
});
