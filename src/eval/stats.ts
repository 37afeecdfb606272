/**
 * The small statistics of evaluation runs: a seeded PRNG, percentiles, histograms, and the two paired tests used
 * to compare a challenger with a champion on the same questions. Pure and deterministic (seeded).
 */

/** mulberry32: a tiny, fast, seeded PRNG with uniform output in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher-Yates shuffle (a copy). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default, "linear"):
 * position (n - 1) * q / 100 in the sorted values. NaN for no values.
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Histogram {
  /** bins + 1 edges; bin i is [edges[i], edges[i+1]), the last bin also includes its upper edge. */
  edges: number[];
  counts: number[];
}

/** Equal-width histogram over [min, max]; values outside are clamped into the first/last bin. */
export function histogram(values: readonly number[], bins: number, min: number, max: number): Histogram {
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => min + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const i = width > 0 ? Math.floor((v - min) / width) : 0;
    counts[Math.min(bins - 1, Math.max(0, i))]!++;
  }
  return { edges, counts };
}

export interface BootstrapResult {
  /** Mean of b - a over the questions. */
  meanDifference: number;
  /** 95% percentile interval of the resampled mean differences. */
  ci95: [number, number];
  /** Two-sided: 2 * min(share of resamples with mean difference <= 0, share >= 0), at most 1. */
  pValue: number;
  resamples: number;
  seed: number;
}

/**
 * Paired bootstrap over questions: resample question indices with replacement (seeded), recompute the mean
 * difference b - a each time. Small p: the difference is unlikely to be an accident of which questions were asked.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  options: { resamples?: number; seed?: number } = {},
): BootstrapResult {
  if (a.length !== b.length) throw new Error('paired samples must have the same length');
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 1;
  const n = a.length;
  const diffs = a.map((x, i) => b[i]! - x);
  const meanDifference = mean(diffs);
  if (n === 0) return { meanDifference: NaN, ci95: [NaN, NaN], pValue: 1, resamples, seed };
  const random = prng(seed);
  const means = new Float64Array(resamples);
  let atMost0 = 0;
  let atLeast0 = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += diffs[Math.floor(random() * n)]!;
    const m = s / n;
    means[r] = m;
    if (m <= 0) atMost0++;
    if (m >= 0) atLeast0++;
  }
  const sortedMeans = Array.from(means);
  return {
    meanDifference,
    ci95: [percentile(sortedMeans, 2.5), percentile(sortedMeans, 97.5)],
    pValue: Math.min(1, (2 * Math.min(atMost0, atLeast0)) / resamples),
    resamples,
    seed,
  };
}

/**
 * Exact two-sided sign test: under "neither run is better", wins ~ Binomial(wins + losses, 1/2) (ties dropped).
 * p = min(1, 2 * P(X <= min(wins, losses))).
 */
export function signTest(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  const k = Math.min(wins, losses);
  // Sum C(n, i) / 2^n for i = 0..k in log space (n can be thousands).
  const logHalfN = -n * Math.LN2;
  const terms: number[] = [];
  let logC = 0; // ln C(n, 0)
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    terms.push(logC + logHalfN);
  }
  const max = Math.max(...terms);
  const tail = Math.exp(max) * terms.reduce((s, t) => s + Math.exp(t - max), 0);
  return Math.min(1, 2 * tail);
}
