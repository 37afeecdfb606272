/** Assembling a run from per-question outcomes, worked by hand: official scores, sweep, retrieval, attribution. */
import { describe, expect, it } from 'vitest';
import { assembleResult, orderedJsonObject, officialFiles } from '../../src/eval/result.js';
import { META, OUTCOMES } from './helpers.js';

describe('assembleResult', () => {
  const r = assembleResult(META, OUTCOMES);

  it('scores the predictions (best span unless "no answer" was chosen) by the official rules', () => {
    expect(r.questions.map((x) => x.prediction)).toEqual(['Rollo', 'London', 'Charles', '', 'y']);
    // exact: 1, 0, 0, 1, 0; F1: 1, 0, 2/3 (gold tokens [charles, simple]: P 1, R 1/2), 1, 0
    expect(r.official).toMatchObject({ exact: 40, total: 5, HasAns_exact: (100 * 1) / 3, HasAns_total: 3, NoAns_exact: 50, NoAns_total: 2 });
    expect(r.official.f1).toBeCloseTo((100 * (1 + 0 + 2 / 3 + 1 + 0)) / 5, 12);
  });

  it('sweeps the threshold over the best spans and recommends a docqa threshold', () => {
    // by probability: q1 (+1 -> 3, best, t .1), q2 (+0), q5 (-1), q3 (+0 / +2/3), q4 (-1)
    expect(r.thresholdSweep).toMatchObject({ best_exact: 60, best_exact_thresh: 0.1, best_f1: 60, best_f1_thresh: 0.1, threshold: 0.5 });
    // (0.1, 0.2): one digit gives 0.2, the next probability itself; two digits give 0.15
    expect(r.thresholdSweep.recommendedThreshold).toBe(0.15);
  });

  it('judges retrieval over the answerable questions and attributes the misses', () => {
    expect(r.retrieval).toEqual({ evaluated: 3, recallAtK: { '1': 1 / 3, '3': 2 / 3 }, mrr: (1 + 0 + 0.5) / 3, documentRecall: 1, k: 3 });
    expect(r.attribution).toMatchObject({ correct: 2, misses: 3, retrievalMisses: 1, readerMisses: 2 });
    expect(r.attribution!.readerMissKinds).toEqual({ withheld: 0, partial: 1, wrong: 0, 'answered-unanswerable': 1 });
    expect(r.questions.map((x) => x.outcome)).toEqual(['correct', 'retrieval-miss', 'reader-miss', 'correct', 'reader-miss']);
  });

  it('groups by question type and article, and sums up latency', () => {
    expect(r.byType).toEqual([
      { key: 'who', questions: 2, exact: 50, f1: 100 * ((1 + 2 / 3) / 2) },
      { key: 'where', questions: 1, exact: 0, f1: 0 },
      { key: 'what', questions: 1, exact: 100, f1: 100 },
      { key: 'when', questions: 1, exact: 0, f1: 0 },
    ]);
    expect(r.byArticle).toMatchObject([{ key: 'Normans', questions: 5, exact: 40 }]);
    expect(r.byArticle[0]!.f1).toBeCloseTo(r.official.f1, 12);
    // latencies 20, 30, 40, 50, 60 ms
    expect(r.latency).toMatchObject({ p50Ms: 40, p95Ms: 58, meanMs: 40, maxMs: 60, questionsPerSecond: 10 });
    expect(r.latency.stages).toEqual({ retrieve: { p50Ms: 1, p95Ms: 1 }, read: { p50Ms: 9, p95Ms: 9 } });
  });

  it('writes the official files in question order', () => {
    const files = officialFiles(r);
    expect(JSON.parse(files.predictions)).toEqual({ q1: 'Rollo', q2: 'London', q3: 'Charles', q4: '', q5: 'y' });
    expect(JSON.parse(files.naProbs)).toEqual({ q1: 0.1, q2: 0.2, q3: 0.4, q4: 0.9, q5: 0.3 });
    expect(orderedJsonObject([['10', 1], ['2', 2]])).toBe('{\n  "10": 1,\n  "2": 2\n}\n');
  });
});
