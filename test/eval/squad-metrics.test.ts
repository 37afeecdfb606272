/** The SQuAD 2.0 rules on hand-worked cases (the official-script fixture pins the same functions on 200 more). */
import { describe, expect, it } from 'vitest';
import {
  computeExact,
  computeF1,
  evaluateSquad,
  findBestThresh,
  getTokens,
  normalizeAnswer,
  scorePrediction,
} from '../../src/eval/squad-metrics.js';
import { docqaThreshold } from '../../src/eval/result.js';

describe('normalizeAnswer', () => {
  it('lower-cases, drops punctuation and the articles a/an/the, collapses whitespace', () => {
    expect(normalizeAnswer('The  Quick, Brown fox!')).toBe('quick brown fox');
    expect(normalizeAnswer('an apple a day')).toBe('apple day');
    expect(normalizeAnswer('  Theatre\tand\nAnathema ')).toBe('theatre and anathema');
    expect(normalizeAnswer('U.S.A.')).toBe('usa');
  });

  it('punctuation-only and article-only text normalises to nothing', () => {
    expect(normalizeAnswer('...')).toBe('');
    expect(normalizeAnswer('The')).toBe('');
    expect(getTokens('?!')).toEqual([]);
    expect(getTokens('')).toEqual([]);
  });

  it('removes punctuation before articles, so "a-b" stays one word and "(the) end" loses the article', () => {
    expect(normalizeAnswer('a-b')).toBe('ab');
    expect(normalizeAnswer('(the) end')).toBe('end');
  });
});

describe('computeExact and computeF1', () => {
  it('exact compares normalised strings', () => {
    expect(computeExact('Denver Broncos', 'the denver broncos.')).toBe(1);
    expect(computeExact('Denver Broncos', 'Broncos')).toBe(0);
  });

  it('F1 of token overlap: gold [cat, sat], prediction [cat, sat, down] -> P 2/3, R 1, F1 0.8', () => {
    expect(computeF1('the cat sat', 'a cat sat down')).toBe(0.8);
  });

  it('F1 counts repeated tokens at most as often as both sides have them', () => {
    // gold [cat, cat, sat], pred [cat, cat, cat]: 2 in common, P 2/3, R 2/3 -> F1 2/3
    expect(computeF1('the cat cat sat', 'cat cat cat')).toBe((2 * (2 / 3) * (2 / 3)) / (2 / 3 + 2 / 3));
  });

  it('when either side has no tokens, F1 is 1 if both are empty and 0 otherwise', () => {
    expect(computeF1('', '')).toBe(1);
    expect(computeF1('...', '')).toBe(1);
    expect(computeF1('', 'Paris')).toBe(0);
    expect(computeF1('Paris', '')).toBe(0);
    expect(computeF1('Paris', 'London')).toBe(0);
  });
});

describe('scorePrediction: the maximum over gold answers', () => {
  it('takes the best gold answer for exact and for F1 separately', () => {
    // F1 against 'New York City' = 2*(1)*(2/3)/(1+2/3) = 0.8; against 'NYC' = 0
    expect(scorePrediction(['New York City', 'NYC'], 'New York')).toEqual({ exact: 0, f1: 0.8 });
    expect(scorePrediction(['Denver Broncos', 'Broncos'], 'the broncos')).toEqual({ exact: 1, f1: 1 });
  });

  it('an unanswerable question ([] gold) is right only with an empty prediction', () => {
    expect(scorePrediction([], '')).toEqual({ exact: 1, f1: 1 });
    expect(scorePrediction([], 'Paris')).toEqual({ exact: 0, f1: 0 });
    // a punctuation-only prediction normalises to '' and counts as "no answer"
    expect(scorePrediction([], '?!')).toEqual({ exact: 1, f1: 1 });
  });

  it('gold answers that normalise to nothing are dropped; if none is left the question scores as unanswerable', () => {
    expect(scorePrediction(['!!!'], '')).toEqual({ exact: 1, f1: 1 });
    expect(scorePrediction(['!!!'], 'anything')).toEqual({ exact: 0, f1: 0 });
    expect(scorePrediction(['...', 'Rollo'], 'Rollo')).toEqual({ exact: 1, f1: 1 });
  });
});

describe('evaluateSquad and the best-threshold sweep', () => {
  // q1 answerable, right (F1 1), p .1; q2 unanswerable, answered, p .2; q3 answerable, half right, p .3;
  // q4 unanswerable, not answered, p .9
  const gold = [
    { id: 'q1', answers: ['Rollo'] },
    { id: 'q2', answers: [] },
    { id: 'q3', answers: ['Charles the Simple'] },
    { id: 'q4', answers: [] },
  ];
  const preds = new Map([
    ['q1', 'Rollo'],
    ['q2', 'Paris'],
    ['q3', 'Charles'],
    ['q4', ''],
  ]);
  const probs = new Map([
    ['q1', 0.1],
    ['q2', 0.2],
    ['q3', 0.3],
    ['q4', 0.9],
  ]);

  it('overall, HasAns and NoAns scores', () => {
    // exact: q1 1, q2 0, q3 0, q4 1 -> 50; F1: 1, 0, F1('Charles the Simple', 'Charles') = 2*1*.5/1.5, 1
    const f1q3 = (2 * 1 * 0.5) / 1.5;
    const out = evaluateSquad(gold, preds, probs);
    expect(out).toMatchObject({ exact: 50, total: 4, HasAns_exact: 50, HasAns_total: 2, NoAns_exact: 50, NoAns_total: 2 });
    expect(out.f1).toBe((100 * (1 + 0 + f1q3 + 1)) / 4);
    expect(out.HasAns_f1).toBe((100 * (1 + f1q3)) / 2);
  });

  it('sweeps thresholds: answering only q1 (p <= .1) is best, 3 of 4 right', () => {
    // start at 2 (both unanswerable right), +1 at q1 = 3 (best), -1 at q2, +0 (exact) at q3, +0 at q4
    const out = evaluateSquad(gold, preds, probs);
    expect(out.best_exact).toBe(75);
    expect(out.best_exact_thresh).toBe(0.1);
    expect(out.best_f1).toBe(75);
    expect(out.best_f1_thresh).toBe(0.1);
  });

  it('a probability above the threshold forces "no answer" (apply_no_ans_threshold)', () => {
    // threshold .15: q2, q3, q4 become "no answer": q1 1, q2 1, q3 0, q4 1
    expect(evaluateSquad(gold, preds, probs, 0.15)).toMatchObject({ exact: 75, f1: 75 });
  });

  it('ties are walked in the order of the probabilities map, as the script does', () => {
    const p = new Map([
      ['a', 'x'],
      ['b', 'y'],
    ]);
    const scores = new Map([
      ['a', 1],
      ['b', 0],
    ]);
    const hasAns = new Map([
      ['a', true],
      ['b', false],
    ]);
    // a first: 1 -> 2 (best, thresh .5) -> 1; b first: 1 -> 0 -> 1 (never better than the start)
    const aFirst = new Map([
      ['a', 0.5],
      ['b', 0.5],
    ]);
    const bFirst = new Map([
      ['b', 0.5],
      ['a', 0.5],
    ]);
    expect(findBestThresh(p, scores, aFirst, hasAns)).toEqual({ score: 100, thresh: 0.5 });
    expect(findBestThresh(p, scores, bFirst, hasAns)).toEqual({ score: 50, thresh: 0 });
  });

  it('throws when a question has no prediction (the script would crash)', () => {
    expect(() => evaluateSquad(gold, new Map([['q1', 'Rollo']]))).toThrow(/missing predictions for 3 questions/);
  });
});

describe('docqaThreshold: the script answers p <= t, docqa answers p < threshold', () => {
  it('is the shortest decimal near the middle of (t, next larger probability]', () => {
    // (0.25, 0.5]: midpoint 0.375 -> 0.4
    expect(docqaThreshold([0.25, 0.5, 0.75], 0.25, true)).toBe(0.4);
    // (0.5, 0.75]: midpoint 0.625 -> 0.6
    expect(docqaThreshold([0.75, 0.25, 0.25, 0.5], 0.5, true)).toBe(0.6);
    // (0.0123, 0.0124]: midpoint 0.01235; 0.01, 0.012 and 0.0123 are not above t, so four digits
    expect(docqaThreshold([0.0123, 0.0124], 0.0123, true)).toBe(0.01235);
  });

  it('is halfway to 1 above the largest probability, and 0 when answering nothing is best', () => {
    expect(docqaThreshold([0.25, 0.5], 0.5, true)).toBe(0.8);
    expect(docqaThreshold([0.25, 0.5], 0, false)).toBe(0);
  });
});
