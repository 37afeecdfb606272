/**
 * Ranking answers across passages. The reader's `score` comes from a softmax over one window, so every passage
 * offers a confident-looking span and scores of different passages do not compare (open-domain F1 on SQuAD dev-b
 * drops by a third when they are ranked by it). The raw logits are on one scale for all windows of a model; the
 * margin over the window's no-answer logits also discounts passages that the model itself finds off-topic; and
 * the retriever's opinion of the passage is worth adding (as BERTserini does). Pure.
 */
import type { AnswerSpan } from '../reader/types.js';
import type { SearchHit } from '../store/store.js';

export type AnswerRanking = 'margin' | 'logit' | 'probability';

export interface RankingSettings {
  ranking: AnswerRanking;
  /** Weight of the passage's BM25 score relative to the query's best (0..1), added to the reader's key. */
  retrieverWeight: number;
}

export function readerKey(ranking: AnswerRanking, span: AnswerSpan): number {
  switch (ranking) {
    case 'margin':
      return span.logit - span.nullLogit;
    case 'logit':
      return span.logit;
    case 'probability':
      return span.score;
  }
}

/** Each span with the value it is ranked by, best first (ties keep the reader's order). */
export function rankSpans(
  spans: readonly AnswerSpan[],
  hits: readonly SearchHit[],
  settings: RankingSettings,
): { span: AnswerSpan; rankScore: number }[] {
  const best = hits.reduce((max, h) => Math.max(max, h.score), 0);
  const retrieval = new Map(hits.map((h) => [h.passage.id, best > 0 ? h.score / best : 0]));
  return spans
    .map((span) => ({
      span,
      rankScore: readerKey(settings.ranking, span) + settings.retrieverWeight * (retrieval.get(span.passageId) ?? 0),
    }))
    .sort((a, b) => b.rankScore - a.rankScore);
}
