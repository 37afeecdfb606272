/**
 * Span decoding of one window, as Hugging Face's question-answering pipeline does it (`select_starts_ends` and
 * `decode_spans` in transformers/pipelines/question_answering.py):
 * - logits of positions that cannot hold an answer (question, special tokens, padding) become -10000, the CLS
 *   position(s) excepted;
 * - softmax over the window, separately for start and end (`exp(x - max) / sum`);
 * - the no-answer score is p_start[0] * p_end[0]; position 0 is then zeroed;
 * - a span (s, e) scores p_start[s] * p_end[e], with s <= e < s + maxAnswerLength, both in the context;
 * - the best `topK` spans are kept, best first.
 * Pure: numbers in, numbers out.
 */

export interface WindowProbabilities {
  start: Float64Array;
  end: Float64Array;
  /** p_start[0] * p_end[0] before position 0 is zeroed (HF min_null_score's per-window term). */
  nullScore: number;
}

export interface ScoredSpan {
  /** Window positions, inclusive. */
  start: number;
  end: number;
  score: number;
}

/** The raw (unnormalised) logit sum of a span, and of the no-answer position (CLS, position 0). */
export function spanLogit(startLogits: ArrayLike<number>, endLogits: ArrayLike<number>, start: number, end: number): number {
  return startLogits[start]! + endLogits[end]!;
}

const MASKED = -10000;

function softmax(logits: ArrayLike<number>, allowed: (p: number) => boolean): Float64Array {
  const n = logits.length;
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let p = 0; p < n; p++) {
    const v = allowed(p) ? logits[p]! : MASKED;
    out[p] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let p = 0; p < n; p++) {
    out[p] = Math.exp(out[p]! - max);
    sum += out[p]!;
  }
  for (let p = 0; p < n; p++) out[p] = out[p]! / sum;
  return out;
}

/**
 * Start/end probabilities of a window. `allowed(p)`: p is a context token or a CLS position (HF: p_mask 0 and
 * attention_mask 1).
 */
export function windowProbabilities(
  startLogits: ArrayLike<number>,
  endLogits: ArrayLike<number>,
  allowed: (position: number) => boolean,
): WindowProbabilities {
  const start = softmax(startLogits, allowed);
  const end = softmax(endLogits, allowed);
  const nullScore = start.length > 0 ? start[0]! * end[0]! : 1;
  if (start.length > 0) {
    start[0] = 0;
    end[0] = 0;
  }
  return { start, end, nullScore };
}

/**
 * The `topK` best spans with positive score whose start and end are both `candidate` positions, best first
 * (ties: the earlier start, then the earlier end, as numpy's argmax on the flattened matrix).
 */
export function bestSpans(
  probabilities: WindowProbabilities,
  candidate: (position: number) => boolean,
  topK: number,
  maxAnswerLength: number,
): ScoredSpan[] {
  const { start, end } = probabilities;
  const n = start.length;
  const best: ScoredSpan[] = [];
  const better = (a: ScoredSpan, b: ScoredSpan) =>
    a.score > b.score || (a.score === b.score && (a.start < b.start || (a.start === b.start && a.end < b.end)));
  for (let s = 0; s < n; s++) {
    const ps = start[s]!;
    if (ps <= 0 || !candidate(s)) continue;
    const last = Math.min(n - 1, s + maxAnswerLength - 1);
    for (let e = s; e <= last; e++) {
      const score = ps * end[e]!;
      if (score <= 0 || !candidate(e)) continue;
      if (best.length === topK && !better({ start: s, end: e, score }, best[topK - 1]!)) continue;
      const span = { start: s, end: e, score };
      let i = best.length;
      while (i > 0 && better(span, best[i - 1]!)) i--;
      best.splice(i, 0, span);
      if (best.length > topK) best.pop();
    }
  }
  return best;
}
