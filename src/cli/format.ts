import type { AskResult } from '../qa/answer.js';

/**
 * Human-readable answers: rank key, score, source, page, document offsets and the context with the answer marked.
 * Answers are listed by `rankScore` (reader margin + retriever weight), which is why a listed `score` (the span's
 * probability within its own window) need not fall from one answer to the next.
 */
export function formatAskResult(result: AskResult, color: boolean): string {
  const mark = (s: string) => (color ? `\x1b[1;33m${s}\x1b[0m` : `«${s}»`);
  const lines: string[] = [`Q: ${result.question}`];
  if (result.retrieved === 0) {
    lines.push('No passages matched the question: nothing to answer from.');
    return lines.join('\n');
  }
  const na = result.noAnswer;
  if (na.chosen) {
    lines.push(
      `No answer: the model's no-answer score ${na.score.toFixed(3)} is at or above the threshold ${na.threshold.toFixed(3)}.`,
    );
    if (result.answers.length > 0) lines.push('Best candidates anyway:');
  }
  result.answers.forEach((a, i) => {
    const where = [a.document.name, a.page !== null ? `page ${a.page}` : null, `chars ${a.charStart}-${a.charEnd}`]
      .filter(Boolean)
      .join(' | ');
    const ctx = a.context;
    const marked =
      ctx.slice(0, a.offsetsInContext.start) +
      mark(ctx.slice(a.offsetsInContext.start, a.offsetsInContext.end)) +
      ctx.slice(a.offsetsInContext.end);
    lines.push(`${i + 1}. ${a.text.replace(/\s+/gu, ' ')}  (rank ${a.rankScore.toFixed(2)}, score ${a.score.toFixed(3)})`);
    lines.push(`   ${where}`);
    lines.push(`   ...${marked.replace(/\s+/gu, ' ')}...`);
  });
  const t = result.timings;
  lines.push(
    `(${result.retrieved} passages read; retrieve ${t.retrieveMs.toFixed(0)} ms, read ${t.readMs.toFixed(0)} ms; model ${result.model.name} ${result.model.version}; no-answer score ${na.score.toFixed(3)})`,
  );
  return lines.join('\n');
}
