/**
 * The README's promise on the demo corpus (corpus/, ingested for real into SQLite, read by the bundled int8 model
 * with its shipped calibrator): the README's questions are answered, and the first question people try on it,
 * which it cannot answer, gets "no answer" with the reason in words. Guards the calibrator the manifest ships
 * against a refit that loses either.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askCommand } from '../../src/cli/commands/ask.js';
import { ingestCommand } from '../../src/cli/commands/ingest.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import { runCommand } from '../helpers/cli.js';

let dir: string;
const common = () => ['--data-dir', path.join(dir, 'data')];
const ask = async (question: string) =>
  JSON.parse(await runCommand(askCommand, question, '--json', ...common())) as {
    answers: { text: string; confidence: number; document: { name: string } }[];
    noAnswer: { chosen: boolean; reason: string; minConfidence: number; calibrated: boolean };
  };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-demo-'));
  await runCommand(ingestCommand, path.join(PACKAGE_ROOT, 'corpus'), ...common());
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the demo corpus with the bundled model and calibrator', () => {
  it('answers the README questions', async () => {
    for (const [question, text, document] of [
      ['Who led the Norman conquest of England?', 'William the Conqueror', 'normans.docx'],
      ['In what year was Tesla born?', '1856', 'nikola-tesla.txt'],
    ] as const) {
      const r = await ask(question);
      expect(r.noAnswer.calibrated).toBe(true);
      expect(r.noAnswer.chosen, question).toBe(false);
      expect(r.answers[0]).toMatchObject({ text, document: { name: document } });
      expect(r.answers[0]!.confidence).toBeGreaterThanOrEqual(r.noAnswer.minConfidence);
    }
  }, 120_000);

  it('says "no answer", in words, to the capital of France, which it does not hold', async () => {
    const r = await ask('What is the capital of France?');
    expect(r.noAnswer.chosen).toBe(true);
    expect(r.answers[0]!.confidence).toBeLessThan(r.noAnswer.minConfidence);
    expect(r.noAnswer.reason).toMatch(/^No answer found in your documents \(best candidate '.+', confidence 0\.\d\d, below the minimum 0\.\d\d\)\.$/u);
  }, 120_000);
});
