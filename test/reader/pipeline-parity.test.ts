/**
 * The reader's pure stages (windows, span decoding, answers) against Hugging Face's QuestionAnsweringPipeline
 * run on the same seeded logits (test/fixtures/tokenizer-offsets/pipeline.json, made by make.py there).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { passageAnswers } from '../../src/reader/answers.js';
import { bestSpans, windowProbabilities } from '../../src/reader/decode.js';
import { loadTokenizer } from '../../src/reader/model-folder.js';
import type { PassageTokenizer } from '../../src/reader/tokenizer.js';
import { answerPositions, buildWindows } from '../../src/reader/windows.js';
import { codePointToUtf16, FIXTURES, readJson, ROOT } from './helpers.js';

interface HfWindow {
  input_ids: number[];
  token_type_ids: number[] | null;
  p_mask: number[];
  sequence_ids: (number | null)[];
  start_logits: number[];
  end_logits: number[];
}
interface HfCase {
  question: string;
  context: string;
  max_seq_len: number;
  doc_stride: number;
  max_answer_len: number;
  top_k: number;
  windows: HfWindow[];
  answers: { score: number; start: number; end: number; answer: string }[];
  min_null_score: number;
}
interface PipelineFixture {
  tokenizers: Record<string, { dir: string; cases: HfCase[] }>;
}

const fixture = readJson<PipelineFixture>(path.join(FIXTURES, 'tokenizer-offsets', 'pipeline.json'));

describe.each(Object.entries(fixture.tokenizers))('%s: windows and decoding vs the HF pipeline', (_name, spec) => {
  let tokenizer: PassageTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(path.join(ROOT, spec.dir));
  });

  it.each(spec.cases.map((c, i) => [i, c.max_seq_len, c.doc_stride, c.top_k, c] as const))(
    'case %i (max_seq_len %i, stride %i, top_k %i)',
    async (_i, _m, _s, _k, c) => {
      const question = await tokenizer.encode(c.question);
      const context = await tokenizer.encode(c.context);
      // the HF fast path does not truncate the question
      const windows = buildWindows(0, question.ids, context.ids, tokenizer.template, tokenizer.clsTokenId, {
        maxSeqLength: c.max_seq_len,
        docStride: c.doc_stride,
        maxQuestionLength: 100_000,
      });
      expect(windows.map((w) => w.inputIds)).toEqual(c.windows.map((w) => w.input_ids));
      // token_type_ids: tokenizers' TemplateProcessing gives the template's type ids to the first window only; the
      // overflow windows keep type id 1 for the context. That shows where the template says otherwise (XLM-R's says
      // 0, and its graph takes no token_type_ids); the reader puts the template's ids in every window.
      const contextTypeId = tokenizer.template.contextTypeId;
      const expectedTypeIds = c.windows.map((w, i) =>
        i === 0 ? w.token_type_ids : w.token_type_ids!.map((t, p) => (w.sequence_ids[p] === 1 ? contextTypeId : t)),
      );
      expect(windows.map((w) => w.typeIds)).toEqual(expectedTypeIds);
      expect(windows.map((w) => w.inputIds.map((_, p) => (answerPositions(w)(p) ? 0 : 1)))).toEqual(
        c.windows.map((w) => w.p_mask),
      );

      const decoded = windows.map((w, i) => {
        const allowed = answerPositions(w);
        const probabilities = windowProbabilities(c.windows[i]!.start_logits, c.windows[i]!.end_logits, allowed);
        return {
          window: w,
          nullScore: probabilities.nullScore,
          spans: bestSpans(probabilities, allowed, 2 * c.top_k + 10, c.max_answer_len),
          startLogits: c.windows[i]!.start_logits,
          endLogits: c.windows[i]!.end_logits,
        };
      });
      const answers = passageAnswers('p', c.context, context, decoded, c.top_k);
      const toUtf16 = codePointToUtf16(c.context);
      // HF fills its top_k with spans that start at the CLS position (score 0, offsets from CLS's (0, 0)) when the
      // context has fewer real spans; the reader returns real spans only, and no empty answer
      const expected = c.answers.filter((a) => a.score > 0 && a.answer.trim().length > 0);
      expect(answers.map((a) => [a.text, a.charStart, a.charEnd])).toEqual(
        expected.map((a) => [a.answer, toUtf16[a.start], toUtf16[a.end]]),
      );
      answers.forEach((a, i) => expect(a.score).toBeCloseTo(expected[i]!.score, 6));
      for (const a of answers) expect(c.context.slice(a.charStart, a.charEnd)).toBe(a.text);
      // the raw logits of each answer's span (unmerged answers: exactly its start and end logits)
      for (const a of answers) {
        const w = c.windows[a.window]!;
        expect(c.windows.map((x) => x.start_logits[0]! + x.end_logits[0]!)).toContain(a.nullLogit);
        expect(a.logit).toBeGreaterThanOrEqual(w.start_logits[a.startToken]! + w.end_logits[a.endToken]!);
      }
      const minNull = Math.min(...decoded.map((d) => d.nullScore));
      expect(Math.abs(minNull - c.min_null_score)).toBeLessThanOrEqual(1e-6 * Math.max(1e-3, c.min_null_score));
    },
  );
});
