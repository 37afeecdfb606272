/**
 * The micro-batcher's control flow with a fake runner that records its session runs: concurrent calls share runs,
 * runs are bounded and length-sorted, each call gets its own windows' logits back, a failed run fails only the
 * calls that had windows in it.
 */
import { describe, expect, it } from 'vitest';
import { createBatchingRunner, planRuns } from '../../src/reader/batcher.js';
import type { WindowLogits, WindowRunner } from '../../src/reader/session.js';
import type { Window } from '../../src/reader/windows.js';

/** A window whose first token id names it and whose length is `length`. */
const win = (name: number, length: number) => ({ inputIds: [name, ...Array(length - 1).fill(0)], typeIds: Array(length).fill(0) }) as unknown as Window;

function fakeRunner(failWhen: (ws: readonly Window[]) => boolean = () => false) {
  const runs: number[][] = [];
  const runner: WindowRunner = {
    async run(windows) {
      runs.push(windows.map((w) => w.inputIds[0]!));
      await new Promise((r) => setTimeout(r, 5));
      if (failWhen(windows)) throw new Error('session failed');
      // logits that identify the window: start = [name], end = [length]
      return windows.map((w): WindowLogits => ({ start: Float32Array.of(w.inputIds[0]!), end: Float32Array.of(w.inputIds.length) }));
    },
    async close() {},
  };
  return { runner, runs };
}

describe('planRuns', () => {
  it('sorts all windows longest first and cuts runs of at most maxBatch', () => {
    const calls = [[win(1, 10), win(2, 50)], [win(3, 30)], [win(4, 50), win(5, 5)]];
    const runs = planRuns(calls, 2).map((r) => r.map(([c, w]) => calls[c]![w]!.inputIds[0]));
    expect(runs).toEqual([[2, 4], [3, 1], [5]]);
  });
});

describe('createBatchingRunner', () => {
  it('joins calls that arrive within the wait into one session run, and hands each call its own logits', async () => {
    const { runner, runs } = fakeRunner();
    const batcher = createBatchingRunner(runner, { maxBatch: 16, maxWaitMs: 20 });
    const [a, b, c] = await Promise.all([
      batcher.run([win(1, 10), win(2, 40)]),
      batcher.run([win(3, 20)]),
      batcher.run([win(4, 30), win(5, 5)]),
    ]);
    expect(runs).toEqual([[2, 4, 3, 1, 5]]);
    expect(a!.map((l) => [l.start[0], l.end[0]])).toEqual([[1, 10], [2, 40]]);
    expect(b!.map((l) => l.start[0])).toEqual([3]);
    expect(c!.map((l) => l.start[0])).toEqual([4, 5]);
    expect(batcher.stats).toEqual({ runs: 1, windows: 5, calls: 3 });
  });

  it('never puts more than maxBatch windows in a run, and starts at once when a batch is full', async () => {
    const { runner, runs } = fakeRunner();
    const batcher = createBatchingRunner(runner, { maxBatch: 3, maxWaitMs: 60_000 });
    const out = await Promise.all([batcher.run([win(1, 9), win(2, 8)]), batcher.run([win(3, 7), win(4, 6)])]);
    expect(runs).toEqual([[1, 2, 3], [4]]);
    expect(out.flat().map((l) => l.start[0])).toEqual([1, 2, 3, 4]);
  });

  it('collects calls that arrive during a run into the next run', async () => {
    const { runner, runs } = fakeRunner();
    const batcher = createBatchingRunner(runner, { maxBatch: 16, maxWaitMs: 1 });
    const first = batcher.run([win(1, 5)]);
    await new Promise((r) => setTimeout(r, 3)); // the first run is in flight (the fake takes 5 ms)
    const later = await Promise.all([batcher.run([win(2, 5)]), batcher.run([win(3, 5)])]);
    await first;
    expect(runs).toEqual([[1], [2, 3]]);
    expect(later.map((o) => o[0]!.start[0])).toEqual([2, 3]);
  });

  it('a failed run fails the calls with windows in it; the others are answered', async () => {
    const { runner } = fakeRunner((ws) => ws.some((w) => w.inputIds[0] === 9));
    const batcher = createBatchingRunner(runner, { maxBatch: 2, maxWaitMs: 10 });
    const results = await Promise.all([
      batcher.run([win(9, 50), win(1, 49)]).catch((e: unknown) => (e as Error).message),
      batcher.run([win(2, 10), win(3, 9)]).then((o) => o.map((l) => l.start[0])),
    ]);
    expect(results).toEqual(['session failed', [2, 3]]);
    // and it keeps working
    expect((await batcher.run([win(4, 3)]))[0]!.start[0]).toBe(4);
  });

  it('answers an empty call at once without a run', async () => {
    const { runner, runs } = fakeRunner();
    expect(await createBatchingRunner(runner, { maxBatch: 4, maxWaitMs: 5 }).run([])).toEqual([]);
    expect(runs).toEqual([]);
  });
});

describe('micro-batching with a real fp32 ONNX model (tiny BERT fixture)', () => {
  it('gives exactly the unbatched spans and scores for concurrent reads of different questions', async () => {
    const { loadReader } = await import('../../src/reader/index.js');
    const { TINY_BERT } = await import('./helpers.js');
    const text =
      'The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France. ' +
      'They were descended from Norse raiders and pirates from Denmark, Iceland and Norway.';
    const asks = ['Where is Normandy?', 'Who were the Normans descended from?', 'When did the Normans name Normandy?', 'What is a region in France?'].map(
      (q, i) => ({ q, passages: [{ id: `a${i}`, text: text.repeat(i + 1) }, { id: `b${i}`, text }] }),
    );
    const options = { maxSeqLength: 48, docStride: 12 };
    const plain = await loadReader({ modelDir: TINY_BERT });
    const batched = await loadReader({ modelDir: TINY_BERT, batchWaitMs: 20, maxBatch: 8 });
    try {
      const expected = [];
      for (const a of asks) expected.push(await plain.read(a.q, a.passages, options));
      const got = await Promise.all(asks.map((a) => batched.read(a.q, a.passages, options)));
      const spans = (r: { spans: { text: string; charStart: number; passageId: string; score: number }[] }) =>
        r.spans.map((s) => [s.passageId, s.text, s.charStart, s.score.toFixed(5)]);
      expect(got.map(spans)).toEqual(expected.map(spans));
    } finally {
      await plain.close();
      await batched.close();
    }
  });
});
