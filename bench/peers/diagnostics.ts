/**
 * Why a peer's answers differ (pure helpers of bench/peers/peers.ts).
 */

/** How many answers are longer than `limit` model tokens (the Python pipeline's max_answer_len is 15). */
export function answerTokensOver(tokenCounts: readonly number[], limit: number): number {
  return tokenCounts.filter((n) => n > limit).length;
}

/**
 * How many answers are not a verbatim slice of their paragraph: transformers.js decodes the answer from token ids
 * (an uncased WordPiece vocabulary gives lower-cased text without accents, "u. s." for "U.S."), where docqa and
 * the Python pipeline cut the paragraph at character offsets. Empty answers count as verbatim.
 */
export function notVerbatim(answers: readonly string[], contexts: readonly string[]): number {
  return answers.filter((a, i) => a.length > 0 && !contexts[i]!.includes(a)).length;
}

/** Lower case, accents dropped, no whitespace: two answers equal under this cover the same characters of a
 * paragraph, whatever a token decoder did to case, accents and spacing. */
export function compact(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, '');
}

export interface GapCause {
  /** Questions where the peer's answer is the reference's span, decoded differently (compact() equal, text not). */
  decodedOnly: number;
  /** EM points (of 100) the reference gains over the peer on those questions. */
  decodedEm: number;
  /** Questions where the peer's answer is longer than maxAnswerTokens model tokens. */
  tooLong: number;
  tooLongEm: number;
  /** Other questions where the answers differ (another span). */
  otherSpan: number;
  otherSpanEm: number;
}

/**
 * Splits the EM gap between a reference (docqa) and a peer by cause, question by question: `refExact`/`peerExact`
 * are the per-question exact-match scores (0/1), `peerTokens` the peer answers' lengths in model tokens.
 */
export function emGapCauses(
  refAnswers: readonly string[],
  peerAnswers: readonly string[],
  refExact: readonly number[],
  peerExact: readonly number[],
  peerTokens: readonly number[],
  maxAnswerTokens: number,
): GapCause {
  const n = refAnswers.length;
  const out: GapCause = { decodedOnly: 0, decodedEm: 0, tooLong: 0, tooLongEm: 0, otherSpan: 0, otherSpanEm: 0 };
  for (let i = 0; i < n; i++) {
    if (refAnswers[i] === peerAnswers[i]) continue;
    const em = (100 * (refExact[i]! - peerExact[i]!)) / n;
    if (compact(refAnswers[i]!) === compact(peerAnswers[i]!)) {
      out.decodedOnly++;
      out.decodedEm += em;
    } else if ((peerTokens[i] ?? 0) > maxAnswerTokens) {
      out.tooLong++;
      out.tooLongEm += em;
    } else {
      out.otherSpan++;
      out.otherSpanEm += em;
    }
  }
  return out;
}
