import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BadInputError } from '../../src/errors.js';
import { answerPositions, buildWindows, contextSlices, specialTokenCount, truncateQuestion, type PairTemplate } from '../../src/reader/windows.js';

// the templates the tokenizers library gives for bert-base-uncased and roberta-base (test/reader/tokenizer.test.ts)
const bert: PairTemplate = {
  beforeQuestion: [{ id: 101, typeId: 0 }],
  betweenQuestionAndContext: [{ id: 102, typeId: 0 }],
  afterContext: [{ id: 102, typeId: 1 }],
  questionTypeId: 0,
  contextTypeId: 1,
};
const roberta: PairTemplate = {
  beforeQuestion: [{ id: 0, typeId: 0 }],
  betweenQuestionAndContext: [{ id: 2, typeId: 0 }, { id: 2, typeId: 0 }],
  afterContext: [{ id: 2, typeId: 0 }],
  questionTypeId: 0,
  contextTypeId: 0,
};

describe('pair templates', () => {
  it('BERT: [CLS] q [SEP] c [SEP], token types 0 then 1', () => {
    const [w] = buildWindows(0, [7, 8], [20, 21, 22], bert, 101, { maxSeqLength: 100, docStride: 10, maxQuestionLength: 64 });
    expect(w!.inputIds).toEqual([101, 7, 8, 102, 20, 21, 22, 102]);
    expect(w!.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(w!.contextStart).toBe(4);
    expect(w!.clsPositions).toEqual([0]);
    expect(specialTokenCount(bert)).toBe(3);
  });

  it('RoBERTa: <s> q </s></s> c </s>, token types all 0', () => {
    const [w] = buildWindows(0, [7, 8], [20, 21], roberta, 0, { maxSeqLength: 100, docStride: 10, maxQuestionLength: 64 });
    expect(w!.inputIds).toEqual([0, 7, 8, 2, 2, 20, 21, 2]);
    expect(w!.typeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(w!.contextStart).toBe(5);
    expect(specialTokenCount(roberta)).toBe(4);
  });

  it('answer positions are the context tokens and the CLS position', () => {
    const [w] = buildWindows(0, [7, 8], [20, 21, 22], bert, 101, { maxSeqLength: 100, docStride: 10, maxQuestionLength: 64 });
    const allowed = answerPositions(w!);
    expect(w!.inputIds.map((_, p) => allowed(p))).toEqual([true, false, false, false, true, true, true, false]);
  });
});

describe('context slices (HF overflow with stride)', () => {
  it('cover the context, each within the room, consecutive slices sharing exactly `stride` tokens', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 399 }), (total, room, stride) => {
        fc.pre(stride < room || total <= room);
        const slices = contextSlices(total, room, stride);
        expect(slices[0]![0]).toBe(0);
        expect(slices.at(-1)![1]).toBe(total);
        for (const [s, e] of slices) expect(e - s).toBeLessThanOrEqual(room);
        for (let i = 1; i < slices.length; i++) {
          expect(slices[i - 1]![1] - slices[i]![0]).toBe(stride); // overlap
          expect(slices[i]![0]).toBeGreaterThan(slices[i - 1]![0]);
        }
        // only the last slice may be short
        for (const [s, e] of slices.slice(0, -1)) expect(e - s).toBe(room);
      }),
    );
  });

  it('an empty context has no window; a short one has one', () => {
    expect(contextSlices(0, 10, 2)).toEqual([]);
    expect(contextSlices(10, 10, 9)).toEqual([[0, 10]]);
  });

  it('a stride that does not fit the room is a clear error (only when the context must be cut)', () => {
    expect(() => contextSlices(11, 10, 10)).toThrow(BadInputError);
    expect(() => contextSlices(11, 10, 10)).toThrow(/docStride \(10\).*\(10\)/);
  });
});

describe('windows', () => {
  it('truncate the question to maxQuestionLength', () => {
    const q = Array.from({ length: 30 }, (_, i) => 1000 + i);
    expect(truncateQuestion(q, 5)).toEqual(q.slice(0, 5));
    const ws = buildWindows(0, truncateQuestion(q, 5), [20, 21], bert, 101, { maxSeqLength: 50, docStride: 1, maxQuestionLength: 5 });
    expect(ws[0]!.inputIds.slice(1, 6)).toEqual(q.slice(0, 5));
  });

  it('every window holds at most maxSeqLength tokens and the same question', () => {
    const context = Array.from({ length: 300 }, (_, i) => 2000 + i);
    const ws = buildWindows(3, [7, 8, 9], context, roberta, 0, { maxSeqLength: 40, docStride: 8, maxQuestionLength: 64 });
    expect(ws.length).toBeGreaterThan(5);
    for (const [i, w] of ws.entries()) {
      expect(w.passage).toBe(3);
      expect(w.index).toBe(i);
      expect(w.inputIds.length).toBeLessThanOrEqual(40);
      expect(w.inputIds.slice(0, 4)).toEqual([0, 7, 8, 9]);
      expect(w.inputIds.slice(w.contextStart, w.contextStart + w.contextLength)).toEqual(
        context.slice(w.firstToken, w.firstToken + w.contextLength),
      );
    }
  });

  it('maxSeqLength too small for the question is a clear error', () => {
    expect(() => buildWindows(0, [1, 2, 3, 4, 5], [9], bert, 101, { maxSeqLength: 8, docStride: 0, maxQuestionLength: 64 })).toThrow(
      /maxSeqLength \(8\) leaves no room.*5 tokens/,
    );
  });
});
