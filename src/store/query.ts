/**
 * Turns a free-text question into BM25 query terms: lower-cased words, English stop words dropped (unless
 * nothing else is left). Shared by the stores that need explicit terms (SQLite FTS5).
 */

// Lucene's English stop words plus question words that carry no topic.
const STOP_WORDS = new Set(
  (
    'a an and are as at be but by for if in into is it no not of on or such that the their then there these they ' +
    'this to was will with what which who whom whose when where why how does did do was were has have had ' +
    'i me my you your he him his she her its we us our them than from about can could would should'
  ).split(' '),
);

export function queryTerms(question: string): string[] {
  const words = question.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const unique = [...new Set(words)];
  const content = unique.filter((w) => !STOP_WORDS.has(w));
  return content.length > 0 ? content : unique;
}
