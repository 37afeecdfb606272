/** The drift report and a marked baseline in words, for `docqa monitor` (pure). */
import type { BaselineSource } from './baseline.js';
import type { MarkResult, MonitorReport } from './service.js';

const fixed = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? '-' : v.toFixed(digits));

export function describeSource(s: BaselineSource): string {
  return s.kind === 'eval-run' ? `eval run ${s.runId} (${s.dataset}, ${s.model})` : `window ${s.since} .. ${s.until}`;
}

export function formatReport(r: MonitorReport): string {
  const rows = [['feature', 'status', 'psi', 'ks', 'window n', 'window mean', 'baseline n', 'baseline mean', 'baseline']];
  for (const f of r.features) {
    rows.push([
      f.feature,
      f.status,
      fixed(f.psi, 3),
      fixed(f.ks?.statistic, 3),
      String(f.window.values),
      fixed(f.window.mean, 3),
      f.baseline ? String(f.baseline.values) : '-',
      fixed(f.baseline?.mean, 3),
      f.baseline ? describeSource(f.baseline.source) : 'none',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  lines.push(
    '',
    `PSI above ${r.thresholds.warning} is a warning, above ${r.thresholds.critical} critical; a figure needs ${r.minValues} values in the window (of at most ${r.windowSize}) and in the baseline.`,
    `log: ${r.logFile}`,
    `baseline: ${r.baselineUpdatedAt ? `${r.baselineFile} (updated ${r.baselineUpdatedAt})` : 'none marked yet (docqa monitor baseline --since ... | --eval-run ...)'}`,
  );
  if (r.baselineError) lines.push(`warning: ${r.baselineError} (ignored)`);
  return lines.join('\n');
}

export function formatMark(m: MarkResult): string {
  const lines: string[] = [];
  for (const f of m.marked) {
    const b = m.baseline.features[f]!;
    lines.push(`marked ${f}: ${b.count} values, mean ${b.mean.toFixed(3)}, from ${describeSource(b.source)}`);
  }
  for (const s of m.skipped) lines.push(`kept   ${s.feature}: only ${s.values} values in this source (too few to mark)`);
  lines.push(m.marked.length > 0 ? `baseline written to ${m.file}` : `nothing marked: the baseline in ${m.file} is unchanged`);
  return lines.join('\n');
}
