/**
 * Champion (run A) vs challenger (run B) on the questions both runs answered: score deltas, per-question
 * wins/losses by F1, and two paired significance tests over per-question F1:
 * - a paired bootstrap (10,000 resamples of the questions by default, seeded): the 95% interval of the F1 delta
 *   and a two-sided p-value;
 * - an exact sign test on the questions whose F1 changed (wins vs losses; ties dropped).
 * Pure.
 */
import { modelLabel } from './format.js';
import { mean, pairedBootstrap, signTest, type BootstrapResult } from './stats.js';
import type { EvalResult, EvalSummary, QuestionRecord } from './result.js';

export interface RunRef {
  id: string;
  createdAt: string;
  mode: string;
  model: string;
  dataset: string;
  sample: string;
  questions: number;
}

export interface Delta {
  a: number | null;
  b: number | null;
  /** b - a (null when either is missing). */
  delta: number | null;
}

export interface QuestionChange {
  id: string;
  question: string;
  answers: string[];
  a: string;
  b: string;
  f1A: number;
  f1B: number;
}

export interface Comparison {
  a: RunRef;
  b: RunRef;
  warnings: string[];
  /** Questions in both runs (the paired set every number below is computed on). */
  paired: number;
  onlyInA: number;
  onlyInB: number;
  /** Percentages (like the official scores) over the paired questions, and retrieval/latency from the summaries. */
  scores: Record<string, Delta>;
  perQuestion: {
    /** F1 higher in B / lower in B / equal. */
    wins: number;
    losses: number;
    ties: number;
    /** Exact match gained (wrong in A, right in B) and lost. */
    exactGained: number;
    exactLost: number;
  };
  significance: { bootstrap: BootstrapResult; signTestP: number; test: string };
  examples: { wins: QuestionChange[]; losses: QuestionChange[] };
}

export function runRef(s: EvalSummary): RunRef {
  return {
    id: s.id,
    createdAt: s.createdAt,
    mode: s.mode,
    model: modelLabel(s.model),
    dataset: s.dataset.name,
    sample: s.dataset.sample,
    questions: s.dataset.questions,
  };
}

function delta(a: number | null | undefined, b: number | null | undefined): Delta {
  const x = a ?? null;
  const y = b ?? null;
  return { a: x, b: y, delta: x === null || y === null ? null : y - x };
}

function pct(records: readonly QuestionRecord[], f: (r: QuestionRecord) => number): number | null {
  return records.length === 0 ? null : 100 * mean(records.map(f));
}

export function compareRuns(
  a: EvalResult,
  b: EvalResult,
  options: { seed?: number; resamples?: number; examples?: number } = {},
): Comparison {
  const warnings: string[] = [];
  if (a.dataset.sha256 !== b.dataset.sha256) warnings.push(`different dataset files (${a.dataset.name} vs ${b.dataset.name})`);
  else if (a.dataset.selectionSha256 !== b.dataset.selectionSha256) {
    warnings.push(`different question samples (${a.dataset.sample} vs ${b.dataset.sample}): compared on the shared questions`);
  }
  if (a.mode !== b.mode) warnings.push(`different modes (${a.mode} vs ${b.mode})`);
  if (a.settings.topK !== b.settings.topK) warnings.push(`different top-k (${a.settings.topK ?? '-'} vs ${b.settings.topK ?? '-'})`);
  if (JSON.stringify(a.settings.ranking ?? null) !== JSON.stringify(b.settings.ranking ?? null)) {
    warnings.push(`different answer ranking (${JSON.stringify(a.settings.ranking ?? null)} vs ${JSON.stringify(b.settings.ranking ?? null)})`);
  }
  if ((a.settings.minConfidence ?? null) !== (b.settings.minConfidence ?? null) || (a.settings.calibrated ?? null) !== (b.settings.calibrated ?? null)) {
    warnings.push(`different answer decisions (minimum confidence ${a.settings.minConfidence ?? '-'}${a.settings.calibrated ? ' calibrated' : ''} vs ${b.settings.minConfidence ?? '-'}${b.settings.calibrated ? ' calibrated' : ''})`);
  }
  if (a.mode === 'reader' && a.settings.noAnswerThreshold !== b.settings.noAnswerThreshold) {
    warnings.push(`different no-answer thresholds (${a.settings.noAnswerThreshold} vs ${b.settings.noAnswerThreshold})`);
  }
  const byIdB = new Map(b.questions.map((q) => [q.id, q]));
  const pairs = a.questions.filter((q) => byIdB.has(q.id)).map((q) => [q, byIdB.get(q.id)!] as const);
  const pa = pairs.map(([x]) => x);
  const pb = pairs.map(([, y]) => y);
  if (pairs.length === 0) warnings.push('the runs share no questions');

  const has = (rs: readonly QuestionRecord[], v: boolean) => rs.filter((r) => r.hasAnswer === v);
  const scores: Record<string, Delta> = {
    exact: delta(pct(pa, (r) => r.exact), pct(pb, (r) => r.exact)),
    f1: delta(pct(pa, (r) => r.f1), pct(pb, (r) => r.f1)),
    HasAns_f1: delta(pct(has(pa, true), (r) => r.f1), pct(has(pb, true), (r) => r.f1)),
    NoAns_f1: delta(pct(has(pa, false), (r) => r.f1), pct(has(pb, false), (r) => r.f1)),
    best_f1: delta(a.thresholdSweep.best_f1, b.thresholdSweep.best_f1),
    latency_p50_ms: delta(a.latency.p50Ms, b.latency.p50Ms),
    latency_p95_ms: delta(a.latency.p95Ms, b.latency.p95Ms),
    questions_per_second: delta(a.latency.questionsPerSecond, b.latency.questionsPerSecond),
  };
  if (a.retrieval || b.retrieval) {
    const ks = new Set([...Object.keys(a.retrieval?.recallAtK ?? {}), ...Object.keys(b.retrieval?.recallAtK ?? {})]);
    for (const k of [...ks].sort((x, y) => Number(x) - Number(y))) {
      const ra = a.retrieval?.recallAtK[k];
      const rb = b.retrieval?.recallAtK[k];
      scores[`recall@${k}`] = delta(ra === undefined || ra === null ? null : 100 * ra, rb === undefined || rb === null ? null : 100 * rb);
    }
    scores.mrr = delta(a.retrieval?.mrr, b.retrieval?.mrr);
  }

  let wins = 0;
  let losses = 0;
  let exactGained = 0;
  let exactLost = 0;
  const changes: QuestionChange[] = [];
  for (const [x, y] of pairs) {
    if (y.f1 > x.f1) wins++;
    else if (y.f1 < x.f1) losses++;
    if (y.exact > x.exact) exactGained++;
    else if (y.exact < x.exact) exactLost++;
    if (y.f1 !== x.f1) {
      changes.push({ id: x.id, question: x.question, answers: x.answers, a: x.prediction, b: y.prediction, f1A: x.f1, f1B: y.f1 });
    }
  }
  const n = options.examples ?? 10;
  const byGain = [...changes].sort((p, q) => q.f1B - q.f1A - (p.f1B - p.f1A));
  const bootstrap = pairedBootstrap(
    pa.map((r) => 100 * r.f1),
    pb.map((r) => 100 * r.f1),
    { seed: options.seed ?? 1, resamples: options.resamples ?? 10_000 },
  );
  return {
    a: runRef(a),
    b: runRef(b),
    warnings,
    paired: pairs.length,
    onlyInA: a.questions.length - pairs.length,
    onlyInB: b.questions.length - pairs.length,
    scores,
    perQuestion: { wins, losses, ties: pairs.length - wins - losses, exactGained, exactLost },
    significance: {
      bootstrap,
      signTestP: signTest(wins, losses),
      test: `paired bootstrap of per-question F1 (${bootstrap.resamples} resamples, seed ${bootstrap.seed}); exact two-sided sign test on F1 wins vs losses`,
    },
    examples: {
      wins: byGain.filter((c) => c.f1B > c.f1A).slice(0, n),
      losses: byGain.filter((c) => c.f1B < c.f1A).reverse().slice(0, n),
    },
  };
}
