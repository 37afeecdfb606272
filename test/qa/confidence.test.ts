import { describe, expect, it } from 'vitest';
import { candidateFeatures, contentWords, FEATURE_NAMES, normalizeText, questionNames, type FeatureName } from '../../src/qa/confidence.js';
import type { AnswerSpan } from '../../src/reader/types.js';
import type { SearchHit } from '../../src/store/store.js';

const hit = (id: string, text: string, score: number) => ({ passage: { id, text }, score }) as unknown as SearchHit;
const TEXTS: Record<string, string> = { p1: 'Tesla was born in Smiljan in 1856.', p2: 'Smiljan is a village in Lika.' };
const span = (passageId: string, text: string, logit: number, nullLogit: number, score = 0.5): AnswerSpan => ({
  passageId,
  text,
  charStart: TEXTS[passageId]!.indexOf(text),
  charEnd: TEXTS[passageId]!.indexOf(text) + text.length,
  score,
  logit,
  nullLogit,
  window: 0,
  startToken: 0,
  endToken: 0,
});

describe('candidate features', () => {
  const hits = [hit('p1', TEXTS.p1!, 8), hit('p2', TEXTS.p2!, 4)];
  const ranked = [
    { span: span('p1', 'Smiljan', 9, 1), rankScore: 13 },
    { span: span('p2', 'Smiljan', 6, 2), rankScore: 6.5 },
    { span: span('p1', '1856', 3, 1), rankScore: 7 },
  ];
  const rows = candidateFeatures('Where was Nikola Tesla born?', ranked, hits, 0.02);
  const f = (row: number, name: FeatureName) => rows[row]![FEATURE_NAMES.indexOf(name)]!;

  it('computes every feature of every candidate from what the pipeline has', () => {
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.length === FEATURE_NAMES.length && r.every(Number.isFinite))).toBe(true);
    expect(f(0, 'margin')).toBe(8);
    expect(f(0, 'marginGapToBest')).toBe(0);
    expect(f(1, 'marginGapToBest')).toBe(-4);
    expect(f(0, 'rankLog')).toBe(0);
    expect(f(2, 'rankLog')).toBeCloseTo(Math.log(3), 12);
    expect(f(1, 'passageRankLog')).toBeCloseTo(Math.log(2), 12);
    expect(f(1, 'bm25Ratio')).toBe(0.5);
    expect(f(0, 'bm25BestPerTerm')).toBe(8 / 5);
    // shares of the margin softmax with a no-answer option at 0
    const total = 1 + Math.exp(8) + Math.exp(4) + Math.exp(2);
    expect(f(0, 'shareOfMargins')).toBeCloseTo(Math.exp(8) / total, 12);
    // two passages agree on "Smiljan": agreement 1 each and the support is the sum of their shares
    expect(f(0, 'agreement')).toBe(1);
    expect(f(2, 'agreement')).toBe(0);
    expect(f(0, 'supportShare')).toBeCloseTo((Math.exp(8) + Math.exp(4)) / total, 12);
    expect(f(0, 'minNullLog')).toBeCloseTo(Math.log(0.02), 12);
  });

  it('measures how much of the question the passages cover', () => {
    expect(contentWords('Where was Nikola Tesla born?')).toEqual(['nikola', 'tesla', 'born']);
    expect(f(0, 'passageCoverage')).toBeCloseTo(2 / 3, 12); // tesla, born
    expect(f(1, 'passageCoverage')).toBe(0);
    expect(f(1, 'bestCoverage')).toBeCloseTo(2 / 3, 12);
    expect(f(0, 'missingWordsLog')).toBeCloseTo(Math.log1p(1), 12); // nikola is in no passage
    // around (not in) the answer: 'Tesla was born in [Smiljan] in 1856.' holds tesla and born
    expect(f(0, 'nearCoverage')).toBeCloseTo(2 / 3, 12);
    // names: Nikola and Tesla; only Tesla is near 'Smiljan' in p1, neither in p2
    expect(questionNames('Where was Nikola Tesla born?')).toEqual(['nikola', 'tesla']);
    expect(f(0, 'nearNames')).toBe(0.5);
    expect(f(1, 'nearNames')).toBe(0);
  });

  it('normalises answers as SQuAD does, for agreement', () => {
    expect(normalizeText('The  Smiljan, Croatia!')).toBe('smiljan croatia');
  });
});
