import { describe, expect, it } from 'vitest';
import {
  bestMinConfidence,
  candidateF1,
  confidenceReport,
  decisions,
  expectedCalibrationError,
  f1At,
  fitCalibrator,
  fitLogistic,
  f1StandardError,
  eceInterval,
  foldsOf,
  oneSeMinConfidence,
  hasRawInputs,
  isotonicFit,
  withCurrentFeatures,
  solve,
  trainingSet,
  type Decision,
} from '../../src/eval/calibration.js';
import type { CandidateRecord } from '../../src/eval/runner.js';
import { calibratedConfidence, FEATURE_NAMES, interpolate, parseCalibrator } from '../../src/qa/confidence.js';
import { SWAPPED_PREFIX } from '../../src/eval/sets.js';
import { prng } from '../../src/eval/stats.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('fitLogistic', () => {
  it('recovers the weights of a known logistic model from its samples', () => {
    const rand = prng(3);
    const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    const x: number[][] = [];
    const y: (0 | 1)[] = [];
    for (let i = 0; i < 20000; i++) {
      const row = [normal(), normal() * 3 + 2, normal()];
      x.push(row);
      y.push(rand() < sigmoid(1.5 * row[0]! - 0.5 * (row[1]! - 2) / 3 + 0 * row[2]! - 0.7) ? 1 : 0);
    }
    const fit = fitLogistic(x, y, 0);
    // weights are on standardised columns: recover the generating ones up to sampling noise
    const w = fit.weights.map((v, j) => v / fit.scale[j]!);
    expect(w[0]).toBeCloseTo(1.5, 1);
    expect(w[1]).toBeCloseTo(-0.5 / 3, 1);
    expect(Math.abs(w[2]!)).toBeLessThan(0.05);
    expect(fit.bias - fit.weights.reduce((s, v, j) => s + (v * fit.mean[j]!) / fit.scale[j]!, 0)).toBeCloseTo(-0.7 + 0.5 * 2 / 3, 1);
  });

  it('solves linear systems (with pivoting) and refuses singular ones', () => {
    expect(solve([[0, 2], [3, 1]], [4, 5]).map((v) => Number(v.toFixed(12)))).toEqual([1, 2]);
    expect(() => solve([[1, 2], [2, 4]], [1, 2])).toThrow(/singular/);
  });
});

describe('expected calibration error', () => {
  it('is 0 when each bin is right as often as it says, and the gap otherwise', () => {
    const conf = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];
    expect(expectedCalibrationError(conf, [true, false, false, false, true, true, true, false])).toBeCloseTo(0, 12);
    // every answer says 0.9 and half are right: ECE 0.4
    expect(expectedCalibrationError([0.9, 0.9], [true, false])).toBeCloseTo(0.4, 12);
  });
});

describe('abstention', () => {
  const ds: Decision[] = [
    { hasAnswer: true, confidence: 0.9, f1: 1, exact: 1 },
    { hasAnswer: true, confidence: 0.6, f1: 0.5, exact: 0 },
    { hasAnswer: false, confidence: 0.3, f1: 0, exact: 0 },
    { hasAnswer: false, confidence: 0.7, f1: 0, exact: 0 },
    { hasAnswer: true, confidence: -1, f1: 0, exact: 0 },
  ];

  it('scores F1 as the official script does: an abstention on an unanswerable question is right', () => {
    expect(f1At(ds, 0)).toBeCloseTo((100 * (1 + 0.5)) / 5, 12);
    expect(f1At(ds, 0.5)).toBeCloseTo((100 * (1 + 0.5 + 1)) / 5, 12);
    expect(f1At(ds, 0.8)).toBeCloseTo((100 * (1 + 1 + 1)) / 5, 12);
    expect(f1At(ds, 2)).toBeCloseTo((100 * 2) / 5, 12);
  });

  it('picks the best minimum confidence between two data points', () => {
    expect(bestMinConfidence(ds)).toEqual({ minConfidence: (0.7 + 0.9) / 2, f1: 60 });
  });

  it('reports abstention on both kinds of questions and calibration of what it answers', () => {
    const r = confidenceReport(ds, 0.8);
    expect(r).toMatchObject({ questions: 5, hasAnswer: 3, noAnswer: 2, answered: 1, noAnswerAbstention: 1, hasAnswerAbstention: 2 / 3 });
    expect(r.hasAnswerF1).toBeCloseTo(100 / 3, 12);
    expect(r.hasAnswerF1NeverAbstain).toBeCloseTo(50, 12);
    expect(r.ece).toBeCloseTo(0.1, 12);
  });
});

function record(id: string, answers: string[], document: string | null, candidates: [string, string | null, number][]): CandidateRecord {
  return {
    id,
    question: 'q?',
    answers,
    document,
    readerNoAnswerScore: 0.1,
    candidates: candidates.map(([text, doc, margin], i) => {
      const features = FEATURE_NAMES.map(() => 0);
      features[FEATURE_NAMES.indexOf('margin')] = margin;
      features[FEATURE_NAMES.indexOf('rankLog')] = Math.log1p(i);
      return { text, document: doc, confidence: 0, rankScore: margin, passageId: `p${i}`, features, span: { charStart: 0, charEnd: text.length, score: 0.5, logit: margin, nullLogit: 0 } };
    }),
  };
}

/**
 * Half answerable, half not; every `absentEvery`-th question's passage holds none of its names (passageNames 0).
 * Answerable questions are right with probability sigmoid(1.5 margin - 1) when it holds them, `absentRight` when
 * it does not, whatever the margin.
 */
function namesRecords(rand: () => number, count: number, absentEvery: number, absentRight: number): CandidateRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const answerable = i % 2 === 0;
    const absent = i % absentEvery === 0;
    const m = answerable ? -2 + 6 * rand() : -3 + 4 * rand();
    const right = answerable && rand() < (absent ? absentRight : sigmoid(1.5 * m - 1));
    const r = record(`q${i}`, answerable ? ['Paris'] : [], null, [[right ? 'Paris' : 'Lyon', 'd', m], ['Nice', 'd', m - 1]]);
    for (const c of r.candidates) c.features[FEATURE_NAMES.indexOf('passageNames')] = absent ? 0 : 1;
    return r;
  });
}

/** The confidence of an answer of margin 3.5 whose passage holds all (or none) of the question's names. */
function sureAnswer(cal: ReturnType<typeof fitCalibrator>, absent: boolean): number {
  const f = FEATURE_NAMES.map(() => 0);
  f[FEATURE_NAMES.indexOf('margin')] = 3.5;
  f[FEATURE_NAMES.indexOf('passageNames')] = absent ? 0 : 1;
  return calibratedConfidence(cal, f);
}

describe('fitCalibrator: answers without the question names', () => {
  // right one time in twenty without the question's names
  const records = namesRecords(prng(5), 3000, 5, 0.05);

  it('fits a second isotonic map for them, which the linear sum could not express, unless told not to', () => {
    const c = fitCalibrator(records, { features: ['margin', 'passageNames'] });
    expect(c.isotonicNamesAbsent).toBeDefined();
    expect(parseCalibrator(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(sureAnswer(c, false)).toBeGreaterThan(0.8);
    expect(sureAnswer(c, true)).toBeLessThan(0.25);
    // one map over the linear sum stays over-confident on them (true rate 0.05)
    const single = fitCalibrator(records, { features: ['margin', 'passageNames'], namesAbsentMap: false });
    expect(single.isotonicNamesAbsent).toBeUndefined();
    expect(sureAnswer(single, true)).toBeGreaterThan(sureAnswer(c, true) + 0.1);
  });
});

describe('fitCalibrator: swapped-name questions', () => {
  // few answers without the question's names, right half the time; swapped-name questions (unanswerable, names
  // absent, sure-looking margins) show how such answers fare on questions about what the documents lack
  const rand = prng(7);
  const base = namesRecords(rand, 2000, 40, 0.5);
  const swapped = Array.from({ length: 400 }, (_, i) => {
    const m = 4 * rand();
    const r = record(`${SWAPPED_PREFIX}q${i}`, [], null, [['Melfi', 'd', m], ['Nice', 'd', m - 1]]);
    for (const c of r.candidates) c.features[FEATURE_NAMES.indexOf('passageNames')] = 0;
    return r;
  });

  it('join the names-absent map only: the logistic stage and the main map stay as without them', () => {
    const without = fitCalibrator(base, { features: ['margin', 'passageNames'] });
    const withSwapped = fitCalibrator([...base, ...swapped], { features: ['margin', 'passageNames'] });
    expect(withSwapped.weights).toEqual(without.weights);
    expect(withSwapped.isotonic).toEqual(without.isotonic);
    expect(withSwapped.fit?.questions).toBe(2000); // the minimum is chosen on the answerable and foreign questions
    expect(withSwapped.fit?.unanswerable).toBe(1000);
    expect(withSwapped.isotonicNamesAbsent).not.toEqual(without.isotonicNamesAbsent);
    expect(String(withSwapped.fit?.namesAbsentMap)).toMatch(/of 400 swapped-name questions/u);
    expect(sureAnswer(withSwapped, true)).toBeLessThan(sureAnswer(without, true) - 0.1);
  });
});

describe('features from raw inputs', () => {
  it('computes the features of a record again with the current code, from the passages and spans it keeps', () => {
    const r = record('q', ['Smiljan'], null, [['Smiljan', 'd', 3]]);
    r.question = 'Where was Tesla born?';
    r.passages = [{ id: 'p0', document: 'd', text: 'Tesla was born in Smiljan.', retrieverScore: 4 }];
    r.candidates[0]!.span = { charStart: 18, charEnd: 25, score: 0.9, logit: 5, nullLogit: 2 };
    r.candidates[0]!.features = [1, 2, 3]; // stale: written by an older version
    expect(hasRawInputs(r)).toBe(true);
    const again = withCurrentFeatures(r);
    const f = (name: (typeof FEATURE_NAMES)[number]) => again.candidates[0]!.features[FEATURE_NAMES.indexOf(name)];
    expect(again.candidates[0]!.features).toHaveLength(FEATURE_NAMES.length);
    expect(f('margin')).toBe(3);
    expect(f('bm25')).toBe(4);
    expect(f('nearCoverage')).toBe(1);
    expect(f('passageNames')).toBe(1); // "Tesla" is in the answer's passage
    r.question = 'Where was Edison born?';
    expect(withCurrentFeatures(r).candidates[0]!.features[FEATURE_NAMES.indexOf('passageNames')]).toBe(0);
    expect(hasRawInputs({ ...r, passages: undefined })).toBe(false);
  });
});

describe('labels', () => {
  it('an answer is correct at F1 >= 0.5, and only from the document the question names', () => {
    const r = record('q', ['Milutin Tesla'], 'tesla.txt', []);
    expect(candidateF1(r, { text: 'Milutin', document: 'docs/tesla.txt' })).toBeCloseTo(2 / 3, 12);
    expect(candidateF1(r, { text: 'Milutin Tesla', document: 'other.txt' })).toBe(0);
    expect(candidateF1({ answers: [], document: null }, { text: 'x', document: 'a' })).toBe(0);
  });
});

describe('fitCalibrator', () => {
  // the best candidate is right with probability sigmoid(1.5 margin - 1) on answerable questions, the runner-up
  // never; unanswerable questions only offer wrong candidates (with lower margins)
  const rand = prng(11);
  const records: CandidateRecord[] = [];
  for (let i = 0; i < 2000; i++) {
    const answerable = i % 2 === 0;
    const m = answerable ? -2 + 6 * rand() : -3 + 4 * rand();
    const right = answerable && rand() < sigmoid(1.5 * m - 1);
    records.push(record(`q${i}`, answerable ? ['Paris'] : [], null, [[right ? 'Paris' : 'Lyon', 'd', m], ['Nice', 'd', m - 1]]));
  }

  it('learns that a larger margin means a right answer, chooses a minimum confidence, and round-trips through parseCalibrator', () => {
    const c = fitCalibrator(records, { features: ['margin', 'rankLog'], fittedOn: { sets: ['synthetic'] } });
    expect(c.weights[0]).toBeGreaterThan(0);
    expect(c.minConfidence).toBeGreaterThan(0);
    expect(c.minConfidence).toBeLessThan(1);
    expect(c.fit).toMatchObject({ questions: 2000, unanswerable: 1000, perQuestion: 5 });
    expect(parseCalibrator(JSON.parse(JSON.stringify(c)))).toEqual(c);
    const ds = decisions(records, (cand) => calibratedConfidence(c, cand.features));
    const report = confidenceReport(ds, c.minConfidence);
    expect(report.f1).toBeGreaterThan(f1At(ds, 0));
    expect(report.ece).toBeLessThan(0.05);
  });

  it('fits the logistic stage alone when asked, on the features asked for', () => {
    const c = fitCalibrator(records, { features: ['margin', 'rankLog'], isotonic: false, l2: 10 });
    expect(c.isotonic).toBeUndefined();
    expect(c.fit).toMatchObject({ isotonic: false, l2: 10 });
    expect(c.features).toEqual(['margin', 'rankLog']);
    const stronger = fitCalibrator(records, { features: ['margin', 'rankLog'], isotonic: false, l2: 1000 });
    expect(Math.abs(stronger.weights[0]!)).toBeLessThan(Math.abs(c.weights[0]!));
  });

  it('keeps 0.5 as the minimum when the set has no unanswerable question', () => {
    const c = fitCalibrator(records.filter((r) => r.answers.length > 0), { features: ['margin'] });
    expect(c.minConfidence).toBe(0.5);
  });

  it('trains on the best candidates by ranking key, labelled', () => {
    const set = trainingSet(records.slice(0, 2), 1);
    expect(set.x).toHaveLength(2);
    expect(set.y[1]).toBe(0);
  });
});

describe('parseCalibrator', () => {
  it('names what is wrong in a malformed calibration', () => {
    expect(parseCalibrator(undefined)).toBeUndefined();
    expect(parseCalibrator({ method: 'isotonic' })).toMatch(/method/);
    expect(parseCalibrator({ method: 'logistic', features: ['nope'] })).toMatch(/unknown feature 'nope'/);
    expect(parseCalibrator({ method: 'logistic', features: ['margin'], mean: [0], scale: [0], weights: [1], bias: 0, minConfidence: 0.5 })).toMatch(/scale/);
    expect(parseCalibrator({ method: 'logistic', features: ['margin'], mean: [0], scale: [1], weights: [1], bias: 0, minConfidence: 2 })).toMatch(/minConfidence/);
  });
});

describe('isotonic stage', () => {
  it('pools adjacent violators into a non-decreasing map, interpolated and clamped', () => {
    const fit = isotonicFit([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, 1, 0, 0, 1, 1]);
    expect(fit.y).toEqual([0.01, 1 / 3, 0.99]);
    expect(fit.x.map((v) => Number(v.toFixed(12)))).toEqual([0.1, 0.3, 0.55]);
    expect(interpolate(fit, 0)).toBe(0.01);
    expect(interpolate(fit, 0.2)).toBeCloseTo((0.01 + 1 / 3) / 2, 12);
    expect(interpolate(fit, 0.9)).toBe(0.99);
    expect(parseCalibrator({ method: 'logistic', features: ['margin'], mean: [0], scale: [1], weights: [1], bias: 0, minConfidence: 0.5, isotonic: { x: [0.2, 0.1], y: [0, 1] } })).toMatch(/isotonic/);
  });
});

describe('cross-fitting', () => {
  it('keeps the questions of one article in one fold, spreads the articles over the folds, and is deterministic', () => {
    const recs = Array.from({ length: 60 }, (_, i) => ({ id: `q${i}`, article: `A${i % 12}` }));
    const folds = foldsOf(recs, 5);
    for (const a of new Set(recs.map((r) => r.article))) {
      expect(new Set(folds.filter((_, i) => recs[i]!.article === a)).size).toBe(1);
    }
    expect(new Set(folds)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(foldsOf(recs, 5)).toEqual(folds);
    // fewer articles than folds: one fold per article; without articles every question is its own group
    expect(new Set(foldsOf(recs.slice(0, 3), 5)).size).toBe(3);
    expect(new Set(foldsOf(recs.map((r) => ({ id: r.id })), 5)).size).toBe(5);
  });

  // few questions, many noise features and no penalty: a logistic that fits its own data too well
  function noisy(n: number, seed: number): CandidateRecord[] {
    const rand = prng(seed);
    return Array.from({ length: n }, (_, i) => {
      const m = -3 + 6 * rand();
      const right = rand() < sigmoid(0.8 * m);
      const r = record(`q${seed}-${i}`, ['Paris'], null, [[right ? 'Paris' : 'Lyon', 'd', m]]);
      r.article = `a${seed}-${i % 40}`;
      const f = r.candidates[0]!.features;
      FEATURE_NAMES.forEach((name, j) => {
        if (name !== 'margin' && name !== 'rankLog') f[j] = rand() * 2 - 1;
      });
      return r;
    });
  }

  it('fits the isotonic map on out-of-fold scores, so the calibrator is less over-confident on new questions than one fitted in-sample', () => {
    const train = noisy(240, 5);
    const fresh = noisy(6000, 6);
    const eceOn = (c: ReturnType<typeof fitCalibrator>) => {
      const ds = decisions(fresh, (cand) => calibratedConfidence(c, cand.features));
      return confidenceReport(ds, 0).ece;
    };
    const inSample = fitCalibrator(train, { l2: 0.01, folds: 0 });
    const crossFitted = fitCalibrator(train, { l2: 0.01, folds: 5 });
    expect(inSample.fit).toMatchObject({ crossFitFolds: 0 });
    expect(crossFitted.fit).toMatchObject({ crossFitFolds: 5 });
    expect(eceOn(crossFitted)).toBeLessThan(eceOn(inSample));
  });
});

describe('the one-standard-error rule', () => {
  // 400 answerable questions right at every confidence, 400 unanswerable ones whose wrong answers all sit at 0.2-0.3:
  // refusing below 0.3 is best, and anything from 0.2 to 0.3 is within noise of it only if the loss is small
  const ds: Decision[] = [];
  const rand = prng(21);
  for (let i = 0; i < 400; i++) ds.push({ hasAnswer: true, confidence: 0.05 + 0.9 * rand(), f1: 1, exact: 1 });
  for (let i = 0; i < 400; i++) ds.push({ hasAnswer: false, confidence: 0.2 + 0.1 * rand(), f1: 0, exact: 0 });
  for (let i = 0; i < 6; i++) ds.push({ hasAnswer: false, confidence: 0.1 + 0.01 * i, f1: 0, exact: 0 });

  it('takes the lowest minimum confidence within one bootstrap standard error of the best F1', () => {
    const best = bestMinConfidence(ds);
    const one = oneSeMinConfidence(ds);
    expect(one.bestF1).toBeCloseTo(best.f1, 9);
    expect(one.standardError).toBeGreaterThan(0);
    expect(one.minConfidence).toBeLessThan(best.minConfidence);
    expect(one.f1).toBeGreaterThanOrEqual(best.f1 - one.standardError - 1e-9);
    // and no lower value qualifies
    const lower = ds.map((d) => d.confidence).filter((c) => c < one.minConfidence);
    for (const c of lower) expect(f1At(ds, c)).toBeLessThan(best.f1 - one.standardError);
  });

  it('has a zero standard error when every question scores the same, and is seeded', () => {
    const same: Decision[] = Array.from({ length: 50 }, () => ({ hasAnswer: true, confidence: 0.9, f1: 1, exact: 1 }));
    expect(f1StandardError(same, 0.5)).toBe(0);
    expect(f1StandardError(ds, 0.3)).toBe(f1StandardError(ds, 0.3));
    expect(oneSeMinConfidence(same).minConfidence).toBe(bestMinConfidence(same).minConfidence);
  });

  it('is the default when fitting; best-f1 remains available', () => {
    const rand2 = prng(12);
    const recs: CandidateRecord[] = [];
    for (let i = 0; i < 1000; i++) {
      const answerable = i % 2 === 0;
      const m = answerable ? -2 + 6 * rand2() : -3 + 4 * rand2();
      const right = answerable && rand2() < sigmoid(1.5 * m - 1);
      recs.push(record(`q${i}`, answerable ? ['Paris'] : [], null, [[right ? 'Paris' : 'Lyon', 'd', m]]));
    }
    const oneSe = fitCalibrator(recs, { features: ['margin'] });
    const bestF1 = fitCalibrator(recs, { features: ['margin'], thresholdRule: 'best-f1' });
    expect(String(oneSe.fit?.minConfidenceChosenFor)).toMatch(/^one-se/);
    expect(String(bestF1.fit?.minConfidenceChosenFor)).toBe('best F1 on the fitting set');
    expect(oneSe.minConfidence).toBeLessThanOrEqual(bestF1.minConfidence);
  });
});

describe('ECE interval', () => {
  it('is a seeded bootstrap interval around the ECE, empty for no answers', () => {
    const rand = prng(4);
    const conf = Array.from({ length: 300 }, () => rand());
    const correct = conf.map((c) => rand() < c * 0.8);
    const [lo, hi] = eceInterval(conf, correct);
    expect(lo).toBeLessThan(hi);
    expect(hi).toBeGreaterThan(expectedCalibrationError(conf, correct) - 1e-12);
    expect(eceInterval(conf, correct)).toEqual([lo, hi]);
    expect(eceInterval([], [])).toEqual([0, 0]);
  });
});
