/**
 * Fitting and judging the confidence calibrator (src/qa/confidence.ts) from open-mode runs. Pure: candidate
 * records in (the JSONL that `docqa eval open --candidates` writes), a calibrator and figures out.
 *
 * - Labels: a candidate is correct when its SQuAD F1 against a gold answer is >= 0.5 and, where the question
 *   names its document, it comes from that document. Candidates of unanswerable questions are wrong.
 * - Fit: L2-regularised logistic regression (Newton's method) on standardised features of each question's
 *   best `perQuestion` candidates by the ranking key (so the fit sees the rivals the pipeline chooses among).
 * - Second stage: an isotonic map from the logistic score of each question's best candidate to how often such
 *   answers are right. It is fitted on *cross-fitted* scores: the records are split into folds by article (one
 *   article's questions never straddle two folds) and each fold is scored by a logistic fitted on the others, so the
 *   map learns how right the logistic is on articles it has not seen, not how well it fits its own data (fitted
 *   in-sample it is over-confident on new articles).
 * - The minimum confidence, chosen on the same cross-fitted confidences: `one-se` (the default) takes the lowest
 *   value whose official SQuAD F1 is within one bootstrap standard error of the best F1 (where F1 is flat, refuse
 *   fewer answerable questions); `best-f1` the value with the best F1.
 */
import { DEFAULT_MIN_CONFIDENCE } from '../config.js';
import type { SearchHit } from '../store/store.js';
import {
  candidateFeatures,
  logisticScore,
  calibratedConfidence,
  namesAbsent,
  secondStage,
  CONFIDENCE_TARGET,
  FEATURE_NAMES,
  type Calibrator,
  type FeatureName,
} from '../qa/confidence.js';
import type { Candidate } from '../qa/answer.js';
import { sameDocument } from './retrieval-metrics.js';
import type { CandidateRecord } from './runner.js';
import { scorePrediction } from './squad-metrics.js';
import { splitSwapped } from './sets.js';
import { prng } from './stats.js';

export const CANDIDATES_SCHEMA = 'docqa-candidates/1';

/** Candidates per question that the fit sees (the best by the ranking key). */
export const DEFAULT_PER_QUESTION = 5;
export const DEFAULT_L2 = 1.0;
/** The isotonic map's largest and smallest values. */
export const ISOTONIC_CEILING = 0.99;
export const ISOTONIC_FLOOR = 0.01;
/** Folds of the cross-fitting (0 or 1: fit the isotonic map on the logistic's own training scores). */
export const DEFAULT_FOLDS = 5;
export const THRESHOLD_RULES = ['one-se', 'best-f1'] as const;
export type ThresholdRule = (typeof THRESHOLD_RULES)[number];
export const DEFAULT_THRESHOLD_RULE: ThresholdRule = 'one-se';
/** Best answers without the question's names needed to fit their own isotonic map (fewer: the common map serves). */
export const MIN_NAMES_ABSENT = 50;
/** Bootstrap resamples for the standard error of the one-se rule (seeded: the same data give the same choice). */
const BOOTSTRAP_SAMPLES = 200;

/** The SQuAD F1 (0..1) of a candidate as an answer to its question (0 from another document than the named one). */
export function candidateF1(record: Pick<CandidateRecord, 'answers' | 'document'>, candidate: Pick<Candidate, 'text' | 'document'>): number {
  if (record.answers.length === 0) return 0;
  if (record.document !== null && (candidate.document === null || !sameDocument(candidate.document, record.document))) return 0;
  return scorePrediction(record.answers, candidate.text).f1;
}

export function isCorrect(record: Pick<CandidateRecord, 'answers' | 'document'>, candidate: Pick<Candidate, 'text' | 'document'>): boolean {
  return candidateF1(record, candidate) >= 0.5;
}

const RANK = FEATURE_NAMES.indexOf('rankLog');

/** The question's candidates best first by the pipeline's ranking key (rankLog grows with the rank). */
export function byRankingKey(candidates: readonly Candidate[]): Candidate[] {
  return [...candidates].sort((a, b) => a.features[RANK]! - b.features[RANK]!);
}

/** Has the record what its features are computed from (files of `eval open --candidates` since they have it)? */
export function hasRawInputs(r: CandidateRecord): boolean {
  return Array.isArray(r.passages) && r.candidates.every((c) => c.span !== undefined);
}

/**
 * The record with every candidate's features computed again by the current code (src/qa/confidence.ts) from the
 * raw inputs it keeps: a candidates file stays usable when features are added.
 */
export function withCurrentFeatures(r: CandidateRecord): CandidateRecord {
  const hits = (r.passages ?? []).map((p) => ({ passage: { id: p.id, text: p.text }, score: p.retrieverScore }) as unknown as SearchHit);
  const ranked = [...r.candidates].sort((a, b) => b.rankScore - a.rankScore);
  const spans = ranked.map((c) => ({
    span: { passageId: c.passageId, text: c.text, ...c.span, window: 0, startToken: 0, endToken: 0 },
    rankScore: c.rankScore,
  }));
  const features = candidateFeatures(r.question, spans, hits, r.readerNoAnswerScore);
  return { ...r, candidates: ranked.map((c, i) => ({ ...c, features: features[i]! })) };
}

export interface TrainingSet {
  x: number[][];
  y: (0 | 1)[];
}

export function trainingSet(records: readonly CandidateRecord[], perQuestion = DEFAULT_PER_QUESTION): TrainingSet {
  const x: number[][] = [];
  const y: (0 | 1)[] = [];
  for (const r of records) {
    for (const c of byRankingKey(r.candidates).slice(0, perQuestion)) {
      x.push(c.features);
      y.push(isCorrect(r, c) ? 1 : 0);
    }
  }
  return { x, y };
}

/** Solves A v = b by Gaussian elimination with partial pivoting (A small and symmetric positive definite here). */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) throw new Error('singular system in the calibrator fit');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

export interface LogisticFit {
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  iterations: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Logistic regression with an L2 penalty on the weights (not the bias), on standardised columns, by Newton's
 * method (iteratively reweighted least squares).
 */
export function fitLogistic(x: readonly number[][], y: readonly (0 | 1)[], l2 = DEFAULT_L2, maxIterations = 50): LogisticFit {
  const n = x.length;
  if (n === 0) throw new Error('no training examples');
  const d = x[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, row) => s + row[j]!, 0) / n);
  const scale = Array.from({ length: d }, (_, j) => {
    const v = x.reduce((s, row) => s + (row[j]! - mean[j]!) ** 2, 0) / n;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  });
  const z = x.map((row) => [1, ...row.map((v, j) => (v - mean[j]!) / scale[j]!)]);
  let beta = new Array<number>(d + 1).fill(0);
  const positives = y.reduce<number>((s, v) => s + v, 0);
  beta[0] = Math.log((positives + 0.5) / (n - positives + 0.5));
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      let eta = 0;
      for (let j = 0; j <= d; j++) eta += beta[j]! * zi[j]!;
      const p = sigmoid(eta);
      const w = Math.max(p * (1 - p), 1e-10);
      const r = y[i]! - p;
      for (let j = 0; j <= d; j++) {
        grad[j]! += r * zi[j]!;
        const wz = w * zi[j]!;
        for (let k = j; k <= d; k++) hess[j]![k]! += wz * zi[k]!;
      }
    }
    for (let j = 0; j <= d; j++) {
      for (let k = 0; k < j; k++) hess[j]![k] = hess[k]![j]!;
      if (j > 0) {
        grad[j]! -= l2 * beta[j]!;
        hess[j]![j]! += l2;
      }
    }
    const step = solve(hess, grad);
    beta = beta.map((b, j) => b + step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return { mean, scale, weights: beta.slice(1), bias: beta[0]!, iterations };
}

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function of x that fits y best in
 * squared error, returned as one point per block (mean x, mean y) for interpolation.
 */
export function isotonicFit(x: readonly number[], y: readonly number[]): { x: number[]; y: number[] } {
  const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const blocks: { sx: number; sy: number; n: number }[] = [];
  for (const i of order) {
    blocks.push({ sx: x[i]!, sy: y[i]!, n: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.sy / a.n < b.sy / b.n) break;
      blocks.splice(blocks.length - 2, 2, { sx: a.sx + b.sx, sy: a.sy + b.sy, n: a.n + b.n });
    }
  }
  const px: number[] = [];
  const py: number[] = [];
  for (const b of blocks) {
    const bx = b.sx / b.n;
    if (px.length > 0 && bx <= px[px.length - 1]!) continue; // equal x (ties merged into one block already)
    px.push(bx);
    // never certain: a block that was always right (or wrong) on the fitting data says 0.99 (0.01)
    py.push(Math.min(ISOTONIC_CEILING, Math.max(ISOTONIC_FLOOR, b.sy / b.n)));
  }
  return { x: px, y: py };
}

/** Expected calibration error over equal-width bins, weighted by the bins' counts (0..1). */
export function expectedCalibrationError(confidences: readonly number[], correct: readonly boolean[], bins = 10): number {
  return reliability(confidences, correct, bins).reduce((s, b) => s + (b.count * Math.abs(b.accuracy - b.confidence)) / Math.max(1, confidences.length), 0);
}

/** The 95 % percentile bootstrap interval of the ECE (seeded: the same answers give the same interval). */
export function eceInterval(confidences: readonly number[], correct: readonly boolean[], samples = BOOTSTRAP_SAMPLES, seed = 2): [number, number] {
  const n = confidences.length;
  if (n === 0) return [0, 0];
  const rand = prng(seed);
  const values: number[] = [];
  for (let s = 0; s < samples; s++) {
    const pick = Array.from({ length: n }, () => Math.floor(rand() * n));
    values.push(expectedCalibrationError(pick.map((i) => confidences[i]!), pick.map((i) => correct[i]!)));
  }
  values.sort((a, b) => a - b);
  return [values[Math.floor(0.025 * samples)]!, values[Math.min(samples - 1, Math.ceil(0.975 * samples) - 1)]!];
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence and share correct in the bin (0 when empty). */
  confidence: number;
  accuracy: number;
}

export function reliability(confidences: readonly number[], correct: readonly boolean[], bins = 10): ReliabilityBin[] {
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, i) => ({ lo: i / bins, hi: (i + 1) / bins, count: 0, confidence: 0, accuracy: 0 }));
  confidences.forEach((c, i) => {
    const b = out[Math.min(bins - 1, Math.floor(c * bins))]!;
    b.count++;
    b.confidence += c;
    b.accuracy += correct[i] ? 1 : 0;
  });
  for (const b of out) {
    if (b.count > 0) {
      b.confidence /= b.count;
      b.accuracy /= b.count;
    }
  }
  return out;
}

/** One question as the abstention decision sees it: the best answer's confidence and F1, and whether it has one. */
export interface Decision {
  hasAnswer: boolean;
  /** The best answer's confidence (-1 when there was no candidate: never answered). */
  confidence: number;
  /** SQuAD F1 (0..1) and exact match of the best answer. */
  f1: number;
  exact: number;
}

/** The official overall F1 (%) when questions with confidence < minConfidence get "no answer". */
export function f1At(decisions: readonly Decision[], minConfidence: number): number {
  if (decisions.length === 0) return 0;
  const total = decisions.reduce((s, d) => s + (d.confidence >= minConfidence && d.confidence >= 0 ? (d.hasAnswer ? d.f1 : 0) : d.hasAnswer ? 0 : 1), 0);
  return (100 * total) / decisions.length;
}

/**
 * The minimum confidence with the best F1 (ties: the lowest such value), placed halfway between the confidence
 * it admits and the next lower one so that it does not sit on a data point.
 */
export function bestMinConfidence(decisions: readonly Decision[]): { minConfidence: number; f1: number } {
  const values = [...new Set(decisions.map((d) => d.confidence).filter((c) => c >= 0))].sort((a, b) => a - b);
  let best = { minConfidence: 0, f1: f1At(decisions, 0) };
  values.forEach((v, i) => {
    const f1 = f1At(decisions, v);
    if (f1 > best.f1 + 1e-9) best = { minConfidence: i === 0 ? v / 2 : (values[i - 1]! + v) / 2, f1 };
  });
  const never = f1At(decisions, 2);
  if (never > best.f1 + 1e-9) best = { minConfidence: 1, f1: never };
  return best;
}

/** Bootstrap standard error (in F1 points) of the official F1 at `minConfidence`. */
export function f1StandardError(decisions: readonly Decision[], minConfidence: number, samples = BOOTSTRAP_SAMPLES, seed = 1): number {
  const n = decisions.length;
  if (n < 2) return 0;
  const per = decisions.map((d) => 100 * (d.confidence >= minConfidence && d.confidence >= 0 ? (d.hasAnswer ? d.f1 : 0) : d.hasAnswer ? 0 : 1));
  const rand = prng(seed);
  const means: number[] = [];
  for (let s = 0; s < samples; s++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += per[Math.floor(rand() * n)]!;
    means.push(total / n);
  }
  const mean = means.reduce((a, b) => a + b, 0) / samples;
  return Math.sqrt(means.reduce((a, m) => a + (m - mean) ** 2, 0) / (samples - 1));
}

/**
 * The one-standard-error rule: the lowest minimum confidence whose F1 is within one bootstrap standard error of the
 * best F1 (placed halfway to the next lower confidence, like bestMinConfidence). Where F1 is flat around its best,
 * this answers more of the answerable questions at no significant cost.
 */
export function oneSeMinConfidence(decisions: readonly Decision[]): { minConfidence: number; f1: number; bestF1: number; standardError: number } {
  const best = bestMinConfidence(decisions);
  const standardError = f1StandardError(decisions, best.minConfidence);
  const values = [...new Set(decisions.map((d) => d.confidence).filter((c) => c >= 0))].sort((a, b) => a - b);
  const candidates = [{ at: 0, f1: f1At(decisions, 0) }, ...values.map((v, i) => ({ at: i === 0 ? v / 2 : (values[i - 1]! + v) / 2, f1: f1At(decisions, v) }))];
  const chosen = candidates.find((c) => c.at <= best.minConfidence && c.f1 >= best.f1 - standardError - 1e-9) ?? { at: best.minConfidence, f1: best.f1 };
  return { minConfidence: chosen.at, f1: chosen.f1, bestF1: best.f1, standardError };
}

/**
 * The fold of each record for cross-fitting: records of one article (or, without one, each question alone) stay
 * together; groups are spread over the folds in an order scrambled by a hash of their name, so it does not follow
 * the file's order. Fewer groups than folds: one fold per group.
 */
export function foldsOf(records: readonly Pick<CandidateRecord, 'id' | 'article'>[], folds: number): number[] {
  const groupOf = (r: Pick<CandidateRecord, 'id' | 'article'>) => (r.article ? `a:${r.article}` : `q:${r.id}`);
  const hash = (s: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  };
  const groups = [...new Set(records.map(groupOf))].sort((a, b) => hash(a) - hash(b) || (a < b ? -1 : 1));
  const k = Math.min(folds, groups.length);
  const fold = new Map(groups.map((g, i) => [g, i % k]));
  return records.map((r) => fold.get(groupOf(r))!);
}

/** The candidate with the highest value (the first of equals), or undefined when there is none. */
function bestCandidate(candidates: readonly Candidate[], valueOf: (c: Candidate) => number): { candidate: Candidate; value: number } | undefined {
  let best: { candidate: Candidate; value: number } | undefined;
  for (const candidate of candidates) {
    const value = valueOf(candidate);
    if (!best || value > best.value) best = { candidate, value };
  }
  return best;
}

/** The best answer of each record and its confidence under `confidenceOf`. */
export function decisions(records: readonly CandidateRecord[], confidenceOf: (c: Candidate) => number): Decision[] {
  return records.map((r) => {
    const top = bestCandidate(r.candidates, confidenceOf);
    const f1 = top ? candidateF1(r, top.candidate) : 0;
    const exact = top && f1 > 0 ? scorePrediction(r.answers, top.candidate.text).exact : 0;
    return { hasAnswer: r.answers.length > 0, confidence: top?.value ?? -1, f1, exact };
  });
}

export interface ConfidenceReport {
  questions: number;
  hasAnswer: number;
  noAnswer: number;
  minConfidence: number;
  /** Official scores (%) with abstention at minConfidence. */
  exact: number;
  f1: number;
  hasAnswerF1: number;
  /** HasAns F1 if docqa never abstained. */
  hasAnswerF1NeverAbstain: number;
  /** Share of unanswerable questions where docqa said "no answer" (0..1). */
  noAnswerAbstention: number;
  /** Share of answerable questions where docqa said "no answer" (0..1). */
  hasAnswerAbstention: number;
  /** Of the questions answered: how many, ECE of the best answer's confidence against "correct" (F1 >= 0.5), Brier. */
  answered: number;
  ece: number;
  /** 95 % bootstrap interval of the ECE (resampling the answered questions; ECE of a few hundred answers is noisy). */
  eceInterval: [number, number];
  brier: number;
  reliability: ReliabilityBin[];
}

export function confidenceReport(ds: readonly Decision[], minConfidence: number): ConfidenceReport {
  const has = ds.filter((d) => d.hasAnswer);
  const no = ds.filter((d) => !d.hasAnswer);
  const answers = (d: Decision) => d.confidence >= 0 && d.confidence >= minConfidence;
  const answered = ds.filter(answers);
  const conf = answered.map((d) => d.confidence);
  const correct = answered.map((d) => d.hasAnswer && d.f1 >= 0.5);
  const pct = (xs: number[], n: number) => (n === 0 ? 0 : (100 * xs.reduce((a, b) => a + b, 0)) / n);
  return {
    questions: ds.length,
    hasAnswer: has.length,
    noAnswer: no.length,
    minConfidence,
    exact: pct(ds.map((d) => (answers(d) ? (d.hasAnswer ? d.exact : 0) : d.hasAnswer ? 0 : 1)), ds.length),
    f1: f1At(ds, minConfidence),
    hasAnswerF1: pct(has.map((d) => (answers(d) ? d.f1 : 0)), has.length),
    hasAnswerF1NeverAbstain: pct(has.map((d) => (d.confidence >= 0 ? d.f1 : 0)), has.length),
    noAnswerAbstention: no.length === 0 ? 0 : no.filter((d) => !answers(d)).length / no.length,
    hasAnswerAbstention: has.length === 0 ? 0 : has.filter((d) => !answers(d)).length / has.length,
    answered: answered.length,
    ece: expectedCalibrationError(conf, correct),
    eceInterval: eceInterval(conf, correct),
    brier: answered.length === 0 ? 0 : answered.reduce((s, d, i) => s + (d.confidence - (correct[i] ? 1 : 0)) ** 2, 0) / answered.length,
    reliability: reliability(conf, correct),
  };
}

export interface FitOptions {
  features?: readonly FeatureName[];
  perQuestion?: number;
  l2?: number;
  isotonic?: boolean;
  /** A second isotonic map for answers whose passage holds none of the question's names (default true). */
  namesAbsentMap?: boolean;
  /** Folds of the cross-fitting (DEFAULT_FOLDS; 0 or 1: in-sample). */
  folds?: number;
  thresholdRule?: ThresholdRule;
  fittedOn?: Record<string, unknown>;
}

/** The logistic stage alone, fitted on `records`, as a calibrator without an isotonic map. */
function logisticStage(records: readonly CandidateRecord[], features: FeatureName[], perQuestion: number, l2: number) {
  const columns = features.map((f) => FEATURE_NAMES.indexOf(f));
  const set = trainingSet(records, perQuestion);
  const fit = fitLogistic(set.x.map((row) => columns.map((j) => row[j]!)), set.y, l2);
  return { set, fit, calibrator: { features, mean: fit.mean, scale: fit.scale, weights: fit.weights, bias: fit.bias } };
}

/** Each record's best candidate by the logistic score of `stage`, with that score and whether it is right. */
function bestScores(records: readonly CandidateRecord[], stage: Pick<Calibrator, 'features' | 'mean' | 'scale' | 'weights' | 'bias'>) {
  return records.map((r) => {
    const top = bestCandidate(r.candidates, (c) => logisticScore(stage, c.features));
    return top ? { record: r, score: top.value, candidate: top.candidate, correct: isCorrect(r, top.candidate) ? 1 : 0 } : { record: r };
  });
}

/**
 * Fits a calibrator on candidate records; the minimum confidence is chosen on the same records (cross-fitted).
 * Swapped-name questions (ids SWAPPED_PREFIX, src/eval/sets.ts) only join the map of answers without the question's
 * names, scored by the logistic stage fitted without them: they teach that map what a sure answer to a question
 * about something the documents lack looks like, and leave the ranking, the main map and the minimum to the
 * answerable and foreign questions, whose mix is the report set's.
 */
export function fitCalibrator(allRecords: readonly CandidateRecord[], options: FitOptions = {}): Calibrator {
  const { own: records, swapped } = splitSwapped(allRecords);
  const features = [...(options.features ?? FEATURE_NAMES)];
  const perQuestion = options.perQuestion ?? DEFAULT_PER_QUESTION;
  const l2 = options.l2 ?? DEFAULT_L2;
  const rule = options.thresholdRule ?? DEFAULT_THRESHOLD_RULE;
  const { set, fit, calibrator: stage } = logisticStage(records, features, perQuestion, l2);
  const calibrator: Calibrator = { method: 'logistic', target: CONFIDENCE_TARGET, ...stage, minConfidence: DEFAULT_MIN_CONFIDENCE };
  // the scores the second stage and the minimum confidence are chosen on: out-of-fold, or the fit's own
  const foldCount = Math.max(0, Math.floor(options.folds ?? DEFAULT_FOLDS));
  const fold = foldCount > 1 ? foldsOf(records, foldCount) : records.map(() => 0);
  const folds = new Set(fold).size;
  const scored = (folds > 1
    ? [...new Set(fold)].flatMap((k) => {
        const held = records.filter((_, i) => fold[i] === k);
        const rest = records.filter((_, i) => fold[i] !== k);
        return bestScores(held, logisticStage(rest, features, perQuestion, l2).calibrator);
      })
    : bestScores(records, stage)
  ).filter((b): b is Required<typeof b> => b.score !== undefined);
  const swappedScored = bestScores(swapped, stage).filter((b): b is Required<typeof b> => b.score !== undefined);
  const ownAbsent = scored.filter((b) => namesAbsent(b.candidate.features));
  const swappedAbsent = swappedScored.filter((b) => namesAbsent(b.candidate.features));
  const absent = [...ownAbsent, ...swappedAbsent];
  if (options.isotonic ?? true) {
    if (scored.length > 0) calibrator.isotonic = isotonicFit(scored.map((b) => b.score), scored.map((b) => b.correct));
    if ((options.namesAbsentMap ?? true) && absent.length >= MIN_NAMES_ABSENT) {
      calibrator.isotonicNamesAbsent = isotonicFit(absent.map((b) => b.score), absent.map((b) => b.correct));
    }
  }
  // decisions on the scores above (out-of-fold when cross-fitted): the minimum is not chosen on a fit's own optimism
  const toConfidence = (b: (typeof scored)[number]) => secondStage(calibrator, b.score, namesAbsent(b.candidate.features));
  const byRecord = new Map(scored.map((b) => [b.record, b]));
  const ds: Decision[] = records.map((r) => {
    const b = byRecord.get(r);
    if (!b) return { hasAnswer: r.answers.length > 0, confidence: -1, f1: 0, exact: 0 };
    const f1 = candidateF1(r, b.candidate);
    return { hasAnswer: r.answers.length > 0, confidence: toConfidence(b), f1, exact: f1 > 0 ? scorePrediction(r.answers, b.candidate.text).exact : 0 };
  });
  const hasUnanswerable = ds.some((d) => !d.hasAnswer);
  const choice = rule === 'one-se' ? oneSeMinConfidence(ds) : { ...bestMinConfidence(ds), standardError: undefined };
  // without unanswerable questions "always answer" is trivially best: keep the default then
  calibrator.minConfidence = hasUnanswerable ? Number(choice.minConfidence.toFixed(4)) : DEFAULT_MIN_CONFIDENCE;
  const report = confidenceReport(ds, calibrator.minConfidence);
  calibrator.fit = {
    examples: set.x.length,
    positives: set.y.filter((v) => v === 1).length,
    perQuestion,
    l2,
    isotonic: calibrator.isotonic !== undefined,
    namesAbsentMap:
      calibrator.isotonicNamesAbsent !== undefined
        ? `${absent.length} best answers without the question's names (${swappedAbsent.length} of ${swapped.length} swapped-name questions)`
        : false,
    crossFitFolds: folds > 1 ? folds : 0,
    iterations: fit.iterations,
    questions: report.questions,
    unanswerable: report.noAnswer,
    f1: report.f1,
    ece: report.ece,
    hasAnswerF1: report.hasAnswerF1,
    hasAnswerF1NeverAbstain: report.hasAnswerF1NeverAbstain,
    ...(rule === 'one-se' && 'bestF1' in choice ? { bestF1: choice.bestF1, standardError: choice.standardError } : {}),
    scoresFrom: folds > 1 ? `out-of-fold (${folds} folds by article)` : 'the fit itself (in-sample)',
    minConfidenceChosenFor: hasUnanswerable
      ? rule === 'one-se'
        ? `one-se: the lowest minimum within one bootstrap standard error (${choice.standardError?.toFixed(2)} F1) of the best F1 on the fitting set`
        : 'best F1 on the fitting set'
      : `no unanswerable questions in the fitting set: the default ${DEFAULT_MIN_CONFIDENCE}`,
  };
  if (options.fittedOn) calibrator.fittedOn = options.fittedOn;
  return calibrator;
}
