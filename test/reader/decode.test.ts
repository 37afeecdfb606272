import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bestSpans, windowProbabilities } from '../../src/reader/decode.js';

/** A literal transcription of HF's select_starts_ends + decode_spans (full outer product, numpy semantics). */
function naiveDecode(start: number[], end: number[], allowed: boolean[], topK: number, maxAnswerLength: number) {
  const n = start.length;
  const masked = (xs: number[]) => xs.map((x, p) => (allowed[p] ? x : -10000));
  const softmax = (xs: number[]) => {
    const m = Math.max(...xs);
    const e = xs.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  const ps = softmax(masked(start));
  const pe = softmax(masked(end));
  const nullScore = ps[0]! * pe[0]!;
  ps[0] = 0;
  pe[0] = 0;
  const flat: { start: number; end: number; score: number; index: number }[] = [];
  for (let s = 0; s < n; s++) {
    for (let e = 0; e < n; e++) {
      const inBand = e >= s && e - s <= maxAnswerLength - 1; // np.tril(np.triu(outer), max_answer_len - 1)
      flat.push({ start: s, end: e, score: inBand ? ps[s]! * pe[e]! : 0, index: s * n + e });
    }
  }
  flat.sort((a, b) => b.score - a.score || a.index - b.index);
  const spans = flat
    .slice(0, topK)
    .filter((c) => allowed[c.start] && allowed[c.end] && c.score > 0)
    .map(({ start: s, end: e, score }) => ({ start: s, end: e, score }));
  return { spans, nullScore, ps, pe };
}

const windowArb = fc
  .integer({ min: 2, max: 40 })
  .chain((n) =>
    fc.record({
      start: fc.array(fc.double({ min: -12, max: 12, noNaN: true }), { minLength: n, maxLength: n }),
      end: fc.array(fc.double({ min: -12, max: 12, noNaN: true }), { minLength: n, maxLength: n }),
      contextFrom: fc.integer({ min: 1, max: n - 1 }),
      contextLength: fc.integer({ min: 1, max: n }),
      topK: fc.integer({ min: 1, max: 30 }),
      maxAnswerLength: fc.integer({ min: 1, max: 20 }),
    }),
  );

describe('span decoding', () => {
  it('equals a literal transcription of HF decode_spans on random logits', () => {
    fc.assert(
      fc.property(windowArb, (w) => {
        const n = w.start.length;
        const allowed = w.start.map((_, p) => p === 0 || (p >= w.contextFrom && p < w.contextFrom + w.contextLength));
        const expected = naiveDecode(w.start, w.end, allowed, w.topK, w.maxAnswerLength);
        const probabilities = windowProbabilities(w.start, w.end, (p) => allowed[p]!);
        expect(probabilities.nullScore).toBeCloseTo(expected.nullScore, 12);
        const got = bestSpans(probabilities, (p) => allowed[p]! && p < n, w.topK, w.maxAnswerLength);
        // HF keeps the top-k of ALL cells, then drops those touching non-context tokens (their score is 0)
        expect(got.map((s) => [s.start, s.end])).toEqual(expected.spans.map((s) => [s.start, s.end]));
        got.forEach((s, i) => expect(s.score).toBeCloseTo(expected.spans[i]!.score, 12));
      }),
      { numRuns: 300 },
    );
  });

  it('softmax is over context + CLS only, sums to 1, and the no-answer score is p_start[0] * p_end[0]', () => {
    const start = [2, 5, 5, 1, 0.5, -1];
    const end = [1, 5, 5, 0, 2, 3];
    const allowed = (p: number) => p === 0 || p >= 3;
    const pr = windowProbabilities(start, end, allowed);
    const z = (xs: number[]) => xs.filter((_, p) => allowed(p)).reduce((a, x) => a + Math.exp(x), 0);
    expect(pr.nullScore).toBeCloseTo((Math.exp(2) / z(start)) * (Math.exp(1) / z(end)), 12);
    expect(pr.start[0]).toBe(0);
    expect(pr.start[1]).toBe(0); // question tokens masked to -10000
    expect(pr.start[3]! + pr.start[4]! + pr.start[5]!).toBeCloseTo(1 - Math.exp(2) / z(start), 12);
    expect(pr.nullScore).toBeGreaterThan(0);
    expect(pr.nullScore).toBeLessThanOrEqual(1);
  });

  it('respects start <= end and maxAnswerLength', () => {
    const n = 30;
    const pr = windowProbabilities(
      Array.from({ length: n }, (_, i) => Math.sin(i)),
      Array.from({ length: n }, (_, i) => Math.cos(i)),
      () => true,
    );
    const spans = bestSpans(pr, (p) => p > 0, 1000, 4);
    expect(spans.length).toBeGreaterThan(0);
    for (const s of spans) {
      expect(s.end).toBeGreaterThanOrEqual(s.start);
      expect(s.end - s.start).toBeLessThan(4);
    }
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.score).toBeLessThanOrEqual(spans[i - 1]!.score);
  });
});
