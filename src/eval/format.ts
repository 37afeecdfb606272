/**
 * Plain-text views of runs for the terminal: a run's summary, the history table with its trend, a comparison.
 * Pure: data in, text out.
 */
import type { ConfidenceReport } from './calibration.js';
import type { Comparison } from './compare.js';
import type { EvalSummary } from './result.js';

const f1d = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
const pctOf = (v: number | null | undefined) => (v === null || v === undefined ? '-' : (100 * v).toFixed(1));
/** A probability threshold, exactly enough to reuse (6 significant digits at most). */
const thr = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(Number(v.toPrecision(6))));
const signed = (v: number | null, digits = 2) => (v === null ? '-' : (v >= 0 ? '+' : '') + v.toFixed(digits));

function table(header: string[], rows: string[][], rightAlign: (col: number) => boolean): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatSummary(s: EvalSummary, location?: string): string {
  const o = s.official;
  const lines = [
    `${s.mode} eval ${s.id}: ${modelLabel(s.model)} on ${s.dataset.name} (${s.dataset.sample}, ${s.dataset.questions} questions)`,
    `  exact ${f1d(o.exact)}  f1 ${f1d(o.f1)}` +
      (o.HasAns_total ? `  | HasAns exact ${f1d(o.HasAns_exact)} f1 ${f1d(o.HasAns_f1)} (${o.HasAns_total})` : '') +
      (o.NoAns_total ? `  | NoAns exact ${f1d(o.NoAns_exact)} f1 ${f1d(o.NoAns_f1)} (${o.NoAns_total})` : ''),
  ];
  for (const w of s.warnings ?? []) lines.push(`  WARNING: ${w}`);
  lines.push(...decisionLines(s));
  if (s.retrieval) {
    const r = s.retrieval;
    const recalls = Object.entries(r.recallAtK)
      .map(([k, v]) => `R@${k} ${pctOf(v)}`)
      .join('  ');
    lines.push(`  retrieval (${r.evaluated} answerable): ${recalls}  MRR ${f1d(r.mrr, 3)}` + (r.documentRecall !== null ? `  document recall ${pctOf(r.documentRecall)}` : ''));
  }
  if (s.attribution) {
    const a = s.attribution;
    const k = a.readerMissKinds;
    lines.push(
      `  misses ${a.misses} of ${a.questions}: retrieval ${a.retrievalMisses} (${pctOf(a.retrievalShare)}%), reader ${a.readerMisses} (${pctOf(a.readerShare)}%: wrong ${k.wrong}, partial ${k.partial}, withheld ${k.withheld}, answered-unanswerable ${k['answered-unanswerable']})`,
    );
  }
  const l = s.latency;
  lines.push(
    `  latency p50 ${f1d(l.p50Ms, 1)} ms  p95 ${f1d(l.p95Ms, 1)} ms  ${f1d(l.questionsPerSecond, 2)} questions/s (concurrency ${l.concurrency})` +
      (l.stages ? `  [retrieve p50 ${f1d(l.stages.retrieve.p50Ms, 1)} ms, read p50 ${f1d(l.stages.read.p50Ms, 1)} ms]` : ''),
  );
  if (s.ingest) {
    lines.push(`  ingested ${s.ingest.documents} documents, ${s.ingest.passages} passages in ${f1d(s.ingest.seconds, 1)} s` + (s.ingest.failed ? ` (${s.ingest.failed} failed)` : ''));
  }
  lines.push(`  took ${f1d(s.durationSeconds, 1)} s` + (location ? `; stored in ${location} (report.html)` : ''));
  return lines.join('\n');
}

/** name@version, the ONNX file and the start of its sha256: int8 and fp32 files of one version differ here. */
export function modelLabel(m: EvalSummary['model']): string {
  return `${m.name}@${m.version} ${m.file}${m.sha256 ? ` (${m.sha256.slice(0, 8)})` : ''}`;
}

/** How the run decided "no answer", and what the sweep recommends (only from a set with unanswerable questions). */
function decisionLines(s: EvalSummary): string[] {
  const t = s.thresholdSweep;
  const unanswerable = (s.official.NoAns_total ?? 0) > 0;
  const sweep = `sweep over best answers: best_exact ${f1d(t.best_exact)}, best_f1 ${f1d(t.best_f1)}`;
  if (s.mode === 'open' && s.settings.minConfidence !== undefined && s.settings.minConfidence !== null) {
    const recommended = unanswerable
      ? ` -> DOCQA_MIN_CONFIDENCE=${String(Number((1 - t.best_f1_thresh).toPrecision(4)))}${t.recommendedThreshold === 0 ? ' (on this set, answering nothing scores best)' : ''}`
      : ' (no unanswerable questions in this set: no minimum confidence to recommend)';
    return [`  minimum confidence ${thr(s.settings.minConfidence)} (${s.settings.calibrated ? 'calibrated' : 'uncalibrated'}); ${sweep}${recommended}`];
  }
  const recommended = unanswerable
    ? ` -> DOCQA_NO_ANSWER_THRESHOLD=${String(t.recommendedThreshold)}${t.recommendedThreshold === 0 ? ' (on this set, answering nothing scores best)' : ''}`
    : ' (no unanswerable questions in this set: no threshold to recommend)';
  return [`  no-answer threshold ${thr(t.threshold)} (${s.settings.thresholdSource}); ${sweep} at ${thr(t.best_f1_thresh)}${recommended}`];
}

const SPARK = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => SPARK[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (SPARK.length - 1))]).join('');
}

export interface HistoryRow {
  run: EvalSummary;
  /** F1 change from the previous run of the same mode, dataset and sample (null for the first). */
  deltaF1: number | null;
}

export function groupKey(s: EvalSummary): string {
  return `${s.mode} ${s.dataset.name} ${s.dataset.sample}`;
}

/** Runs oldest first, each with its F1 change from the previous run on the same questions. */
export function historyRows(runs: readonly EvalSummary[]): HistoryRow[] {
  const last = new Map<string, number>();
  return runs.map((run) => {
    const key = groupKey(run);
    const prev = last.get(key);
    last.set(key, run.official.f1);
    return { run, deltaF1: prev === undefined ? null : run.official.f1 - prev };
  });
}

export function formatHistory(runs: readonly EvalSummary[]): string {
  if (runs.length === 0) return 'No eval runs yet (docqa eval reader|open ...).';
  const rows = historyRows(runs);
  const body = rows.map(({ run: r, deltaF1 }) => {
    const recall = r.retrieval ? Object.entries(r.retrieval.recallAtK).pop() : undefined;
    return [
      r.id,
      r.mode,
      modelLabel(r.model),
      `${r.dataset.name} ${r.dataset.sample}`,
      String(r.dataset.questions),
      f1d(r.official.exact),
      f1d(r.official.f1),
      signed(deltaF1),
      r.official.NoAns_total ? f1d(r.official.NoAns_f1) : '-',
      recall ? `${pctOf(recall[1])} @${recall[0]}` : '-',
      f1d(r.latency.p50Ms, 0),
    ];
  });
  const out = [
    table(
      ['run', 'mode', 'model', 'dataset', 'n', 'EM', 'F1', 'ΔF1', 'NoAns F1', 'recall', 'p50 ms'],
      body,
      (i) => i >= 4,
    ),
  ];
  const groups = new Map<string, EvalSummary[]>();
  for (const r of runs) groups.set(groupKey(r), [...(groups.get(groupKey(r)) ?? []), r]);
  out.push('', 'F1 trend per mode, dataset and sample (oldest to newest):');
  for (const [key, rs] of groups) {
    const f1s = rs.map((r) => r.official.f1);
    out.push(`  ${key}: ${sparkline(f1s)} ${f1s.map((v) => v.toFixed(1)).join(' → ')}`);
  }
  return out.join('\n');
}

export function formatComparison(c: Comparison): string {
  const lines = [
    `A (champion)   ${c.a.id}  ${c.a.model}  ${c.a.mode}  ${c.a.dataset} ${c.a.sample}`,
    `B (challenger) ${c.b.id}  ${c.b.model}  ${c.b.mode}  ${c.b.dataset} ${c.b.sample}`,
    ...c.warnings.map((w) => `warning: ${w}`),
    `${c.paired} paired questions` + (c.onlyInA || c.onlyInB ? ` (${c.onlyInA} only in A, ${c.onlyInB} only in B)` : ''),
    '',
    table(
      ['metric', 'A', 'B', 'B - A'],
      Object.entries(c.scores).map(([k, d]) => [k, f1d(d.a), f1d(d.b), signed(d.delta)]),
      (i) => i > 0,
    ),
    '',
    `per question (F1): B better ${c.perQuestion.wins}, worse ${c.perQuestion.losses}, same ${c.perQuestion.ties}; exact match gained ${c.perQuestion.exactGained}, lost ${c.perQuestion.exactLost}`,
    `F1 delta ${signed(c.significance.bootstrap.meanDifference)} (95% CI ${signed(c.significance.bootstrap.ci95[0])} .. ${signed(c.significance.bootstrap.ci95[1])}), bootstrap p = ${c.significance.bootstrap.pValue.toFixed(4)}, sign test p = ${c.significance.signTestP.toPrecision(3)}`,
    `(${c.significance.test})`,
  ];
  const example = (e: Comparison['examples']['wins'][number]) =>
    `  ${e.id}: ${e.question}\n      gold ${JSON.stringify(e.answers.slice(0, 3))}  A ${JSON.stringify(e.a)} (${e.f1A.toFixed(2)})  B ${JSON.stringify(e.b)} (${e.f1B.toFixed(2)})`;
  if (c.examples.wins.length) lines.push('', 'largest wins of B:', ...c.examples.wins.map(example));
  if (c.examples.losses.length) lines.push('', 'largest losses of B:', ...c.examples.losses.map(example));
  return lines.join('\n');
}

/** `docqa eval calibrate`'s summary of a confidence report. */
export function formatConfidenceReport(r: ConfidenceReport, files: readonly string[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const lines = [
    `${r.questions} questions (${r.hasAnswer} answerable, ${r.noAnswer} unanswerable) from ${files.join(', ')}`,
    `  at minimum confidence ${r.minConfidence.toFixed(4)}: EM ${r.exact.toFixed(2)}  F1 ${r.f1.toFixed(2)}  HasAns F1 ${r.hasAnswerF1.toFixed(2)} (never abstaining: ${r.hasAnswerF1NeverAbstain.toFixed(2)})`,
    `  abstained on ${pct(r.noAnswerAbstention)} of unanswerable and ${pct(r.hasAnswerAbstention)} of answerable questions`,
    `  answered ${r.answered}: ECE ${r.ece.toFixed(4)} (95 % bootstrap interval ${r.eceInterval[0].toFixed(3)}-${r.eceInterval[1].toFixed(3)}), Brier ${r.brier.toFixed(4)} (confidence vs correct = F1 >= 0.5)`,
    '  reliability: ' +
      r.reliability
        .filter((b) => b.count > 0)
        .map((b) => `[${b.lo.toFixed(1)},${b.hi.toFixed(1)}) n=${b.count} conf ${b.confidence.toFixed(2)} acc ${b.accuracy.toFixed(2)}`)
        .join('; '),
  ];
  return lines.join('\n');
}

/** The trade-off of the minimum confidence: one row per value. */
export function formatConfidenceSweep(rows: readonly ConfidenceReport[]): string {
  return table(
    ['min confidence', 'F1', 'HasAns F1', 'NoAns abstained', 'HasAns abstained', 'answered', 'ECE'],
    rows.map((r) => [
      r.minConfidence.toFixed(2),
      r.f1.toFixed(2),
      r.hasAnswerF1.toFixed(2),
      `${(100 * r.noAnswerAbstention).toFixed(1)} %`,
      `${(100 * r.hasAnswerAbstention).toFixed(1)} %`,
      String(r.answered),
      r.ece.toFixed(3),
    ]),
    (col) => col > 0,
  );
}
