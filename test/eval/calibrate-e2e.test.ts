/**
 * Confidence end to end, in-process through the CLI commands with the real SQLite store and the tiny real ONNX
 * model: an open-mode run writes its candidates, `docqa eval calibrate --write` fits a calibrator into a copy of
 * the model folder's manifest, the loader reads it back, `ask` then reports calibrated confidences and decides with
 * its minimum, and `--check` judges it. The tiny model's answers are nonsense: this checks the plumbing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { askCommand } from '../../src/cli/commands/ask.js';
import { ingestCommand } from '../../src/cli/commands/ingest.js';
import { runCommand } from '../helpers/cli.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import { FEATURE_NAMES } from '../../src/qa/confidence.js';
import { withForeignQuestions, type SquadJson } from '../../src/eval/sets.js';
import { loadReader } from '../../src/reader/index.js';
import { TINY_BERT } from '../helpers/services.js';

const DEV_B = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'squad', 'squad-v1.1-dev-b-excerpt.json');

let dir: string;
let modelDir: string;

const run = runCommand;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-calibrate-'));
  modelDir = path.join(dir, 'model');
  fs.cpSync(TINY_BERT, modelDir, { recursive: true });
  // two articles with their questions + as many foreign questions from the others (unanswerable here)
  const devB = JSON.parse(fs.readFileSync(DEV_B, 'utf8')) as SquadJson;
  const set = withForeignQuestions(devB.data.slice(0, 2), { data: devB.data.slice(2) }, 3);
  fs.writeFileSync(path.join(dir, 'set.json'), JSON.stringify(set));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('docqa eval calibrate', () => {
  it('fits on the candidates of an open run, stores the calibrator in the manifest, and ask uses it', async () => {
    const candidates = path.join(dir, 'candidates.jsonl');
    const common = ['--data-dir', path.join(dir, 'data'), '--model-dir', modelDir];
    await run(evalCommand, 'open', path.join(dir, 'set.json'), '--limit', '30', '--seed', '2', '--candidates', candidates, '--no-save', '--quiet', ...common);
    const lines = fs.readFileSync(candidates, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ candidates: 'docqa-candidates/1', features: [...FEATURE_NAMES], dataset: { questions: 30 } });
    expect(lines).toHaveLength(31);
    const records = lines.slice(1);
    expect(records.some((r) => r.answers.length === 0)).toBe(true);
    expect(records.some((r) => r.answers.length > 0)).toBe(true);
    // every record names its article (the fold it goes to when the calibrator is cross-fitted)
    expect(new Set(records.map((r) => r.article)).size).toBe(2);
    for (const r of records) {
      if (r.candidates.length > 0) expect(r.passages.length).toBeGreaterThan(0);
      for (const c of r.candidates) {
        expect(c.features).toHaveLength(FEATURE_NAMES.length);
        // the raw inputs are kept: the span lies in its passage
        const passage = r.passages.find((p: { id: string }) => p.id === c.passageId);
        expect(passage.text.slice(c.span.charStart, c.span.charEnd)).toBe(c.text);
      }
    }

    const fitted = JSON.parse(await run(evalCommand, 'calibrate', candidates, '--write', '--json', ...common));
    expect(fitted.written).toBe(path.join(modelDir, 'manifest.json'));
    expect(fitted.report.questions).toBe(30);
    const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'manifest.json'), 'utf8'));
    const stored = manifest.calibration['model.onnx'];
    expect(stored).toMatchObject({ method: 'logistic', target: 'f1>=0.5', fittedOn: { sets: [{ name: 'set.json', questions: 30 }] } });
    expect(stored.fit).toMatchObject({ crossFitFolds: 2, scoresFrom: 'out-of-fold (2 folds by article)' });
    expect(manifest.name).toBe(JSON.parse(fs.readFileSync(path.join(TINY_BERT, 'manifest.json'), 'utf8')).name); // rest kept

    const reader = await loadReader({ modelDir, modelFile: 'model.onnx', executionProvider: 'cpu', threads: 1 });
    expect(reader.model.calibrator?.minConfidence).toBe(stored.minConfidence);
    await reader.close();

    const check = await run(evalCommand, 'calibrate', candidates, '--check', '--sweep', ...common);
    expect(check).toMatch(/^min confidence +F1 +HasAns F1/mu);
    expect(check.match(/^0\.\d\d +\d+\.\d\d +\d+\.\d\d/gmu)).toHaveLength(19);
    expect(check).toMatch(/30 questions \(\d+ answerable, \d+ unanswerable\)/u);
    expect(check).toMatch(/ECE \d\.\d{4}/u);

    // ask over an ingested article: calibrated confidence, and the decision follows --min-confidence
    const devB = JSON.parse(fs.readFileSync(DEV_B, 'utf8')) as SquadJson;
    const article = path.join(dir, 'article.txt');
    fs.writeFileSync(article, devB.data[0]!.paragraphs.map((p) => p.context).join('\n\n'));
    await run(ingestCommand, article, '--data-dir', path.join(dir, 'data'));
    const ask = async (...extra: string[]) =>
      JSON.parse(await run(askCommand, devB.data[0]!.paragraphs[0]!.qas[0]!.question, '--json', ...common, ...extra));
    const asked = await ask('--min-confidence', '0');
    expect(asked.noAnswer).toMatchObject({ calibrated: true, chosen: false, minConfidence: 0 });
    expect(asked.answers.length).toBeGreaterThan(0);
    for (const a of asked.answers) {
      expect(a.confidence).toBeGreaterThanOrEqual(0);
      expect(a.confidence).toBeLessThanOrEqual(1);
    }
    const refused = await ask('--min-confidence', '1');
    expect(refused.noAnswer).toMatchObject({ calibrated: true, chosen: true, minConfidence: 1 });
    expect(refused.noAnswer.reason).toMatch(/^No answer found in your documents \(best candidate/u);
  });

  it('refuses a file that is not a candidates file, naming it', async () => {
    const bogus = path.join(dir, 'bogus.jsonl');
    fs.writeFileSync(bogus, '{"id": 1}\n');
    await expect(run(evalCommand, 'calibrate', bogus, '--model-dir', modelDir)).rejects.toThrow(/bogus\.jsonl: not a candidates file/u);
  });
});
