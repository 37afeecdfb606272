/**
 * Retrieval quality of open-domain runs, per question and summed up. A retrieved passage is relevant when it
 * contains one of the question's gold answers (compared as SQuAD-normalised token sequences, so case, punctuation
 * and articles do not matter) and, when the question names a document (JSONL), belongs to that document.
 * Unanswerable questions have no relevant passage and are left out of recall and MRR. Pure.
 */
import { getTokens } from './squad-metrics.js';

export interface RetrievedPassage {
  text: string;
  /** Name of the passage's document. */
  document: string;
}

function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0 || needle.length > haystack.length) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** The passage text contains one of the answers (normalised tokens, contiguous); answers normalising to '' never match. */
export function passageHasAnswer(text: string, answers: readonly string[]): boolean {
  const tokens = getTokens(text);
  return answers.some((a) => containsSequence(tokens, getTokens(a)));
}

/**
 * Is `name` the document a question names? Equal names, or equal after dropping folders and/or the extension
 * ("docs/handbook.pdf" matches "handbook.pdf" and "handbook").
 */
export function sameDocument(name: string, expected: string): boolean {
  if (name === expected) return true;
  const base = (s: string) => s.split('/').pop()!;
  const stem = (s: string) => base(s).replace(/\.[A-Za-z0-9]{1,5}$/u, '');
  return base(name) === base(expected) || stem(name) === stem(expected);
}

export interface RetrievalJudgement {
  retrieved: number;
  /** 1-based rank of the first relevant passage, null when none of the retrieved passages is relevant. */
  answerRank: number | null;
  /** 1-based rank of the first passage of the named document (article for SQuAD), null when none / none named. */
  documentRank: number | null;
}

export function judgeRetrieval(
  passages: readonly RetrievedPassage[],
  gold: { answers: readonly string[]; document: string | null; article: string | null },
): RetrievalJudgement {
  let answerRank: number | null = null;
  let documentRank: number | null = null;
  passages.forEach((p, i) => {
    const inDocument = gold.document === null || sameDocument(p.document, gold.document);
    if (documentRank === null && gold.article !== null && sameDocument(p.document, gold.article)) documentRank = i + 1;
    if (answerRank === null && inDocument && passageHasAnswer(p.text, gold.answers)) answerRank = i + 1;
  });
  return { retrieved: passages.length, answerRank, documentRank };
}

export interface RetrievalSummary {
  /** Questions with a gold answer (the others cannot be judged). */
  evaluated: number;
  /** k -> share (0..1) of evaluated questions with a relevant passage in the top k (null: none evaluated). */
  recallAtK: Record<string, number | null>;
  /** Mean reciprocal rank of the first relevant passage (0 when none in the top k; null: none evaluated). */
  mrr: number | null;
  /** Of the evaluated questions that name a document (or SQuAD article), the share where a passage of it was retrieved. */
  documentRecall: number | null;
  k: number;
}

/** The k values reported for a retriever top-k: 1, 3, 5, 10, 20, 50, 100 up to k, and k itself. */
export function recallCutoffs(k: number): number[] {
  return [...new Set([1, 3, 5, 10, 20, 50, 100].filter((c) => c < k).concat([k]))];
}

export function summarizeRetrieval(
  judgements: readonly { hasAnswer: boolean; namesDocument: boolean; judgement: RetrievalJudgement }[],
  k: number,
): RetrievalSummary {
  const answerable = judgements.filter((j) => j.hasAnswer);
  const judged = answerable.map((j) => j.judgement);
  const n = judged.length;
  const recallAtK: Record<string, number | null> = {};
  for (const c of recallCutoffs(k)) {
    recallAtK[String(c)] = n === 0 ? null : judged.filter((j) => j.answerRank !== null && j.answerRank <= c).length / n;
  }
  const mrr = n === 0 ? null : judged.reduce((s, j) => s + (j.answerRank === null ? 0 : 1 / j.answerRank), 0) / n;
  const named = answerable.filter((j) => j.namesDocument);
  return {
    evaluated: n,
    recallAtK,
    mrr,
    documentRecall: named.length === 0 ? null : named.filter((j) => j.judgement.documentRank !== null).length / named.length,
    k,
  };
}
