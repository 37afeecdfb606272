import { describe, expect, it } from 'vitest';
import { makeDoc } from '../store/contract.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { QaPipeline } from '../../src/qa/pipeline.js';
import { rankSpans, readerKey } from '../../src/qa/ranking.js';
import type { AnswerSpan, ReadResult, Reader, ReaderPassage } from '../../src/reader/types.js';
import type { SearchHit } from '../../src/store/store.js';

type FakeSpan = Omit<AnswerSpan, 'window' | 'startToken' | 'endToken'>;

/** A reader fake that returns given spans (the pipeline's own logic is what is under test here). */
function fakeReader(spans: (passages: ReaderPassage[]) => FakeSpan[], noAnswer = 0.01): Reader {
  return {
    model: { name: 'fake', version: '0', dir: '.', file: 'model.onnx', noAnswerThreshold: 0.3 },
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

  async function pipelineWith(reader: Reader, threshold?: number) {
    const store = new SqliteStore(':memory:');
    await store.init();
    await store.writeDocument(d.doc, d.passages);
    return new QaPipeline(store, reader, {
      retrieverTopK: 5,
      answerTopK: 3,
      ranking: { ranking: 'logit', retrieverWeight: 0 },
      noAnswerThreshold: threshold,
      read: {},
      contextChars: 20,
    });
  }

  it('traces spans to document offsets, drops overlapping variants, keeps distinct answers in rank order', async () => {
    const spanOf = (p: ReaderPassage, text: string, score: number, logit: number): FakeSpan => {
      const start = p.text.indexOf(text);
      return { passageId: p.id, text, charStart: start, charEnd: start + text.length, score, logit, nullLogit: 0 };
    };
    const reader = fakeReader((ps) => {
      const [p0, p1] = [ps.find((p) => p.text.includes('1875'))!, ps.find((p) => p.text.includes('studied'))!];
      return [
        spanOf(p0, 'Military Frontier scholarship', 0.5, 7),
        spanOf(p0, 'a Military Frontier scholarship', 0.3, 6),
        spanOf(p1, 'electrical engineering', 0.4, 9),
        spanOf(p0, 'Graz', 0.2, 2),
      ];
    });
    const pipeline = await pipelineWith(reader);
    const result = await pipeline.ask({ question: 'What did Tesla study in Graz?' });
    expect(result.answers.map((a) => [a.text, a.score, a.logit, a.rankScore])).toEqual([
      ['electrical engineering', 0.4, 9, 9],
      ['Military Frontier scholarship', 0.5, 7, 7],
      ['Graz', 0.2, 2, 2],
    ]);
    for (const a of result.answers) {
      expect(d.text.slice(a.charStart, a.charEnd)).toBe(a.text);
      expect(a.context.slice(a.offsetsInContext.start, a.offsetsInContext.end)).toBe(a.text);
      expect(a.context.length).toBeLessThanOrEqual(a.text.length + 2 * 20);
    }
    // the model manifest's threshold applies when none is configured
    expect(result.noAnswer).toEqual({ score: 0.01, chosen: false, threshold: 0.3 });
  });

  it('chooses "no answer" at or above the threshold, and a configured threshold wins over the manifest', async () => {
    const pipeline = await pipelineWith(fakeReader(() => [], 0.6), 0.6);
    const result = await pipeline.ask({ question: 'Who founded Prague?' });
    expect(result.noAnswer).toEqual({ score: 0.6, chosen: true, threshold: 0.6 });
    await expect(pipeline.ask({ question: '  ' })).rejects.toMatchObject({ code: 'bad_input' });
  });
});
