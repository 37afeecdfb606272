/**
 * From the scored spans of a passage's windows to answers with exact character offsets, as Hugging Face's
 * question-answering pipeline postprocesses them (align_to_words=True):
 * - a span's start/end tokens widen to the whole word (pre-token) they belong to, within the window;
 * - the answer is text.slice(first char of the start word, last char of the end word);
 * - answers with the same text (case-insensitive), from any window of the passage, are one answer whose score
 *   is the sum of theirs (first occurrence's offsets kept);
 * - answers are ranked by score and the best `topK` kept.
 * Pure: no model, no I/O.
 */
import type { AnswerSpan } from './types.js';
import { spanLogit, type ScoredSpan } from './decode.js';
import type { TokenizedText } from './tokenizer.js';
import type { Window } from './windows.js';

export interface WindowSpans {
  window: Window;
  /** Best spans of the window, best first (window positions). */
  spans: ScoredSpan[];
  /** The window's raw logits, for the spans' unnormalised scores. */
  startLogits: ArrayLike<number>;
  endLogits: ArrayLike<number>;
}

/** Character range of the span's words, or undefined when a position is outside the window's context. */
export function spanCharacters(
  window: Window,
  context: TokenizedText,
  startPosition: number,
  endPosition: number,
): { charStart: number; charEnd: number } | undefined {
  const toToken = (p: number) =>
    p >= window.contextStart && p < window.contextStart + window.contextLength
      ? window.firstToken + (p - window.contextStart)
      : undefined;
  const s = toToken(startPosition);
  const e = toToken(endPosition);
  if (s === undefined || e === undefined) return undefined;
  const lo = window.firstToken;
  const hi = window.firstToken + window.contextLength - 1;
  let first = s;
  while (first > lo && context.words[first - 1] === context.words[s]) first--;
  let last = e;
  while (last < hi && context.words[last + 1] === context.words[e]) last++;
  return { charStart: context.starts[first]!, charEnd: context.ends[last]! };
}

/**
 * The ranked answers of one passage. Empty or whitespace-only answers (a span over space tokens, which HF would
 * return as such) are dropped.
 */
export function passageAnswers(
  passageId: string,
  text: string,
  context: TokenizedText,
  windows: readonly WindowSpans[],
  topK: number,
): AnswerSpan[] {
  const answers: AnswerSpan[] = [];
  const byText = new Map<string, AnswerSpan>();
  for (const { window, spans, startLogits, endLogits } of windows) {
    const nullLogit = spanLogit(startLogits, endLogits, 0, 0);
    for (const span of spans) {
      const chars = spanCharacters(window, context, span.start, span.end);
      if (!chars) continue;
      const answerText = text.slice(chars.charStart, chars.charEnd);
      if (answerText.trim().length === 0) continue;
      const key = answerText.toLowerCase();
      const logit = spanLogit(startLogits, endLogits, span.start, span.end);
      const seen = byText.get(key);
      if (seen) {
        seen.score += span.score;
        if (logit > seen.logit) {
          seen.logit = logit;
          seen.nullLogit = nullLogit;
        }
        continue;
      }
      const answer: AnswerSpan = {
        passageId,
        text: answerText,
        charStart: chars.charStart,
        charEnd: chars.charEnd,
        score: span.score,
        logit,
        nullLogit,
        window: window.index,
        startToken: span.start,
        endToken: span.end,
      };
      byText.set(key, answer);
      answers.push(answer);
    }
  }
  return answers.sort((a, b) => b.score - a.score).slice(0, topK);
}
