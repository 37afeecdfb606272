import { describe, expect, it } from 'vitest';
import { trainingDataWarnings } from '../../src/eval/leakage.js';
import { formatSummary, modelLabel } from '../../src/eval/format.js';
import { assembleResult } from '../../src/eval/result.js';
import { META, OUTCOMES } from './helpers.js';

const manifest = { trainingData: { files: { 'squad/train.json': 'abc123' }, articles: ['Super Bowl 50', 'Warsaw'] } };
const articles = (...titles: string[]) => ({ articles: titles.map((title) => ({ title, paragraphs: [] })) });

describe('evaluation that cannot flatter', () => {
  it('warns when the set is the training data, or shares articles with it', () => {
    expect(trainingDataWarnings(manifest, 'ABC123'.toLowerCase(), articles('Warsaw'))).toEqual([
      "this question set IS the model's training data (squad/train.json): its scores say nothing about new questions",
    ]);
    expect(trainingDataWarnings(manifest, 'other', articles('Super_Bowl_50', 'Rhine'))).toEqual([
      "1 of the set's 2 articles were in the model's training data (Super_Bowl_50): scores on them are inflated",
    ]);
    expect(trainingDataWarnings(manifest, 'other', articles('Rhine'))).toEqual([]);
    expect(trainingDataWarnings(null, 'abc123', articles('Warsaw'))).toEqual([]);
  });

  it('tells model files apart and recommends a minimum confidence only from a set with unanswerable questions', () => {
    expect(modelLabel({ ...META.model, sha256: '0123456789abcdef' })).toBe('m@1 model.onnx (01234567)');
    const open = { ...META, settings: { ...META.settings, minConfidence: 0.3, calibrated: true }, warnings: ['x overlaps'] };
    const withNoAns = formatSummary(assembleResult(open, OUTCOMES));
    expect(withNoAns).toContain('WARNING: x overlaps');
    expect(withNoAns).toMatch(/minimum confidence 0\.3 \(calibrated\); .* -> DOCQA_MIN_CONFIDENCE=/u);
    const answerable = OUTCOMES.filter((o) => o.question.answers.length > 0);
    expect(formatSummary(assembleResult(open, answerable))).toContain('(no unanswerable questions in this set: no minimum confidence to recommend)');
    expect(formatSummary(assembleResult({ ...META, mode: 'reader' }, answerable))).toContain('(no unanswerable questions in this set: no threshold to recommend)');
  });
});
