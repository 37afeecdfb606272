import type { SearchFilters } from '../store/store.js';

export interface AskRequest {
  question: string;
  /** Answers to return (default: config answerTopK). */
  topK?: number;
  /** Passages to retrieve and read (default: config retrieverTopK). */
  retrieverTopK?: number;
  filters?: SearchFilters;
  /** Answer only when the best answer's confidence reaches this (default: DOCQA_MIN_CONFIDENCE or the model's). */
  minConfidence?: number;
}

export interface Answer {
  text: string;
  /**
   * The estimated probability that this answer is correct (SQuAD F1 >= 0.5 against what a person would accept),
   * comparable across passages and questions; answers are ordered by it. See src/qa/confidence.ts.
   */
  confidence: number;
  /** For experts: the reader's span score within its passage, 0..1 (p(start) * p(end), Hugging Face's score). */
  score: number;
  /** start + end logit: the model's unnormalised confidence, on one scale across passages. */
  logit: number;
  /** What answers are ordered by (DOCQA_ANSWER_RANKING, DOCQA_RETRIEVER_WEIGHT; see src/qa/ranking.ts). */
  rankScore: number;
  document: { id: string; name: string };
  /** 1-based page of the answer, or null when the document has no pages. */
  page: number | null;
  /** Offsets of the answer in the document text: `documentText.slice(charStart, charEnd) === text`. */
  charStart: number;
  charEnd: number;
  /** A snippet of the passage around the answer, and where the answer sits in it. */
  context: string;
  offsetsInContext: { start: number; end: number };
  passageId: string;
  /** The passage's BM25 score from the retriever. */
  retrieverScore: number;
}

export interface AskResult {
  question: string;
  answers: Answer[];
  noAnswer: NoAnswer;
  timings: { retrieveMs: number; readMs: number; totalMs: number };
  model: { name: string; version: string };
  retrieved: number;
  /** The BM25 score of the best passage retrieved (null when none was): what the drift monitor watches of retrieval. */
  retrieverTopScore?: number | null;
  /** Every candidate with its features, best first (only when asked with `explain`). */
  candidates?: Candidate[];
  /** The passages read, in the retriever's order (only when asked with `explain`). */
  passages?: { id: string; document: string; text: string; retrieverScore: number }[];
}

/** docqa's decision to answer or not, and why. */
export interface NoAnswer {
  /** true: docqa found no answer it trusts (the answers, if any, are only candidates). */
  chosen: boolean;
  /** The confidence an answer needs. */
  minConfidence: number;
  /** The best answer's confidence, null when there was no candidate. */
  bestConfidence: number | null;
  /** Whether confidence comes from a fitted calibrator (false: the model folder has none). */
  calibrated: boolean;
  /** For experts: the reader's own no-answer probability (the smallest over the passages read; 1 with none). */
  readerNoAnswerScore: number;
  /** The decision in words ('' when answering). */
  reason: string;
}

/** A candidate answer with the features the calibrator reads (AskResult.candidates, for `docqa eval calibrate`). */
export interface Candidate {
  text: string;
  confidence: number;
  rankScore: number;
  passageId: string;
  document: string | null;
  /** In FEATURE_NAMES order (src/qa/confidence.ts). */
  features: number[];
  /** What the features were computed from (offsets into the passage text), so that they can be computed again. */
  span: { charStart: number; charEnd: number; score: number; logit: number; nullLogit: number };
}
