/**
 * What the drift monitor watches (pure): observations of asks and ingested documents, and the feature values taken
 * from them. One place names the features; the gauges, the CLI and /v1/monitor use these names as the `feature`
 * label.
 */
import type { IngestOutcome } from '../ingest/ingestor.js';
import type { AskResult } from '../qa/answer.js';

export type FeatureKind = 'continuous' | 'binary';

export const FEATURES = {
  question_chars: { kind: 'continuous', source: 'ask', help: 'question length in characters' },
  retriever_top_score: { kind: 'continuous', source: 'ask', help: 'BM25 score of the best passage retrieved' },
  answer_confidence: { kind: 'continuous', source: 'ask', help: "the best answer's confidence (questions with a candidate)" },
  no_answer: { kind: 'binary', source: 'ask', help: '1 when docqa chose "no answer" (its mean is the no-answer rate)' },
  ingest_chars_per_page: { kind: 'continuous', source: 'ingest', help: 'characters per page of ingested paginated documents' },
  ingest_empty_page: { kind: 'binary', source: 'ingest', help: '1 for a page without text (its mean is the empty-page ratio)' },
} as const satisfies Record<string, { kind: FeatureKind; source: 'ask' | 'ingest'; help: string }>;

export type FeatureName = keyof typeof FEATURES;
export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];

export function isFeatureName(name: string): name is FeatureName {
  return Object.hasOwn(FEATURES, name);
}

/** One ask, as the monitor keeps it (no question text: only its length). `t`: Unix milliseconds. */
export interface AskObservation {
  kind: 'ask';
  t: number;
  questionChars: number;
  retrieverTopScore: number | null;
  confidence: number | null;
  noAnswer: boolean;
}

/** One ingested paginated document: the characters of each of its pages (0 = an empty page). */
export interface IngestObservation {
  kind: 'ingest';
  t: number;
  charsPerPage: number[];
}

export type Observation = AskObservation | IngestObservation;

export function askObservation(result: AskResult, t: number = Date.now()): AskObservation {
  const top = result.retrieverTopScore ?? null;
  return {
    kind: 'ask',
    t,
    questionChars: result.question.length,
    retrieverTopScore: top,
    confidence: result.noAnswer.bestConfidence,
    noAnswer: result.noAnswer.chosen,
  };
}

/** An ingest outcome as an observation: only written paginated documents have page figures (null otherwise). */
export function ingestObservation(outcome: IngestOutcome, t: number = Date.now()): IngestObservation | null {
  if (outcome.status !== 'created' && outcome.status !== 'replaced') return null;
  const pages = outcome.quality?.charsPerPage ?? [];
  return pages.length === 0 ? null : { kind: 'ingest', t, charsPerPage: [...pages] };
}

/** Calls `add(feature, value)` for every feature value an observation carries, in order. */
export function forEachFeatureValue(o: Observation, add: (feature: FeatureName, value: number) => void): void {
  if (o.kind === 'ask') {
    add('question_chars', o.questionChars);
    if (o.retrieverTopScore !== null && Number.isFinite(o.retrieverTopScore)) add('retriever_top_score', o.retrieverTopScore);
    if (o.confidence !== null && Number.isFinite(o.confidence)) add('answer_confidence', o.confidence);
    add('no_answer', o.noAnswer ? 1 : 0);
  } else {
    for (const chars of o.charsPerPage) {
      add('ingest_chars_per_page', chars);
      add('ingest_empty_page', chars === 0 ? 1 : 0);
    }
  }
}

/** Every feature's values over a list of observations, in order. */
export function featureValues(observations: Iterable<Observation>): Record<FeatureName, number[]> {
  const out = Object.fromEntries(FEATURE_NAMES.map((f) => [f, [] as number[]])) as Record<FeatureName, number[]>;
  for (const o of observations) forEachFeatureValue(o, (f, v) => out[f].push(v));
  return out;
}

/** An observation read back from the log, or null when the value is not one (a damaged line). */
export function parseObservation(value: unknown): Observation | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const numOrNull = (v: unknown) => v === null || num(v);
  if (!num(o.t)) return null;
  if (o.kind === 'ask' && num(o.questionChars) && numOrNull(o.retrieverTopScore) && numOrNull(o.confidence) && typeof o.noAnswer === 'boolean') {
    return o as unknown as AskObservation;
  }
  if (o.kind === 'ingest' && Array.isArray(o.charsPerPage) && o.charsPerPage.every(num)) return o as unknown as IngestObservation;
  return null;
}
