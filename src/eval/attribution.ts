/**
 * Which stage lost a question in an open-domain run. A question is a miss when its exact match is 0 (after the
 * no-answer decision). A miss is
 * - a retrieval miss when the question has a gold answer and no retrieved passage contains it (the reader never
 *   had a chance);
 * - otherwise a reader miss, of one of these kinds:
 *   - 'withheld': the answer was retrieved, but docqa said "no answer";
 *   - 'partial': docqa answered with a span that overlaps the gold answer (F1 > 0) but is not exact;
 *   - 'wrong': docqa answered with a span that shares no token with a gold answer;
 *   - 'answered-unanswerable': the question has no answer and docqa gave one.
 * Pure.
 */

export type Outcome = 'correct' | 'retrieval-miss' | 'reader-miss';
export type ReaderMissKind = 'withheld' | 'partial' | 'wrong' | 'answered-unanswerable';

export interface Attributed {
  outcome: Outcome;
  readerMiss?: ReaderMissKind;
}

export function attribute(q: {
  hasAnswer: boolean;
  exact: number;
  f1: number;
  /** docqa chose "no answer" (prediction ''). */
  predictedNoAnswer: boolean;
  /** A retrieved passage contains a gold answer (null when unknown: reader mode). */
  answerRetrieved: boolean | null;
}): Attributed {
  if (q.exact >= 1) return { outcome: 'correct' };
  if (!q.hasAnswer) return { outcome: 'reader-miss', readerMiss: 'answered-unanswerable' };
  if (q.answerRetrieved === false) return { outcome: 'retrieval-miss' };
  if (q.predictedNoAnswer) return { outcome: 'reader-miss', readerMiss: 'withheld' };
  return { outcome: 'reader-miss', readerMiss: q.f1 > 0 ? 'partial' : 'wrong' };
}

export interface AttributionSummary {
  questions: number;
  correct: number;
  misses: number;
  retrievalMisses: number;
  readerMisses: number;
  readerMissKinds: Record<ReaderMissKind, number>;
  /** Shares of the misses (0..1), null without misses. */
  retrievalShare: number | null;
  readerShare: number | null;
}

export function summarizeAttribution(items: readonly Attributed[]): AttributionSummary {
  const kinds: Record<ReaderMissKind, number> = { withheld: 0, partial: 0, wrong: 0, 'answered-unanswerable': 0 };
  let correct = 0;
  let retrievalMisses = 0;
  let readerMisses = 0;
  for (const a of items) {
    if (a.outcome === 'correct') correct++;
    else if (a.outcome === 'retrieval-miss') retrievalMisses++;
    else {
      readerMisses++;
      kinds[a.readerMiss!]++;
    }
  }
  const misses = retrievalMisses + readerMisses;
  return {
    questions: items.length,
    correct,
    misses,
    retrievalMisses,
    readerMisses,
    readerMissKinds: kinds,
    retrievalShare: misses === 0 ? null : retrievalMisses / misses,
    readerShare: misses === 0 ? null : readerMisses / misses,
  };
}
