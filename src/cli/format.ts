import type { AskResult } from '../qa/answer.js';
import { escapeForTerminal } from './escape.js';

/**
 * Human-readable answers: confidence (the estimated probability that the answer is correct; answers are listed by
 * it), source, page, document offsets and the context with the answer marked. The experts' numbers (rank key,
 * per-window score) are in `--json`.
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
    lines.push(na.reason);
    if (result.answers.length > 0) lines.push('Candidates, none trusted:');
  }
  result.answers.forEach((a, i) => {
    const where = [escapeForTerminal(a.document.name), a.page !== null ? `page ${a.page}` : null, `chars ${a.charStart}-${a.charEnd}`]
      .filter(Boolean)
      .join(' | ');
    const ctx = a.context;
    const marked =
      ctx.slice(0, a.offsetsInContext.start) +
      mark(ctx.slice(a.offsetsInContext.start, a.offsetsInContext.end)) +
      ctx.slice(a.offsetsInContext.end);
    lines.push(`${i + 1}. ${a.text.replace(/\s+/gu, ' ')}  (confidence ${a.confidence.toFixed(2)})`);
    lines.push(`   ${where}`);
    lines.push(`   ...${marked.replace(/\s+/gu, ' ')}...`);
  });
  const t = result.timings;
  lines.push(
    `(${result.retrieved} passages read; retrieve ${t.retrieveMs.toFixed(0)} ms, read ${t.readMs.toFixed(0)} ms; model ${result.model.name} ${result.model.version}; answers need confidence ${na.minConfidence.toFixed(2)}${na.calibrated ? '' : ', uncalibrated'})`,
  );
  return lines.join('\n');
}
