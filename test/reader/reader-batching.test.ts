/**
 * The reader's composition with a recording fake runner (no model): how windows are batched, and that results
 * do not depend on the batch size.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/reader/model-folder.js';
import { createReader } from '../../src/reader/reader.js';
import type { WindowLogits, WindowRunner } from '../../src/reader/session.js';
import type { PassageTokenizer } from '../../src/reader/tokenizer.js';
import type { Window } from '../../src/reader/windows.js';
import { TINY_BERT } from './helpers.js';

/** Logits that depend only on the window's own tokens (a stand-in model, insensitive to padding). */
function fakeLogits(w: Window): WindowLogits {
  const f = (salt: number) => Float32Array.from(w.inputIds, (id, p) => Math.sin(id * 12.9898 + p * 78.233 + salt) * 4);
  return { start: f(1), end: f(2) };
}

function recordingRunner(): WindowRunner & { batches: Window[][] } {
  const batches: Window[][] = [];
  return {
    batches,
    run: async (windows) => {
      batches.push([...windows]);
      return windows.map(fakeLogits);
    },
    close: async () => {},
  };
}

const TEXT =
  'The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France. ' +
  'They were descended from Norse raiders and pirates from Denmark, Iceland and Norway. ';

describe('reader batching', () => {
  let tokenizer: PassageTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(TINY_BERT);
  });
  const model = { name: 'fake', version: 'test', dir: '/fake', file: 'model.onnx' };
  const passages = [
    { id: 'a', text: TEXT.repeat(6) },
    { id: 'b', text: '' },
    { id: 'c', text: TEXT },
    { id: 'd', text: TEXT.repeat(3) },
  ];
  const options = { maxSeqLength: 48, docStride: 12 };

  it('runs every window of every passage exactly once, in batches of at most batchSize, longest first', async () => {
    for (const batchSize of [1, 4, 7, 1000]) {
      const runner = recordingRunner();
      const reader = createReader({ model, tokenizer, runner });
      const result = await reader.read('Where is Normandy?', passages, { ...options, batchSize });
      const ran = runner.batches.flat();
      expect(ran.length).toBe(result.windows);
      expect(runner.batches.length).toBe(Math.ceil(result.windows / batchSize));
      expect(runner.batches.every((b) => b.length <= batchSize)).toBe(true);
      expect(new Set(ran).size).toBe(ran.length);
      expect(new Set(ran.map((w) => `${w.passage}:${w.index}`)).size).toBe(ran.length);
      for (let i = 1; i < ran.length; i++) expect(ran[i]!.inputIds.length).toBeLessThanOrEqual(ran[i - 1]!.inputIds.length);
      expect(ran.some((w) => w.passage === 1)).toBe(false); // the empty passage is not run
    }
  });

  it('gives identical readings whatever the batch size', async () => {
    const read = (batchSize: number) =>
      createReader({ model, tokenizer, runner: recordingRunner() }).read('Where is Normandy?', passages, { ...options, batchSize });
    const one = await read(1);
    for (const batchSize of [2, 5, 1000]) {
      const other = await read(batchSize);
      expect(other.passages).toEqual(one.passages);
      expect(other.spans).toEqual(one.spans);
    }
  });
});
