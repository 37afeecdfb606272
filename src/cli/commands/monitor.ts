import { Command, InvalidArgumentError } from 'commander';
import { BadInputError } from '../../errors.js';
import { loadRun } from '../../eval/runs.js';
import { FEATURE_NAMES, isFeatureName, type FeatureName } from '../../monitor/features.js';
import { formatMark, formatReport } from '../../monitor/format.js';
import { openMonitor } from '../../services.js';
import { EXIT } from '../exit.js';
import { addConfigOptions, configFrom } from '../options.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A point in time: an ISO 8601 date/time, 'now', or a duration ago ('90m', '2h', '7d'). */
export function parseTime(flag: string, now: () => number = Date.now) {
  return (value: string): Date => {
    const v = value.trim();
    if (v === 'now') return new Date(now());
    const ago = /^(\d+(?:\.\d+)?)([smhd])$/u.exec(v);
    if (ago) return new Date(now() - Number(ago[1]) * UNITS[ago[2]!]!);
    const t = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}/u.test(v) || Number.isNaN(t)) {
      throw new InvalidArgumentError(`${flag} must be an ISO date/time (2026-12-02T14:00Z), 'now' or a duration ago (90m, 2h, 7d), got '${value}'`);
    }
    return new Date(t);
  };
}

function parseFeatures(value: string): FeatureName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !isFeatureName(n));
  if (bad.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`--features takes names of ${FEATURE_NAMES.join(', ')}; got '${value}'`);
  }
  return names as FeatureName[];
}

function baselineCommand(): Command {
  return addConfigOptions(new Command('baseline'))
    .description(
      'mark the reference that drift is measured against: the ask features of a stored open-mode eval run, or every ' +
        'feature observed in a time window (asks served, documents ingested); without a source, print the current baseline',
    )
    .option('--eval-run <run>', "a stored eval run: id, unique id prefix, 'latest', 'latest~N' or a run folder (open mode)")
    .option('--since <time>', "start of the window: ISO date/time, 'now' or a duration ago (2h, 7d)", parseTime('--since'))
    .option('--until <time>', 'end of the window (default now)', parseTime('--until'))
    .option('--features <names>', `only these features, comma-separated (${FEATURE_NAMES.join(', ')})`, parseFeatures)
    .option('--json', 'print the result as JSON')
    .action(async (flags) => {
      const config = configFrom(flags);
      const monitor = openMonitor(config, (m) => process.stderr.write(`docqa: ${m}\n`));
      if (flags.evalRun && (flags.since || flags.until)) {
        throw new BadInputError('give either --eval-run or --since/--until, not both');
      }
      if (!flags.evalRun && !flags.since) {
        if (flags.until) throw new BadInputError('--until needs --since');
        const baseline = await monitor.currentBaseline();
        if (flags.json) process.stdout.write(JSON.stringify(baseline, null, 2) + '\n');
        else process.stdout.write(formatReport(await monitor.report()) + '\n');
        return;
      }
      let result;
      if (flags.evalRun) {
        const run = await loadRun(config.dataDir, flags.evalRun);
        if (run.mode !== 'open') {
          throw new BadInputError(`eval run ${run.id} is a ${run.mode}-mode run; a baseline needs an open-mode run (retriever and confidence)`);
        }
        result = await monitor.markEvalRun(run, flags.features);
      } else {
        const until: Date = flags.until ?? new Date();
        if (until.getTime() <= (flags.since as Date).getTime()) throw new BadInputError('--until must be after --since');
        result = await monitor.markWindow(flags.since, until, flags.features);
      }
      if (flags.json) process.stdout.write(JSON.stringify({ marked: result.marked, skipped: result.skipped, file: result.file }, null, 2) + '\n');
      else process.stdout.write(formatMark(result) + '\n');
      if (result.marked.length === 0) process.exitCode = EXIT.partial;
    });
}

function statusCommand(): Command {
  return addConfigOptions(new Command('status'))
    .description('drift of the recent asks and ingests (the sliding window) against the baseline, per feature: PSI, KS, status')
    .option('--json', 'print the report as JSON (the same as GET /v1/monitor)')
    .action(async (flags) => {
      const config = configFrom(flags);
      const report = await openMonitor(config, (m) => process.stderr.write(`docqa: ${m}\n`)).report();
      process.stdout.write((flags.json ? JSON.stringify(report, null, 2) : formatReport(report)) + '\n');
    });
}

export function monitorCommand(): Command {
  return new Command('monitor')
    .description('drift of what docqa sees and says (question length, BM25 top score, confidence, no-answer rate, ingest pages) against a baseline')
    .addCommand(baselineCommand())
    .addCommand(statusCommand());
}
