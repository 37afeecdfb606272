import { describe, expect, it } from 'vitest';
import { histogram, pairedBootstrap, percentile, prng, shuffled, signTest } from '../../src/eval/stats.js';

describe('percentile (linear interpolation between closest ranks)', () => {
  it('interpolates at (n - 1) * q / 100', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    // position 3 * 0.95 = 2.85 between 3 and 4
    expect(percentile([1, 2, 3, 4], 95)).toBeCloseTo(3.85, 12);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('histogram', () => {
  it('puts the upper edge and values outside the range into the outer bins', () => {
    expect(histogram([0, 0.1, 0.5, 1, 1.5, -1], 2, 0, 1)).toEqual({ edges: [0, 0.5, 1], counts: [3, 3] });
  });
});

describe('seeded randomness', () => {
  it('is reproducible and a shuffle is a permutation', () => {
    const a = prng(42);
    const b = prng(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s = shuffled(items, 7);
    expect(s).toEqual(shuffled(items, 7));
    expect(s).not.toEqual(items);
    expect([...s].sort((x, y) => x - y)).toEqual(items);
  });
});

describe('signTest (exact, two-sided)', () => {
  it('matches binomial tails worked by hand', () => {
    expect(signTest(0, 5)).toBeCloseTo(2 / 32, 12);
    // P(X <= 2 | n = 10) = (1 + 10 + 45) / 1024
    expect(signTest(8, 2)).toBeCloseTo((2 * 56) / 1024, 12);
    expect(signTest(5, 5)).toBe(1);
    expect(signTest(0, 0)).toBe(1);
  });

  it('stays exact for thousands of questions', () => {
    // 2 * sum(comb(5000, i) for i in range(2401)) / 2**5000 in Python's exact integers: 0.004883649737517518
    expect(signTest(2600, 2400)).toBeCloseTo(0.004883649737517518, 12);
  });
});

describe('pairedBootstrap', () => {
  it('no difference: mean 0, p = 1', () => {
    const a = [0, 1, 0.5, 1, 0];
    const r = pairedBootstrap(a, a, { resamples: 200, seed: 3 });
    expect(r.meanDifference).toBe(0);
    expect(r.pValue).toBe(1);
    expect(r.ci95).toEqual([0, 0]);
  });

  it('a constant improvement is certain: p = 0 and the interval is the improvement', () => {
    const a = [0, 0.5, 0.25, 0];
    const r = pairedBootstrap(a, a.map((x) => x + 0.25), { resamples: 200, seed: 3 });
    expect(r.meanDifference).toBe(0.25);
    expect(r.pValue).toBe(0);
    expect(r.ci95).toEqual([0.25, 0.25]);
  });

  it('is deterministic for a seed', () => {
    const a = [1, 0, 1, 0, 1, 1, 0, 0, 1, 0];
    const b = [1, 1, 1, 0, 0, 1, 1, 0, 1, 1];
    expect(pairedBootstrap(a, b, { resamples: 500, seed: 9 })).toEqual(pairedBootstrap(a, b, { resamples: 500, seed: 9 }));
  });
});
