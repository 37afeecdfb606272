import { describe, expect, it } from 'vitest';
import {
  calibratedConfidence,
  candidateFeatures,
  contentWords,
  FEATURE_NAMES,
  normalizeText,
  parseCalibrator,
  questionNames,
  sameName,
  questionAcronyms,
  initialisms,
  type Calibrator,
  type FeatureName,
} from '../../src/qa/confidence.js';
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

  it('matches forms of a name, not look-alikes, and leaves out one- and two-letter abbreviations', () => {
    expect(sameName('kenya', 'kenyans')).toBe(true);
    expect(sameName('germany', 'german')).toBe(true);
    expect(sameName('ctenophora', 'ctenophores')).toBe(true);
    expect(sameName('britain', 'british')).toBe(false);
    expect(sameName('iran', 'iraq')).toBe(false);
    expect(sameName('france', 'french')).toBe(false);
    // one typing slip in a name of 6 letters or more, against a word capitalised in the text
    expect(sameName('hollwood', 'hollywood')).toBe(true);
    expect(sameName('primier', 'premier')).toBe(true);
    expect(sameName('kllbrandon', 'kilbrandon')).toBe(true);
    expect(sameName('braodcast', 'broadcast')).toBe(true);
    expect(sameName('hollwood', 'hollywood', false)).toBe(false); // 'hollywood' only in lower case there
    expect(sameName('paris', 'parts')).toBe(false); // too short for slips
    expect(sameName('austria', 'australia')).toBe(false); // two edits
    expect(sameName('brazil', 'crazil')).toBe(false); // another first letter
    expect(questionNames('Which SP committee has the V&A a U2 iPod from Kenya?')).toEqual(['kenya']);
    const names = candidateFeatures('What sports are Kenyans active in?', [{ span: span('p1', 'Smiljan', 9, 1), rankScore: 1 }], [hit('p1', 'In Kenya people play cricket.', 5)], 0.1);
    // the passage is TEXTS.p1 by span(), but the feature reads the hit's text: 'Kenya' is a form of 'Kenyans'
    expect(names[0]![FEATURE_NAMES.indexOf('passageNames')]).toBe(1);
    const typed = (passage: string) =>
      candidateFeatures('Which studio did ABC buy in Hollwood?', [{ span: span('p1', 'Smiljan', 9, 1), rankScore: 1 }], [hit('p1', passage, 5)], 0.1)[0]![
        FEATURE_NAMES.indexOf('passageNames')
      ];
    expect(typed('ABC bought land in Hollywood in 1949.')).toBe(1);
    expect(typed('abc bought land in hollywood in 1949.')).toBe(0.5); // 'abc' is ABC; a lower-case word is not taken for a misspelt name
    // a name written in capitals also counts as present when the passage spells it out
    expect([...questionAcronyms('When did the UMC and the IPCC meet Tesla in the USA?')]).toEqual(['umc', 'ipcc', 'usa']);
    expect(initialisms('the United Methodist Church in Africa, and the Intergovernmental Panel on Climate Change.').has('umc')).toBe(true);
    expect(initialisms('the Intergovernmental Panel on Climate Change.').has('ipcc')).toBe(true);
    expect(initialisms('the United Methodist, Church').has('umc')).toBe(false); // a comma ends the name
    const spelt = (passage: string, question = 'When did the UMC split?') =>
      candidateFeatures(question, [{ span: span('p1', 'Smiljan', 9, 1), rankScore: 1 }], [hit('p1', passage, 5)], 0.1)[0]![FEATURE_NAMES.indexOf('passageNames')];
    expect(spelt('The United Methodist Church split in 2019.')).toBe(1);
    expect(spelt('The Church split in 2019.')).toBe(0);
    expect(spelt('The United Methodist Church split in 2019.', 'When did the Umc split?')).toBe(0); // not written in capitals
  });
});

describe('calibrated confidence', () => {
  const base: Calibrator = {
    method: 'logistic',
    target: 'f1>=0.5',
    features: ['margin'],
    mean: [0],
    scale: [1],
    weights: [1],
    bias: 0,
    isotonic: { x: [0, 1], y: [0, 1] },
    minConfidence: 0.2,
  };
  const row = (margin: number, passageNames: number) => {
    const v = FEATURE_NAMES.map(() => 0);
    v[FEATURE_NAMES.indexOf('margin')] = margin;
    v[FEATURE_NAMES.indexOf('passageNames')] = passageNames;
    return v;
  };

  it('maps answers without the question names through their own isotonic map when there is one', () => {
    const c = { ...base, isotonicNamesAbsent: { x: [0, 1], y: [0, 0.1] } };
    const p = 1 / (1 + Math.exp(-2));
    expect(calibratedConfidence(c, row(2, 1))).toBeCloseTo(p, 12);
    expect(calibratedConfidence(c, row(2, 0.5))).toBeCloseTo(p, 12);
    expect(calibratedConfidence(c, row(2, 0))).toBeCloseTo(0.1 * p, 12);
    expect(calibratedConfidence(base, row(2, 0))).toBeCloseTo(p, 12);
  });

  it('refuses a names map that is malformed or has no common map', () => {
    expect(parseCalibrator({ ...base, isotonicNamesAbsent: { x: [0, 1], y: [0.5, 0.1] } })).toMatch(/isotonicNamesAbsent/);
    expect(parseCalibrator({ ...base, isotonic: undefined, isotonicNamesAbsent: { x: [0, 1], y: [0, 1] } })).toMatch(/needs calibration.isotonic/);
    expect(typeof parseCalibrator({ ...base, isotonicNamesAbsent: { x: [0, 1], y: [0, 0.1] } })).toBe('object');
  });
});
