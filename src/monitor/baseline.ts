/**
 * The drift baseline (pure): per feature, a reference sample that the operator marked, from a stored eval run or
 * from a time window of what docqa saw. Stored as JSON in the data dir (see store.ts); each feature keeps its own
 * source, so marking ask features on an eval run keeps the ingest features of an earlier window.
 */
import type { EvalResult } from '../eval/result.js';
import { compactSample, quantileEdges, binShares } from './drift.js';
import { FEATURES, FEATURE_NAMES, featureValues, type FeatureName, type Observation } from './features.js';

export const BASELINE_SCHEMA = 'docqa-monitor-baseline/1';
/** The most reference values kept per feature (evenly spaced order statistics of a larger sample). */
export const BASELINE_MAX_VALUES = 2000;

export type BaselineSource =
  | { kind: 'eval-run'; runId: string; dataset: string; model: string; createdAt: string }
  | { kind: 'window'; since: string; until: string };

export interface FeatureBaseline {
  source: BaselineSource;
  markedAt: string;
  /** Values in the reference (before compaction). */
  count: number;
  mean: number;
  /** The reference sample, sorted, at most BASELINE_MAX_VALUES values. */
  values: number[];
  /** PSI bins: upper edges (the reference's deciles; 0.5 for binary features) and the reference's share per bin. */
  edges: number[];
  shares: number[];
}

export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  updatedAt: string;
  features: Partial<Record<FeatureName, FeatureBaseline>>;
}

export function emptyBaseline(now: Date = new Date()): Baseline {
  return { schema: BASELINE_SCHEMA, updatedAt: now.toISOString(), features: {} };
}

export function edgesFor(feature: FeatureName, reference: readonly number[]): number[] {
  return FEATURES[feature].kind === 'binary' ? [0.5] : quantileEdges(reference, 10);
}

export function featureBaseline(feature: FeatureName, values: readonly number[], source: BaselineSource, now: Date): FeatureBaseline {
  const edges = edgesFor(feature, values);
  return {
    source,
    markedAt: now.toISOString(),
    count: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    values: compactSample(values, BASELINE_MAX_VALUES),
    edges,
    shares: binShares(edges, values),
  };
}

/**
 * A new baseline: `previous` with the features that `values` has (at least `minValues` each) replaced. Returns the
 * features that changed and those skipped for too few values.
 */
export function markBaseline(
  previous: Baseline,
  values: Partial<Record<FeatureName, number[]>>,
  source: BaselineSource,
  options: { minValues: number; only?: readonly FeatureName[]; now?: Date },
): { baseline: Baseline; marked: FeatureName[]; skipped: { feature: FeatureName; values: number }[] } {
  const now = options.now ?? new Date();
  const features = { ...previous.features };
  const marked: FeatureName[] = [];
  const skipped: { feature: FeatureName; values: number }[] = [];
  for (const f of options.only ?? FEATURE_NAMES) {
    const v = values[f] ?? [];
    if (v.length < Math.max(1, options.minValues)) {
      skipped.push({ feature: f, values: v.length });
      continue;
    }
    features[f] = featureBaseline(f, v, source, now);
    marked.push(f);
  }
  return { baseline: { schema: BASELINE_SCHEMA, updatedAt: now.toISOString(), features }, marked, skipped };
}

/** The ask features of a stored open-mode eval run (reader mode neither retrieves nor computes confidence). */
export function evalRunValues(run: EvalResult): Partial<Record<FeatureName, number[]>> {
  const observations: Observation[] = run.questions.map((q) => ({
    kind: 'ask',
    t: Date.parse(run.createdAt),
    questionChars: q.question.trim().length,
    retrieverTopScore: q.retrieverTopScore ?? null,
    confidence: q.confidence ?? null,
    noAnswer: q.noAnswerChosen,
  }));
  const all = featureValues(observations);
  return { question_chars: all.question_chars, retriever_top_score: all.retriever_top_score, answer_confidence: all.answer_confidence, no_answer: all.no_answer };
}

export function evalRunSource(run: EvalResult): BaselineSource {
  return { kind: 'eval-run', runId: run.id, dataset: run.dataset.name, model: `${run.model.name} ${run.model.version}`, createdAt: run.createdAt };
}

export function parseBaseline(value: unknown): Baseline | null {
  if (typeof value !== 'object' || value === null) return null;
  const b = value as Baseline;
  if (b.schema !== BASELINE_SCHEMA || typeof b.features !== 'object' || b.features === null) return null;
  for (const [name, f] of Object.entries(b.features)) {
    if (!FEATURE_NAMES.includes(name as FeatureName)) return null;
    if (!f || !Array.isArray(f.values) || !Array.isArray(f.edges) || !Array.isArray(f.shares) || f.shares.length !== f.edges.length + 1) return null;
  }
  return b;
}
