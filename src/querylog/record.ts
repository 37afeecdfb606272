/**
 * What the query log keeps of one ask, and of the feedback on it. Pure: building a record from an ask's request and
 * result, hashing questions for privacy. The stores (sqlite.ts, elasticsearch.ts) keep these records as they are.
 */
import { createHash } from 'node:crypto';
import type { AskRequest, AskResult } from '../qa/answer.js';
import type { SearchFilters } from '../store/store.js';

export const VERDICTS = ['correct', 'wrong', 'partial'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One answer as the log keeps it: enough to judge it and to find it again in its document. */
export interface LoggedAnswer {
  text: string;
  confidence: number;
  document: { id: string; name: string };
  page: number | null;
  charStart: number;
  charEnd: number;
  passageId: string;
  retrieverScore: number;
}

export interface QueryRecord {
  /** The ask's id: the reply's `id` and `X-Request-Id`. */
  id: string;
  /** When the ask was answered (ISO 8601, UTC). */
  time: string;
  /** The question's text, or null when DOCQA_LOG_QUESTIONS=false. */
  question: string | null;
  /** sha256 (hex) of the trimmed question, always kept: counts repeats without keeping the text. */
  questionSha256: string;
  /** Characters of the trimmed question. */
  questionLength: number;
  answers: LoggedAnswer[];
  /** docqa's decision: chosen = "no answer", with its reason in words. */
  noAnswer: { chosen: boolean; reason: string; minConfidence: number; bestConfidence: number | null; calibrated: boolean };
  model: { name: string; version: string; sha256: string | null };
  timings: { retrieveMs: number; readMs: number; totalMs: number };
  /** Passages retrieved and read. */
  retrieved: number;
  /** What the request asked for: its filters and settings (undefined ones left out). */
  request: { topK?: number; retrieverTopK?: number; minConfidence?: number; filters?: SearchFilters };
  /** The feedback on this ask, when there is some. */
  feedback: FeedbackRecord | null;
}

export interface FeedbackInput {
  askId: string;
  verdict: Verdict;
  /** The answer judged (0-based into the logged answers); absent: the first answer, or the no-answer decision. */
  answerIndex?: number;
  /** What the right answer is (for `wrong` and `partial`; for `correct` on a no-answer reply it is not needed). */
  correctAnswer?: string;
  comment?: string;
}

export interface FeedbackRecord {
  verdict: Verdict;
  /** The answer judged, null when the verdict is on the no-answer decision (a reply without answers, or "no answer" chosen). */
  answerIndex: number | null;
  correctAnswer: string | null;
  comment: string | null;
  /** When the feedback was (last) given (ISO 8601, UTC). */
  time: string;
}

export function questionSha256(question: string): string {
  return createHash('sha256').update(question.trim(), 'utf8').digest('hex');
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The record of an ask; `logQuestions: false` keeps the question's hash and length only. */
export function toQueryRecord(
  id: string,
  request: AskRequest,
  result: AskResult,
  options: { logQuestions: boolean; modelSha256: string | null; now: Date },
): QueryRecord {
  const question = result.question.trim();
  return {
    id,
    time: options.now.toISOString(),
    question: options.logQuestions ? question : null,
    questionSha256: questionSha256(question),
    questionLength: question.length,
    answers: result.answers.map((a) => ({
      text: a.text,
      confidence: a.confidence,
      document: { id: a.document.id, name: a.document.name },
      page: a.page,
      charStart: a.charStart,
      charEnd: a.charEnd,
      passageId: a.passageId,
      retrieverScore: a.retrieverScore,
    })),
    noAnswer: {
      chosen: result.noAnswer.chosen,
      reason: result.noAnswer.reason,
      minConfidence: result.noAnswer.minConfidence,
      bestConfidence: result.noAnswer.bestConfidence,
      calibrated: result.noAnswer.calibrated,
    },
    model: { name: result.model.name, version: result.model.version, sha256: options.modelSha256 },
    timings: { ...result.timings },
    retrieved: result.retrieved,
    request: definedOnly({
      topK: request.topK,
      retrieverTopK: request.retrieverTopK,
      minConfidence: request.minConfidence,
      filters: request.filters,
    }),
    feedback: null,
  };
}

/**
 * The feedback record for an ask, or the name of the field that is wrong and why. The answer judged defaults to
 * the first answer, except on a reply where docqa chose "no answer": there the verdict is on that decision
 * (answerIndex null) unless the caller names a candidate.
 */
export function toFeedbackRecord(
  record: QueryRecord,
  input: FeedbackInput,
  now: Date,
): { feedback: FeedbackRecord } | { field: string; message: string } {
  let answerIndex: number | null;
  if (input.answerIndex !== undefined) {
    if (input.answerIndex >= record.answers.length) {
      return {
        field: 'answerIndex',
        message: `answerIndex: ask ${record.id} has ${record.answers.length} answer(s), so answerIndex must be below ${record.answers.length}`,
      };
    }
    answerIndex = input.answerIndex;
  } else {
    answerIndex = record.noAnswer.chosen || record.answers.length === 0 ? null : 0;
  }
  const correctAnswer = input.correctAnswer?.trim() || null;
  return {
    feedback: {
      verdict: input.verdict,
      answerIndex,
      correctAnswer,
      comment: input.comment?.trim() || null,
      time: now.toISOString(),
    },
  };
}
