import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monitorCommand } from '../../src/cli/commands/monitor.js';
import { prng } from '../../src/eval/stats.js';
import type { AskObservation } from '../../src/monitor/features.js';
import { MonitorService } from '../../src/monitor/service.js';
import { Metrics } from '../../src/observability/metrics.js';
import { runCommand } from '../helpers/cli.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const HOUR = 3_600_000;

/** A seeded stream of asks: question length, BM25 top score, confidence and no-answer rate from a few parameters. */
function asks(seed: number, n: number, from: number, shift: { questionChars: number; confidence: number; noAnswer: number }): AskObservation[] {
  const rand = prng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: n }, (_, i) => {
    const confidence = Math.min(1, Math.max(0, 0.7 + shift.confidence + 0.15 * normal()));
    return {
      kind: 'ask',
      t: from + i * 1000,
      questionChars: Math.max(5, Math.round(55 + shift.questionChars + 15 * normal())),
      retrieverTopScore: 12 + 3 * normal(),
      confidence,
      noAnswer: rand() < 0.2 + shift.noAnswer,
    };
  });
}

/** docqa_drift_psi{feature=...} as /metrics exports it. */
async function psiGauges(metrics: Metrics): Promise<Record<string, number>> {
  const text = await metrics.registry.metrics();
  return Object.fromEntries([...text.matchAll(/^docqa_drift_psi\{feature="(\w+)"\} (\S+)$/gmu)].map((m) => [m[1]!, Number(m[2])]));
}

describe('drift monitor (observation log, baseline file, gauges)', () => {
  let dir: string;
  const settings = { windowSize: 500, minValues: 100, retain: 10_000 };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-monitor-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a shifted question/confidence stream makes the PSI gauge cross 0.2, an unshifted one stays under 0.1 (seeded)', async () => {
    const monitor = new MonitorService(dir, settings);
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.trackDrift(() => monitor.report());
    const none = { questionChars: 0, confidence: 0, noAnswer: 0 };
    for (const o of asks(1, 2000, T0, none)) monitor.record(o);
    // no baseline yet: no PSI series, status no_baseline
    expect(await psiGauges(metrics)).toEqual({});
    expect((await monitor.report()).features.every((f) => f.status === 'no_baseline')).toBe(true);

    const marked = await monitor.markWindow(new Date(T0), new Date(T0 + HOUR));
    expect(marked.marked).toEqual(['question_chars', 'retriever_top_score', 'answer_confidence', 'no_answer']);
    expect(marked.skipped.map((s) => s.feature)).toEqual(['ingest_chars_per_page', 'ingest_empty_page']);
    expect(marked.baseline.features.question_chars!.count).toBe(2000);

    // unshifted: a new stream from the same distribution fills the window
    for (const o of asks(2, 500, T0 + 2 * HOUR, none)) monitor.record(o);
    await new Promise((r) => setTimeout(r, 1100)); // the gauges read the report at most once a second
    const calm = await psiGauges(metrics);
    expect(Object.keys(calm).sort()).toEqual(['answer_confidence', 'no_answer', 'question_chars', 'retriever_top_score']);
    for (const [feature, v] of Object.entries(calm)) expect(v, feature).toBeLessThan(0.1);

    // shifted: longer questions, less confident answers, more refusals
    for (const o of asks(3, 500, T0 + 3 * HOUR, { questionChars: 25, confidence: -0.2, noAnswer: 0.25 })) monitor.record(o);
    await new Promise((r) => setTimeout(r, 1100));
    const shifted = await psiGauges(metrics);
    expect(shifted.question_chars).toBeGreaterThan(0.2);
    expect(shifted.answer_confidence).toBeGreaterThan(0.2);
    expect(shifted.no_answer).toBeGreaterThan(0.1);
    expect(shifted.retriever_top_score).toBeLessThan(0.1); // not shifted
    const report = await monitor.report();
    expect(report.features.find((f) => f.feature === 'question_chars')).toMatchObject({ status: 'critical', window: { values: 500 } });
    expect(report.features.find((f) => f.feature === 'question_chars')!.ks!.pValue).toBeLessThan(1e-6);
    expect(report.features.find((f) => f.feature === 'retriever_top_score')!.status).toBe('ok');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^docqa_drift_window_values\{feature="question_chars"\} 500$/mu);
    expect(text).toMatch(/^docqa_drift_ks_statistic\{feature="question_chars"\} 0\.\d+$/mu);
  });

  it('tracks ingest data quality (chars per page, empty-page ratio) and says when there are too few values', async () => {
    const monitor = new MonitorService(dir, { ...settings, minValues: 20 });
    // a document of 10 pages: 1 empty page (as in the baseline), or 5 (a batch of half-scanned documents)
    const page = (t: number, empty: number) => ({ kind: 'ingest' as const, t, charsPerPage: Array.from({ length: 10 }, (_, i) => (i < empty ? 0 : 1500 + 10 * i)) });
    for (let i = 0; i < 10; i++) monitor.record(page(T0 + i, 1));
    await monitor.markWindow(new Date(T0), new Date(T0 + HOUR), ['ingest_chars_per_page', 'ingest_empty_page']);
    for (let i = 0; i < 3; i++) monitor.record(page(T0 + 2 * HOUR + i, 1));
    let report = await monitor.report();
    expect(report.features.find((f) => f.feature === 'ingest_empty_page')!.status).toBe('ok'); // 130 pages, 13 empty
    for (let i = 0; i < 10; i++) monitor.record(page(T0 + 3 * HOUR + i, 5));
    report = await monitor.report();
    const empty = report.features.find((f) => f.feature === 'ingest_empty_page')!;
    expect(empty.baseline!.mean).toBeCloseTo(0.1, 12);
    expect(empty.window.mean).toBeCloseTo((10 + 3 + 50) / 230, 12);
    expect(empty.status).toBe('critical');
    expect(report.features.find((f) => f.feature === 'ingest_chars_per_page')!.psi).toBeGreaterThan(0.2);
    expect(report.features.find((f) => f.feature === 'question_chars')!.status).toBe('no_baseline');

    const strict = new MonitorService(dir, { ...settings, minValues: 1000 });
    expect((await strict.report()).features.find((f) => f.feature === 'ingest_empty_page')!.status).toBe('insufficient_data');
  });

  it('a baseline marked by one process shows up in another (a running server) without a restart; the log is bounded', async () => {
    const server = new MonitorService(dir, { windowSize: 50, minValues: 10, retain: 100 });
    const cli = new MonitorService(dir, { windowSize: 50, minValues: 10, retain: 100 });
    for (const o of asks(4, 150, T0, { questionChars: 0, confidence: 0, noAnswer: 0 })) server.record(o);
    expect((await server.report()).baselineUpdatedAt).toBeNull();
    await cli.markWindow(new Date(T0), new Date(T0 + HOUR));
    const report = await server.report();
    expect(report.baselineUpdatedAt).not.toBeNull();
    expect(report.features.find((f) => f.feature === 'question_chars')!.baseline!.values).toBe(150);
    // 150 + 100 more lines: over twice `retain`, so the log is rewritten with its newest 100
    for (const o of asks(5, 100, T0 + HOUR, { questionChars: 0, confidence: 0, noAnswer: 0 })) server.record(o);
    await server.report();
    const lines = fs.readFileSync(server.logFile, 'utf8').trim().split('\n');
    expect(lines.length).toBe(100);
    expect(JSON.parse(lines[0]!).t).toBe(T0 + HOUR + 0);
    expect((await server.report()).features.find((f) => f.feature === 'question_chars')!.window.values).toBe(50);
    // a damaged baseline file is reported and ignored, never thrown
    fs.writeFileSync(server.baselineFile, '{"not": "a baseline"}');
    const damaged = await server.report();
    expect(damaged.baselineError).toMatch(/not a docqa monitor baseline/u);
    expect(damaged.features.every((f) => f.status === 'no_baseline')).toBe(true);
  });

  it('docqa monitor baseline --since/--until and status print the drift; bad times are usage errors', async () => {
    const monitor = new MonitorService(dir, settings);
    for (const o of asks(6, 300, T0, { questionChars: 0, confidence: 0, noAnswer: 0 })) monitor.record(o);
    for (const o of asks(7, 300, T0 + 2 * HOUR, { questionChars: 40, confidence: 0, noAnswer: 0 })) monitor.record(o);
    await monitor.flush();
    const marked = await runCommand(monitorCommand, 'baseline', '--data-dir', dir, '--since', '2026-12-01T00:00:00Z', '--until', '2026-12-01T01:00:00Z');
    expect(marked).toMatch(/^marked question_chars: 300 values, mean \d+\.\d{3}, from window 2026-12-01T00:00:00\.000Z \.\. 2026-12-01T01:00:00\.000Z$/mu);
    expect(marked).toMatch(/^kept {3}ingest_empty_page: only 0 values/mu);
    const status = await runCommand(monitorCommand, 'status', '--data-dir', dir);
    expect(status).toMatch(/^question_chars +critical +\d\.\d{3} +0\.\d{3} +600 /mu);
    expect(status).toMatch(/^ingest_empty_page +no_baseline /mu);
    const json = JSON.parse(await runCommand(monitorCommand, 'status', '--data-dir', dir, '--json'));
    expect(json.features.find((f: { feature: string }) => f.feature === 'question_chars').psi).toBeGreaterThan(0.2);
    await expect(runCommand(monitorCommand, 'baseline', '--data-dir', dir, '--since', 'yesterday')).rejects.toThrow(/--since must be an ISO date/u);
    await expect(runCommand(monitorCommand, 'baseline', '--data-dir', dir, '--features', 'nope')).rejects.toThrow(/--features takes names of/u);
    await expect(runCommand(monitorCommand, 'baseline', '--data-dir', dir, '--since', '2h', '--eval-run', 'latest')).rejects.toThrow(/either --eval-run or --since/u);
  });
});
