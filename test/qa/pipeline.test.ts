import { describe, expect, it } from 'vitest';
import { makeDoc } from '../store/contract.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { QaPipeline } from '../../src/qa/pipeline.js';
import { rankSpans, readerKey } from '../../src/qa/ranking.js';
import type { AnswerSpan, ReadResult, Reader, ReaderPassage } from '../../src/reader/types.js';
import type { SearchHit } from '../../src/store/store.js';
import { FEATURE_NAMES, type Calibrator } from '../../src/qa/confidence.js';

type FakeSpan = Omit<AnswerSpan, 'window' | 'startToken' | 'endToken'>;

/** A reader fake that returns given spans (the pipeline's own logic is what is under test here). */
function fakeReader(spans: (passages: ReaderPassage[]) => FakeSpan[], noAnswer = 0.01): Reader {
  return {
    model: { name: 'fake', version: '0', dir: '.', file: 'model.onnx' },
    async read(_q, passages): Promise<ReadResult> {
      const all = spans(passages).map((s) => ({ ...s, window: 0, startToken: 0, endToken: 0 }));
      return {
        passages: passages.map((p) => ({ passageId: p.id, spans: all.filter((s) => s.passageId === p.id), noAnswerScore: noAnswer, windows: 1 })),
        spans: all.sort((a, b) => b.score - a.score),
        noAnswerScore: noAnswer,
        windows: passages.length,
        timings: { tokenizeMs: 0, inferenceMs: 0, decodeMs: 0 },
      };
    },
    async close() {},
  };
}

const span = (passageId: string, score: number, logit: number, nullLogit: number): AnswerSpan => ({
  passageId,
  text: 'x',
  charStart: 0,
  charEnd: 1,
  score,
  logit,
  nullLogit,
  window: 0,
  startToken: 1,
  endToken: 1,
});

describe('rankSpans', () => {
  const hits = [
    { passage: { id: 'a' }, score: 10 },
    { passage: { id: 'b' }, score: 5 },
  ] as SearchHit[];
  const spans = [span('a', 0.9, 4, 3), span('b', 0.5, 6, -2), span('b', 0.2, 5, -2)];

  it('ranks by per-window probability, raw logits, or margin over no-answer', () => {
    const order = (ranking: 'probability' | 'logit' | 'margin') =>
      rankSpans(spans, hits, { ranking, retrieverWeight: 0 }).map((r) => [r.span.passageId, r.span.score]);
    expect(order('probability')).toEqual([['a', 0.9], ['b', 0.5], ['b', 0.2]]);
    expect(order('logit')).toEqual([['b', 0.5], ['b', 0.2], ['a', 0.9]]);
    expect(order('margin')).toEqual([['b', 0.5], ['b', 0.2], ['a', 0.9]]);
    expect(readerKey('margin', spans[0]!)).toBe(1);
  });

  it('adds the retriever weight times the passage BM25 relative to the best passage', () => {
    const ranked = rankSpans(spans, hits, { ranking: 'margin', retrieverWeight: 8 });
    expect(ranked.map((r) => r.rankScore)).toEqual([1 + 8, 8 + 4, 7 + 4].sort((x, y) => y - x));
    expect(ranked[0]!.span.passageId).toBe('b');
    const heavier = rankSpans(spans, hits, { ranking: 'margin', retrieverWeight: 20 });
    expect(heavier[0]!.span.passageId).toBe('a');
  });
});

describe('QaPipeline', () => {
  const d = makeDoc('tesla.txt', [
    'In 1875, Tesla enrolled at Austrian Polytechnic in Graz on a Military Frontier scholarship.',
    'Tesla studied electrical engineering in Graz and later moved to Prague.',
  ]);

  async function pipelineWith(reader: Reader, settings: { minConfidence?: number; calibrator?: Calibrator } = {}) {
    const store = new SqliteStore(':memory:');
    await store.init();
    await store.writeDocument(d.doc, d.passages);
    return new QaPipeline(store, reader, {
      retrieverTopK: 5,
      answerTopK: 3,
      ranking: { ranking: 'logit', retrieverWeight: 0 },
      read: {},
      contextChars: 20,
      ...settings,
    });
  }

  const spanOf = (p: ReaderPassage, text: string, score: number, logit: number, nullLogit = 0): FakeSpan => {
    const start = p.text.indexOf(text);
    return { passageId: p.id, text, charStart: start, charEnd: start + text.length, score, logit, nullLogit };
  };
  const tesla = fakeReader((ps) => {
    const [p0, p1] = [ps.find((p) => p.text.includes('1875'))!, ps.find((p) => p.text.includes('studied'))!];
    return [
      spanOf(p0, 'Military Frontier scholarship', 0.5, 7),
      spanOf(p0, 'a Military Frontier scholarship', 0.3, 6),
      spanOf(p1, 'electrical engineering', 0.4, 9),
      spanOf(p0, 'Graz', 0.2, 2),
    ];
  });

  it('traces spans to document offsets, drops overlapping variants, orders distinct answers by confidence', async () => {
    const pipeline = await pipelineWith(tesla);
    const result = await pipeline.ask({ question: 'What did Tesla study in Graz?' });
    expect(result.answers.map((a) => [a.text, a.score, a.logit, a.rankScore])).toEqual([
      ['electrical engineering', 0.4, 9, 9],
      ['Military Frontier scholarship', 0.5, 7, 7],
      ['Graz', 0.2, 2, 2],
    ]);
    const confidences = result.answers.map((a) => a.confidence);
    expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
    for (const a of result.answers) {
      expect(a.confidence).toBeGreaterThan(0);
      expect(a.confidence).toBeLessThan(1);
      expect(d.text.slice(a.charStart, a.charEnd)).toBe(a.text);
      expect(a.context.slice(a.offsetsInContext.start, a.offsetsInContext.end)).toBe(a.text);
      expect(a.context.length).toBeLessThanOrEqual(a.text.length + 2 * 20);
    }
    // uncalibrated: the answer's share of the margin softmax (with a no-answer option at margin 0)
    const share = Math.exp(9) / (1 + Math.exp(9) + Math.exp(7) + Math.exp(6) + Math.exp(2));
    expect(result.answers[0]!.confidence).toBeCloseTo(share, 12);
    expect(result.noAnswer).toMatchObject({ chosen: false, minConfidence: 0.5, calibrated: false, readerNoAnswerScore: 0.01, reason: '' });
    expect(result.candidates).toBeUndefined();
  });

  it('says "no answer" in words when the best confidence is below the minimum; a request may lower it', async () => {
    const pipeline = await pipelineWith(tesla, { minConfidence: 0.9 });
    const result = await pipeline.ask({ question: 'What did Tesla study in Graz?' });
    expect(result.noAnswer.chosen).toBe(true);
    expect(result.noAnswer.reason).toBe(
      `No answer found in your documents (best candidate 'electrical engineering', confidence ${result.answers[0]!.confidence.toFixed(2)}, below the minimum 0.90).`,
    );
    expect(result.answers).toHaveLength(3); // still listed, as candidates
    const lowered = await pipeline.ask({ question: 'What did Tesla study in Graz?', minConfidence: 0.1 });
    expect(lowered.noAnswer).toMatchObject({ chosen: false, minConfidence: 0.1 });
  });

  it('uses a calibrator: its confidence orders the answers and its minimum decides', async () => {
    // a calibrator that trusts short answers (answerWordsLog weight -5): 'Graz' now comes first
    const calibrator: Calibrator = {
      method: 'logistic',
      target: 'f1>=0.5',
      features: ['answerWordsLog'],
      mean: [0],
      scale: [1],
      weights: [-5],
      bias: 2,
      minConfidence: 0.95,
    };
    const pipeline = await pipelineWith(tesla, { calibrator });
    const result = await pipeline.ask({ question: 'What did Tesla study in Graz?' }, { explain: true });
    expect(result.answers[0]!.text).toBe('Graz');
    expect(result.answers[0]!.confidence).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(result.noAnswer).toMatchObject({ chosen: true, minConfidence: 0.95, calibrated: true });
    // explain: every candidate (the overlapping variant too) with its features, and the passages read
    expect(result.candidates!.map((c) => c.text)).toContain('a Military Frontier scholarship');
    expect(result.candidates!.every((c) => c.features.length === FEATURE_NAMES.length)).toBe(true);
    expect(result.passages!.map((p) => p.document)).toEqual(['tesla.txt', 'tesla.txt']);
  });

  it('with nothing retrieved or no span, says so; rejects an empty question', async () => {
    const pipeline = await pipelineWith(fakeReader(() => [], 0.6));
    const result = await pipeline.ask({ question: 'Who founded Prague?' });
    expect(result.noAnswer).toMatchObject({ chosen: true, bestConfidence: null, readerNoAnswerScore: 0.6 });
    expect(result.noAnswer.reason).toContain('hold no answer span');
    const none = await pipeline.ask({ question: 'zebra quagga' });
    expect(none.retrieved).toBe(0);
    expect(none.noAnswer.reason).toContain('no passage matches the question');
    await expect(pipeline.ask({ question: '  ' })).rejects.toMatchObject({ code: 'bad_input' });
  });
});
