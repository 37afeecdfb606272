/**
 * Parity with Hugging Face's question-answering pipeline (PyTorch) on 500 SQuAD dev questions with the
 * project's trained MiniLM-L6 model: at least 99% identical answer strings. The fixture and the model are made
 * by training/parity_fixture.py and the training scripts and are committed; in CI a missing one fails the run, on a
 * developer machine (e.g. a checkout without the model) the test is skipped with a warning.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReader } from '../../src/reader/index.js';
import { FIXTURES, readJson, ROOT } from './helpers.js';

interface ParityFixture {
  modelFile: string;
  settings: { top_k: number; max_seq_len: number; doc_stride: number; max_answer_len: number; max_question_len: number };
  items: { id: string; question: string; context: string; answer: string; start: number; end: number; score: number }[];
}

const FIXTURE = path.join(FIXTURES, 'parity', 'minilm-l6-squad-devb-500.json');
const fixture = existsSync(FIXTURE) ? readJson<ParityFixture>(FIXTURE) : undefined;
const modelFile = fixture && path.join(ROOT, fixture.modelFile);
const runnable = fixture !== undefined && existsSync(modelFile!);
if (!runnable) {
  const what = fixture ? modelFile! : FIXTURE;
  if (process.env.CI) throw new Error(`parity test: ${what} is missing`);
  console.warn(`parity test skipped: ${what} is missing`);
}

describe.skipIf(!runnable)('parity with the HF pipeline (MiniLM-L6, SQuAD dev-b 500)', () => {
  it(
    'gives the same answer string for at least 99% of the questions',
    async () => {
      const { settings, items } = fixture!;
      const reader = await loadReader({ modelDir: path.dirname(modelFile!), modelFile: path.basename(modelFile!) });
      const options = {
        topKPerPassage: settings.top_k,
        maxSeqLength: settings.max_seq_len,
        docStride: settings.doc_stride,
        maxAnswerLength: settings.max_answer_len,
        // the HF fast-tokenizer path never truncates the question
        maxQuestionLength: 512,
        batchSize: 16,
      };
      const mismatches: string[] = [];
      let sameOffsets = 0;
      let maxScoreDiff = 0;
      for (const item of items) {
        const result = await reader.read(item.question, [{ id: item.id, text: item.context }], options);
        const best = result.spans[0];
        if (best?.text !== item.answer) {
          mismatches.push(`${item.id}: ${JSON.stringify(item.question)}\n  HF     ${JSON.stringify(item.answer)} (${item.score})\n  reader ${JSON.stringify(best?.text)} (${best?.score})`);
          continue;
        }
        // Python offsets count code points; equal strings at equal code-point offsets are what we check here
        if ([...item.context.slice(0, best.charStart)].length === item.start) sameOffsets++;
        maxScoreDiff = Math.max(maxScoreDiff, Math.abs(best.score - item.score));
      }
      await reader.close();
      const same = items.length - mismatches.length;
      console.log(
        `parity: ${same}/${items.length} identical answers, ${sameOffsets} at identical offsets, ` +
          `max score difference ${maxScoreDiff.toExponential(2)}` +
          (mismatches.length ? `\nmismatches:\n${mismatches.join('\n')}` : ''),
      );
      expect(same / items.length).toBeGreaterThanOrEqual(0.99);
    },
    600_000,
  );
});
