/**
 * An evaluation run's result: per-question records and everything summed up from them (official SQuAD scores,
 * the no-answer threshold sweep, scores by question type and article, retrieval, attribution, latency).
 * `assembleResult` is pure: the runners (runner.ts) produce outcomes, this turns them into the stored result.
 */
import type { RankingSettings } from '../qa/ranking.js';
import type { NoAnswerThreshold } from '../services.js';
import { attribute, summarizeAttribution, type AttributionSummary, type Outcome, type ReaderMissKind } from './attribution.js';
import type { DatasetInfo, EvalQuestion } from './dataset.js';
import { questionType, type QuestionType } from './question-type.js';
import { summarizeRetrieval, type RetrievalJudgement, type RetrievalSummary } from './retrieval-metrics.js';
import {
  evaluateSquad,
  findAllBestThresh,
  hasAnswerMap,
  rawScores,
  type BestThresholds,
  type GoldQuestion,
  type OfficialEval,
} from './squad-metrics.js';
import { mean, percentile } from './stats.js';

export const RESULT_SCHEMA = 'docqa-eval/1';

export type EvalMode = 'reader' | 'open';

/** What a runner found for one question. */
export interface QuestionOutcome {
  question: EvalQuestion;
  /** The best span the reader found ('' when none), whatever the no-answer decision. */
  bestSpan: string;
  /** Its score (0..1), null when there was no span. */
  answerScore: number | null;
  /**
   * The probability of "no answer" that the official threshold sweep reads: reader mode, the reader's own (Hugging
   * Face's min null score); open mode, 1 - the best answer's confidence.
   */
  noAnswerProb: number;
  /** Open mode: the best answer's confidence (null when there was no candidate). */
  confidence?: number | null;
  /** Open mode: the BM25 score of the best passage retrieved (null when none was; what a drift baseline reads). */
  retrieverTopScore?: number | null;
  /** docqa's decision (reader mode: noAnswerProb >= threshold; open mode: confidence < minConfidence). */
  noAnswerChosen: boolean;
  /** Time to answer this question (open: retrieve + read as the pipeline timed it; reader: the read call). */
  latencyMs: number;
  stages?: { retrieveMs: number; readMs: number };
  /** Open mode: what the retriever returned for it. */
  retrieval?: RetrievalJudgement;
  /** Open mode: the document of the best answer. */
  answerDocument?: string | null;
  /** Open mode: the best answer's text and context (for the report's misses). */
  answerText?: string;
  answerContext?: string;
  /** Open mode: the best answer came from another document than the one the question names (scored wrong). */
  answerFromOtherDocument?: boolean;
}

/** One question as a run stores it: the runner's outcome, the question's own fields, the official scores. */
export interface QuestionRecord extends Omit<QuestionOutcome, 'question'> {
  id: string;
  question: string;
  type: QuestionType;
  article: string | null;
  answers: string[];
  hasAnswer: boolean;
  /** docqa's answer ('' = no answer): what --predictions holds. */
  prediction: string;
  /** Official exact (0/1) and F1 (0..1) of `prediction`. */
  exact: number;
  f1: number;
  /** Open mode: where the question was lost (attribution.ts). */
  outcome?: Outcome;
  readerMiss?: ReaderMissKind;
}

export interface ThresholdSweep extends BestThresholds {
  /**
   * The official sweep on the best spans (every question answered), so it covers every threshold. The script
   * answers a question when its probability is <= best_f1_thresh; docqa answers when it is < its threshold, so the
   * equivalent DOCQA_NO_ANSWER_THRESHOLD lies above best_f1_thresh, up to the next larger probability of the run:
   * the shortest decimal near the middle of that interval, strictly inside it (0 when answering nothing is best).
   */
  recommendedThreshold: number;
  /** The threshold the run used. */
  threshold: number;
}

export interface GroupScore {
  key: string;
  questions: number;
  /** Percentages, like the official scores. */
  exact: number;
  f1: number;
}

export interface LatencySummary {
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  maxMs: number;
  /** Questions answered per second of wall time. */
  questionsPerSecond: number;
  wallSeconds: number;
  concurrency: number;
  stages?: { retrieve: { p50Ms: number; p95Ms: number }; read: { p50Ms: number; p95Ms: number } };
}

export interface ModelSummary {
  name: string;
  version: string;
  /** sha256 of the ONNX file. */
  sha256: string | null;
  file: string;
  dir: string;
  /** The model folder's manifest.json, when it has one. */
  manifest: Record<string, unknown> | null;
}

export interface EvalSettings {
  store: 'sqlite' | 'elasticsearch' | null;
  /** Passages retrieved and read per question (open mode). */
  topK: number | null;
  noAnswerThreshold: number;
  /** Open mode: the confidence an answer needed, and whether confidence came from a fitted calibrator. */
  minConfidence?: number | null;
  calibrated?: boolean | null;
  /** Where the threshold came from (reader mode). */
  thresholdSource: NoAnswerThreshold['source'];
  read: Record<string, number>;
  concurrency: number;
  corpus: string | null;
  passageWords: number | null;
  passageOverlap: number | null;
  /** Open mode: how answers of different passages were ranked (DOCQA_ANSWER_RANKING, DOCQA_RETRIEVER_WEIGHT). */
  ranking?: RankingSettings | null;
}

export interface IngestSummary {
  documents: number;
  passages: number;
  failed: number;
  seconds: number;
}

export interface EvalSummary {
  schema: typeof RESULT_SCHEMA;
  id: string;
  createdAt: string;
  mode: EvalMode;
  model: ModelSummary;
  dataset: DatasetInfo;
  settings: EvalSettings;
  official: OfficialEval;
  thresholdSweep: ThresholdSweep;
  byType: GroupScore[];
  byArticle: GroupScore[];
  retrieval: RetrievalSummary | null;
  attribution: AttributionSummary | null;
  latency: LatencySummary;
  ingest: IngestSummary | null;
  /** Seconds for the whole run (ingest and questions). */
  durationSeconds: number;
  /** Why these scores may flatter (e.g. the set overlaps the model's training data); [] when none. */
  warnings?: string[];
}

export interface EvalResult extends EvalSummary {
  questions: QuestionRecord[];
}

export function summaryOf(result: EvalResult): EvalSummary {
  const { questions: _questions, ...summary } = result;
  return summary;
}

/**
 * docqa's threshold equivalent to the script's best threshold `t` (see ThresholdSweep.recommendedThreshold): any
 * value in (t, next larger probability] makes the same decisions on this run; this picks the one with the fewest
 * significant digits near the middle of that interval and strictly inside it (halfway to 1 when t is the largest
 * probability), and 0 when answering nothing is best.
 */
export function docqaThreshold(probs: readonly number[], t: number, answeredAny: boolean): number {
  if (!answeredAny) return 0;
  if (t >= 1) return 1;
  let hi = 1;
  for (const p of probs) if (p > t && p < hi) hi = p;
  const mid = (t + hi) / 2;
  for (let digits = 1; digits <= 17; digits++) {
    const candidate = Number(mid.toPrecision(digits));
    if (candidate > t && candidate < hi) return candidate;
  }
  return hi;
}

function groupScores(records: readonly QuestionRecord[], key: (r: QuestionRecord) => string): GroupScore[] {
  const groups = new Map<string, QuestionRecord[]>();
  for (const r of records) {
    const k = key(r);
    const list = groups.get(k) ?? [];
    list.push(r);
    groups.set(k, list);
  }
  return [...groups].map(([k, rs]) => ({
    key: k,
    questions: rs.length,
    exact: 100 * mean(rs.map((r) => r.exact)),
    f1: 100 * mean(rs.map((r) => r.f1)),
  }));
}

/** Orders naProbs/predictions maps in question order (the order of the written files). */
function byId<T>(outcomes: readonly QuestionOutcome[], value: (o: QuestionOutcome) => T): Map<string, T> {
  return new Map(outcomes.map((o) => [o.question.id, value(o)]));
}

export function predictionOf(o: QuestionOutcome): string {
  return o.noAnswerChosen ? '' : o.bestSpan;
}

/** What the runner knows of a run besides its per-question outcomes. */
export type RunMeta = Pick<
  EvalSummary,
  'id' | 'createdAt' | 'mode' | 'model' | 'dataset' | 'settings' | 'durationSeconds' | 'ingest' | 'warnings'
> & {
  /** Seconds spent asking the questions (the latency summary's wall time). */
  wallSeconds: number;
};

export function assembleResult(meta: RunMeta, outcomes: readonly QuestionOutcome[]): EvalResult {
  const gold: GoldQuestion[] = outcomes.map((o) => ({ id: o.question.id, answers: o.question.answers }));
  const preds = byId(outcomes, predictionOf);
  const bestSpans = byId(outcomes, (o) => o.bestSpan);
  const naProbs = byId(outcomes, (o) => o.noAnswerProb);
  const official = evaluateSquad(gold, preds, naProbs);
  const hasAns = hasAnswerMap(gold);
  const raw = rawScores(gold, bestSpans);
  const sweep = findAllBestThresh(bestSpans, raw.exact, raw.f1, naProbs, hasAns);
  const noAns = gold.filter((q) => q.answers.length === 0).length;
  const answeredAny = sweep.best_f1 > (100 * noAns) / gold.length;
  const thresholdSweep: ThresholdSweep = {
    ...sweep,
    recommendedThreshold: docqaThreshold([...naProbs.values()], sweep.best_f1_thresh, answeredAny),
    threshold: meta.settings.noAnswerThreshold,
  };
  const scored = rawScores(gold, preds);
  const records: QuestionRecord[] = outcomes.map((o) => {
    const q = o.question;
    const prediction = predictionOf(o);
    const exact = scored.exact.get(q.id)!;
    const f1 = scored.f1.get(q.id)!;
    const hasAnswer = q.answers.length > 0;
    const record: QuestionRecord = {
      id: q.id,
      question: q.question,
      type: questionType(q.question),
      article: q.article,
      answers: q.answers,
      hasAnswer,
      prediction,
      bestSpan: o.bestSpan,
      answerScore: o.answerScore,
      noAnswerProb: o.noAnswerProb,
      noAnswerChosen: o.noAnswerChosen,
      exact,
      f1,
      latencyMs: o.latencyMs,
      ...(o.stages ? { stages: o.stages } : {}),
    };
    if (meta.mode === 'open') {
      const a = attribute({
        hasAnswer,
        exact,
        f1,
        predictedNoAnswer: prediction === '',
        answerRetrieved: o.retrieval ? o.retrieval.answerRank !== null : null,
      });
      Object.assign(record, {
        retrieval: o.retrieval,
        answerDocument: o.answerDocument ?? null,
        confidence: o.confidence ?? null,
        retrieverTopScore: o.retrieverTopScore ?? null,
        ...(o.answerText !== undefined ? { answerText: o.answerText, answerContext: o.answerContext } : {}),
        ...(o.answerFromOtherDocument ? { answerFromOtherDocument: true } : {}),
        outcome: a.outcome,
        ...(a.readerMiss ? { readerMiss: a.readerMiss } : {}),
      });
    }
    return record;
  });

  const latencies = records.map((r) => r.latencyMs);
  const latency: LatencySummary = {
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    meanMs: mean(latencies),
    maxMs: Math.max(...latencies),
    questionsPerSecond: meta.wallSeconds > 0 ? records.length / meta.wallSeconds : 0,
    wallSeconds: meta.wallSeconds,
    concurrency: meta.settings.concurrency,
  };
  const staged = records.filter((r) => r.stages);
  if (staged.length > 0) {
    const stage = (f: (s: { retrieveMs: number; readMs: number }) => number) => {
      const v = staged.map((r) => f(r.stages!));
      return { p50Ms: percentile(v, 50), p95Ms: percentile(v, 95) };
    };
    latency.stages = { retrieve: stage((s) => s.retrieveMs), read: stage((s) => s.readMs) };
  }

  const open = meta.mode === 'open';
  return {
    schema: RESULT_SCHEMA,
    id: meta.id,
    createdAt: meta.createdAt,
    mode: meta.mode,
    model: meta.model,
    dataset: meta.dataset,
    settings: meta.settings,
    official,
    thresholdSweep,
    byType: groupScores(records, (r) => r.type).sort((a, b) => b.questions - a.questions),
    byArticle: groupScores(records, (r) => r.article ?? '(none)'),
    retrieval: open
      ? summarizeRetrieval(
          records.map((r) => ({
            hasAnswer: r.hasAnswer,
            namesDocument: r.article !== null,
            judgement: r.retrieval ?? { retrieved: 0, answerRank: null, documentRank: null },
          })),
          meta.settings.topK ?? 0,
        )
      : null,
    attribution: open ? summarizeAttribution(records.map((r) => ({ outcome: r.outcome!, readerMiss: r.readerMiss }))) : null,
    latency,
    ingest: meta.ingest,
    durationSeconds: meta.durationSeconds,
    warnings: meta.warnings ?? [],
    questions: records,
  };
}

/**
 * A JSON object written entry by entry, so keys keep the given order even when they look like integers (which
 * JSON.stringify would move first): the official script's tie-breaking follows the file's order.
 */
export function orderedJsonObject(entries: readonly (readonly [string, string | number])[]): string {
  if (entries.length === 0) return '{}\n';
  return '{\n' + entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n') + '\n}\n';
}

/** The official-format files, in question order: {id: answer ('' = no answer)}, {id: best span}, {id: p(no answer)}. */
export function officialFiles(result: EvalResult): { predictions: string; bestSpans: string; naProbs: string } {
  return {
    predictions: orderedJsonObject(result.questions.map((q) => [q.id, q.prediction])),
    bestSpans: orderedJsonObject(result.questions.map((q) => [q.id, q.bestSpan])),
    naProbs: orderedJsonObject(result.questions.map((q) => [q.id, q.noAnswerProb])),
  };
}
