import type { SearchFilters } from '../store/store.js';

export interface AskRequest {
  question: string;
  /** Answers to return (default: config answerTopK). */
  topK?: number;
  /** Passages to retrieve and read (default: config retrieverTopK). */
  retrieverTopK?: number;
  filters?: SearchFilters;
}

export interface Answer {
  text: string;
  /** The reader's span score within its passage, 0..1 (p(start) * p(end), Hugging Face's score). */
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
  /**
   * score: the no-answer probability (p(start=CLS) * p(end=CLS) of the most confident passage; 1 with no passages).
   * chosen: score >= threshold, i.e. docqa says it found no answer (answers are still listed as candidates).
   */
  noAnswer: { score: number; chosen: boolean; threshold: number };
  timings: { retrieveMs: number; readMs: number; totalMs: number };
  model: { name: string; version: string };
  retrieved: number;
}
