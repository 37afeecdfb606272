import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binOf, binShares, compactSample, kolmogorovSurvival, ks, psi, psiOfShares, quantileEdges } from '../../src/monitor/drift.js';
import { prng } from '../../src/eval/stats.js';

describe('PSI', () => {
  it('is the sum of (a - e) ln(a / e) over the bins (checked with numpy)', () => {
    const e = new Array(10).fill(0.1);
    const a = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.15];
    expect(psiOfShares(e, a)).toBeCloseTo(0.10986122886681095, 12);
    expect(psiOfShares(e, e)).toBe(0);
  });

  it('floors empty bins so that a bin the reference never saw gives a large but finite PSI', () => {
    const v = psiOfShares([1, 0], [0.5, 0.5]);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(2);
  });

  it('bins by the reference deciles: the reference itself falls evenly into ten bins', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => i);
    const edges = quantileEdges(ref);
    expect(edges).toEqual([99, 199, 299, 399, 499, 599, 699, 799, 899]);
    expect(binShares(edges, ref)).toEqual(new Array(10).fill(0.1));
    expect(binOf(edges, -5)).toBe(0);
    expect(binOf(edges, 99)).toBe(0);
    expect(binOf(edges, 99.5)).toBe(1);
    expect(binOf(edges, 1e9)).toBe(9);
  });

  it('keeps an edge at the largest value of a constant reference, so larger values show as drift', () => {
    expect(quantileEdges([3, 3, 3, 3])).toEqual([3]);
    expect(psi([3, 3, 3, 3], [3, 3, 3, 3])).toBe(0);
    expect(psi([3, 3, 3, 3], [9, 9, 9, 9])).toBeGreaterThan(5);
  });

  it('is small for two samples of one distribution and large for a shifted one (seeded)', () => {
    const rand = prng(7);
    const normal = (mu: number) => mu + Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const ref = Array.from({ length: 2000 }, () => normal(0));
    const same = Array.from({ length: 1000 }, () => normal(0));
    const shifted = Array.from({ length: 1000 }, () => normal(0.75));
    expect(psi(ref, same)).toBeLessThan(0.05);
    expect(psi(ref, shifted)).toBeGreaterThan(0.4);
  });

  it('is never negative, and 0 for the reference against itself (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), (ref, recent) => {
        expect(psi(ref, recent)).toBeGreaterThanOrEqual(0);
        expect(psi(ref, ref)).toBeCloseTo(0, 12);
      }),
    );
  });
});

describe('KS', () => {
  it('gives the statistic and asymptotic p-value of scipy (ks_2samp statistic, kstwobign.sf)', () => {
    const a = [0.1, 0.4, 0.35, 0.8, 0.9, 0.05, 0.6, 0.55, 0.7, 0.2];
    const b = [0.3, 0.95, 0.85, 0.99, 0.75, 0.65, 0.88, 0.5];
    const r = ks(a, b);
    expect(r.statistic).toBeCloseTo(0.45, 12);
    expect(r.pValue).toBeCloseTo(0.329104789097815, 9);
    const c = Array.from({ length: 200 }, (_, i) => i / 100);
    const d = Array.from({ length: 150 }, (_, i) => 0.3 + i / 150);
    const r2 = ks(c, d);
    expect(r2.statistic).toBeCloseTo(0.35, 12);
    expect(r2.pValue / 1.5165120855823813e-9).toBeCloseTo(1, 6);
  });

  it('has the Kolmogorov survival function of scipy.stats.kstwobign', () => {
    expect(kolmogorovSurvival(0.3)).toBeCloseTo(0.9999906941986655, 12);
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.9639452436648751, 12);
    expect(kolmogorovSurvival(1.0)).toBeCloseTo(0.26999967167735456, 12);
    expect(kolmogorovSurvival(1.5)).toBeCloseTo(0.022217962616525127, 12);
    expect(kolmogorovSurvival(0)).toBe(1);
  });

  it('is 0 for identical samples', () => {
    expect(ks([1, 2, 3], [3, 2, 1])).toEqual({ statistic: 0, pValue: 1 });
  });
});

describe('compactSample', () => {
  it('keeps small samples whole (sorted) and thins large ones to evenly spaced order statistics', () => {
    expect(compactSample([3, 1, 2], 10)).toEqual([1, 2, 3]);
    const big = Array.from({ length: 10_001 }, (_, i) => 10_000 - i);
    const c = compactSample(big, 11);
    expect(c).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
  });
});
