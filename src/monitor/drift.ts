/**
 * Drift statistics (pure): how far a recent sample of a feature has moved from its reference sample.
 *
 * - PSI, the population stability index: Σ (a_i − e_i) · ln(a_i / e_i) over bins, where e_i is the reference's share
 *   of bin i and a_i the recent sample's. Bins are the reference's deciles (continuous features) or its distinct values
 *   (binary ones). Usual reading: < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 significant shift.
 * - KS, the two-sample Kolmogorov–Smirnov statistic D (largest gap between the two empirical CDFs) and its
 *   asymptotic p-value.
 */

/** A share of 0 would make PSI infinite: empty bins count as this share (the usual floor). */
export const PSI_EPSILON = 1e-4;
export const PSI_WARNING = 0.1;
export const PSI_CRITICAL = 0.2;

/** Bin edges from a reference sample: its `bins`-quantiles, deduplicated. A value v falls in bin i when edges[i-1] < v <= edges[i]. */
export function quantileEdges(reference: readonly number[], bins = 10): number[] {
  if (reference.length === 0) return [];
  const sorted = Float64Array.from(reference).sort();
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((i / bins) * sorted.length) - 1))]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  // a reference with ties (or a constant one) keeps an edge at its largest value, so that larger recent values
  // land in a bin of their own (empty in the reference)
  if (edges.length === 0) edges.push(sorted[sorted.length - 1]!);
  return edges;
}

/** Index of the bin of v: the first edge >= v, else the last bin (edges.length). */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Shares of the values per bin (edges.length + 1 bins), summing to 1; all 0 for no values. */
export function binShares(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binOf(edges, v)]! += 1;
  return values.length === 0 ? counts : counts.map((c) => c / values.length);
}

/** PSI between expected (reference) and actual (recent) shares of the same bins. */
export function psiOfShares(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new Error(`psi: ${expected.length} reference bins vs ${actual.length}`);
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, PSI_EPSILON);
    const a = Math.max(actual[i]!, PSI_EPSILON);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** PSI of a recent sample against a reference sample, binned by the reference's deciles. */
export function psi(reference: readonly number[], recent: readonly number[], bins = 10): number {
  const edges = quantileEdges(reference, bins);
  return psiOfShares(binShares(edges, reference), binShares(edges, recent));
}

export interface KsResult {
  /** The largest gap between the two empirical CDFs, 0..1. */
  statistic: number;
  /** Asymptotic two-sided p-value: P(K > D·√(nm/(n+m))) of the Kolmogorov distribution. */
  pValue: number;
}

/** Two-sample Kolmogorov–Smirnov test. */
export function ks(reference: readonly number[], recent: readonly number[]): KsResult {
  const a = Float64Array.from(reference).sort();
  const b = Float64Array.from(recent).sort();
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: 0, pValue: 1 };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(a[i]!, b[j]!);
    while (i < n && a[i]! <= v) i++;
    while (j < m && b[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const en = Math.sqrt((n * m) / (n + m));
  return { statistic: d, pValue: kolmogorovSurvival(en * d) };
}

/** P(K > x) of the Kolmogorov distribution: 2 Σ (−1)^(k−1) e^(−2k²x²). */
export function kolmogorovSurvival(x: number): number {
  if (x <= 0) return 1;
  if (x < 0.2) return 1; // 1 to 6 digits and more below 0.2, where the alternating series converges slowly
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-12) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * At most `max` values that keep a sample's distribution: the sorted sample itself, or `max` evenly spaced order
 * statistics of it (so a stored reference stays small whatever its size).
 */
export function compactSample(values: readonly number[], max: number): number[] {
  const sorted = Array.from(Float64Array.from(values).sort());
  if (sorted.length <= max) return sorted;
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(sorted[Math.round((i * (sorted.length - 1)) / (max - 1))]!);
  return out;
}
