import { describe, expect, it } from 'vitest';
import { forEachConcurrent, mapConcurrent } from '../../src/util/concurrency.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapConcurrent', () => {
  it('keeps the order of the items and never runs more than asked at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const out = await mapConcurrent(
      [5, 1, 4, 2, 3],
      2,
      async (n) => {
        running++;
        most = Math.max(most, running);
        await sleep(n);
        running--;
        return n * 10;
      },
      (d) => done.push(d),
    );
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
    expect(done).toEqual([1, 2, 3, 4, 5]);
  });

  it('handles no items and a concurrency above the item count', async () => {
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
    expect(await mapConcurrent([1, 2], 64, async (n) => n + 1)).toEqual([2, 3]);
  });
});

describe('forEachConcurrent', () => {
  it('after an error starts nothing new, lets the calls in flight finish, then throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachConcurrent([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('one');
      await sleep(20);
      finished.push(n);
    });
    await expect(run).rejects.toThrow('one');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([0]);
  });

  it('stops taking items once the signal aborts and says how many it started', async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    const started = await forEachConcurrent(
      [0, 1, 2, 3, 4, 5],
      1,
      async (n) => {
        seen.push(n);
        if (n === 2) stop.abort();
      },
      { signal: stop.signal },
    );
    expect(seen).toEqual([0, 1, 2]);
    expect(started).toBe(3);
  });
});
