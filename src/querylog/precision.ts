/**
 * Rolling precision from user feedback: correct / judged per model version, over the feedback of the last 1h, 24h
 * and 7d (by when the feedback was given). Computed from the query log at scrape time, so it survives restarts.
 */
import { FEEDBACK_WINDOWS, type FeedbackPrecisionRow, type FeedbackWindow, type QueryLogFigures } from '../observability/metrics.js';
import type { QueryLog, VerdictCount } from './store.js';

/** One window's rows from its verdict counts (pure). */
export function precisionRows(window: FeedbackWindow, counts: readonly VerdictCount[]): FeedbackPrecisionRow[] {
  const byVersion = new Map<string, FeedbackPrecisionRow>();
  for (const c of counts) {
    const key = JSON.stringify([c.model, c.version]);
    let row = byVersion.get(key);
    if (!row) byVersion.set(key, (row = { model: c.model, version: c.version, window, judged: 0, correct: 0, precision: null }));
    row.judged += c.count;
    if (c.verdict === 'correct') row.correct += c.count;
  }
  for (const row of byVersion.values()) row.precision = row.judged > 0 ? row.correct / row.judged : null;
  return [...byVersion.values()];
}

/** Every window's rows, read from the log. */
export async function feedbackPrecision(log: QueryLog, now: Date): Promise<FeedbackPrecisionRow[]> {
  const rows: FeedbackPrecisionRow[] = [];
  for (const [window, seconds] of Object.entries(FEEDBACK_WINDOWS) as [FeedbackWindow, number][]) {
    rows.push(...precisionRows(window, await log.verdictCounts(new Date(now.getTime() - seconds * 1000))));
  }
  return rows;
}

/** What the query log gauges show (precision per window, records kept). */
export async function queryLogFigures(log: QueryLog, now: Date): Promise<QueryLogFigures> {
  return { precision: await feedbackPrecision(log, now), records: await log.count() };
}
