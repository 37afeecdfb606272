/**
 * The reader vs Hugging Face's question-answering pipeline on 300 real SQuAD questions, both running the tiny
 * test models' model.onnx (test/fixtures/tokenizer-offsets/squad-parity.json, made by make_squad_parity.py):
 * tokenization of real text, windows, decoding, word alignment and merging, all compared answer by answer.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReader } from '../../src/reader/index.js';
import { codePointToUtf16, FIXTURES, readJson, readSquad, SQUAD_EXCERPT } from './helpers.js';

interface Run {
  settings: { top_k: number; max_seq_len: number; doc_stride: number; max_answer_len: number };
  answers: [string, number, number, number][][];
}
interface Fixture {
  ids: string[];
  models: Record<string, Run[]>;
}

const FIXTURE = path.join(FIXTURES, 'tokenizer-offsets', 'squad-parity.json');

// The questions and contexts come from the vendored SQuAD articles (never skipped: a missing file fails the test).
describe('reader vs HF pipeline on SQuAD text (tiny models)', () => {
  const fixture = readJson<Fixture>(FIXTURE);
  const byId = new Map(readSquad(SQUAD_EXCERPT).map((e) => [e.id, e]));
  const examples = fixture.ids.map((id) => byId.get(id)!);

  it('finds every fixture question in the vendored articles', () => {
    expect(fixture.ids.length).toBe(300);
    expect(fixture.ids.filter((id) => !byId.has(id))).toEqual([]);
  });

  it.each(Object.entries(fixture.models).flatMap(([model, runs]) => runs.map((run) => [model, run.settings.top_k, run.settings.max_seq_len, run] as const)))(
    '%s, top_k %i, max_seq_len %i: same answers, offsets and scores',
    async (model, _k, _m, run) => {
      const reader = await loadReader({ modelDir: path.join(FIXTURES, 'models', model), threads: 1 });
      const options = {
        topKPerPassage: run.settings.top_k,
        maxSeqLength: run.settings.max_seq_len,
        docStride: run.settings.doc_stride,
        maxAnswerLength: run.settings.max_answer_len,
        maxQuestionLength: 512,
        batchSize: 32,
      };
      let same = 0;
      let total = 0;
      const mismatches: string[] = [];
      for (const [i, e] of examples.entries()) {
        const expected = run.answers[i]!.filter(([text]) => text.trim().length > 0);
        const got = (await reader.read(e.question, [{ id: e.id, text: e.context }], options)).spans;
        const toUtf16 = codePointToUtf16(e.context);
        expected.forEach(([text, start, end, score], j) => {
          total++;
          const g = got[j];
          if (g && g.text === text && g.charStart === toUtf16[start] && g.charEnd === toUtf16[end] && Math.abs(g.score - score) < 1e-5) same++;
          else mismatches.push(`${e.id} #${j}: HF ${JSON.stringify(text)} ${score} / reader ${JSON.stringify(g?.text)} ${g?.score}`);
        });
      }
      await reader.close();
      if (mismatches.length > 0) console.log(`${model}: ${mismatches.length} of ${total} differ\n${mismatches.slice(0, 20).join('\n')}`);
      expect(mismatches).toEqual([]);
      expect(same).toBe(total);
    },
    300_000,
  );
});
