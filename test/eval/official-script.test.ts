/**
 * docqa's metrics against the official SQuAD 2.0 script's own output on the same files
 * (test/fixtures/eval/official: gold slice, synthetic predictions and no-answer probabilities built by make.mjs,
 * expected*.json written by evaluate-v2.0.py under Python 3.11.7). Equality is exact: same floats, not close ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { parseDataset } from '../../src/eval/dataset.js';
import { evaluateSquad, rawScores, type GoldQuestion } from '../../src/eval/squad-metrics.js';

const dir = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'eval', 'official');
const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
const json = (name: string) => JSON.parse(read(name)) as Record<string, unknown>;

/** JSON object entries in file order (JSON.parse would move integer-like keys such as "10" first). */
function orderedEntries<T>(text: string): [string, T][] {
  const object = JSON.parse(text) as Record<string, T>;
  const keys = [...text.matchAll(/^ {2}("(?:[^"\\]|\\.)*"): /gmu)].map((m) => JSON.parse(m[1]!) as string);
  expect(keys.length).toBe(Object.keys(object).length);
  return keys.map((k) => [k, object[k]!]);
}

const dataset = parseDataset(read('gold.json'), 'gold.json');
const gold: GoldQuestion[] = dataset.questions.map((q) => ({ id: q.id, answers: q.answers }));
const preds = new Map(orderedEntries<string>(read('predictions.json')));
const naProbs = new Map(orderedEntries<number>(read('na_probs.json')));

describe('official SQuAD 2.0 script parity', () => {
  it('the fixture covers answerable, unanswerable and edge-case questions', () => {
    expect(gold.length).toBe(200);
    expect(gold.filter((q) => q.answers.length === 0).length).toBe(101);
    expect([...naProbs.keys()]).toEqual(gold.map((q) => q.id));
  });

  it('scores every question exactly as get_raw_scores does', () => {
    const expected = orderedEntries<[number, number]>(read('expected-raw-scores.json'));
    const raw = rawScores(gold, preds);
    expect([...raw.exact]).toEqual(expected.map(([id, [e]]) => [id, e]));
    expect([...raw.f1]).toEqual(expected.map(([id, [, f]]) => [id, f]));
  });

  it('equals the script with no-answer probabilities (overall, HasAns, NoAns, best thresholds)', () => {
    expect(evaluateSquad(gold, preds, naProbs)).toEqual(json('expected.json'));
  });

  it('equals the script with --na-prob-thresh 0.5', () => {
    expect(evaluateSquad(gold, preds, naProbs, 0.5)).toEqual(json('expected-t0.5.json'));
  });

  it('equals the script without no-answer probabilities', () => {
    expect(evaluateSquad(gold, preds)).toEqual(json('expected-no-probs.json'));
  });
});
