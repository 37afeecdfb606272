import { Command } from 'commander';
import path from 'node:path';
import { compareRuns } from '../../eval/compare.js';
import { runEvaluation, type EvaluationOptions } from '../../eval/evaluate.js';
import { formatComparison, formatHistory, formatSummary } from '../../eval/format.js';
import { renderReport } from '../../eval/report.js';
import { summaryOf, type EvalMode, type EvalResult } from '../../eval/result.js';
import { listRuns, loadRun, runsDir } from '../../eval/runs.js';
import { countProgress } from '../../util/progress.js';
import { calibrateCommand, makeSetsCommand } from './calibrate.js';
import { writeOutputFile } from '../files.js';
import { addConfigOptions, configFrom, parseIntFlag, parseProbabilityFlag } from '../options.js';

/** A run's summary on stdout: JSON with the run's folder (null when not saved), or the text summary. */
function printRun(result: EvalResult, dir: string | null, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ ...summaryOf(result), dir }, null, 2) + '\n');
  else process.stdout.write(formatSummary(result, dir ?? undefined) + '\n');
}

function runCommand(mode: EvalMode): Command {
  const cmd = addConfigOptions(new Command(mode))
    .argument('<dataset>', mode === 'reader' ? 'SQuAD JSON (v1.1 or v2.0), or JSONL with "context"' : 'SQuAD JSON, or JSONL questions (with --corpus)')
    .option('--limit <n>', 'evaluate only n questions (the first n, or a random sample with --seed)', parseIntFlag('--limit'))
    .option('--seed <n>', 'with --limit: a seeded random sample instead of the first n', parseIntFlag('--seed'))
    .option('--concurrency <n>', 'questions in flight at once (default 1)', parseIntFlag('--concurrency'))
    .option(
      mode === 'reader' ? '--threshold <p>' : '--min-confidence <p>',
      mode === 'reader'
        ? 'no-answer threshold: say "no answer" when the reader\'s no-answer probability is >= p (DOCQA_NO_ANSWER_THRESHOLD)'
        : 'answer only when the best answer\'s confidence is >= p (DOCQA_MIN_CONFIDENCE; default: the model\'s calibration)',
      parseProbabilityFlag(mode === 'reader' ? '--threshold' : '--min-confidence'),
    )
    .option('--json', 'print the result summary as JSON on stdout')
    .option('--predictions <file>', 'also write predictions in the official SQuAD format ({id: answer, "" = no answer})')
    .option('--na-probs <file>', 'also write the no-answer probabilities in the official SQuAD format')
    .option('--report <file>', 'also write the HTML report here')
    .option('--no-save', `do not store the run under <data-dir>/eval/runs`)
    .option('--quiet', 'no progress on stderr');
  if (mode === 'open') {
    cmd
      .option('--corpus <dir>', 'ingest the documents of this folder instead of the SQuAD contexts (required for JSONL)')
      .option('-k, --top-k <n>', 'passages retrieved and read per question (DOCQA_RETRIEVER_TOP_K)', parseIntFlag('--top-k'))
      .option('--keep-index', 'keep the temporary index after the run')
      .option('--candidates <file>', 'also write every question\'s candidate answers with their features (JSONL, for docqa eval calibrate)');
  }
  return cmd.action(async (datasetFile: string, flags) => {
    const config = configFrom(flags, {
      noAnswerThreshold: flags.threshold,
      minConfidence: flags.minConfidence,
      retrieverTopK: flags.topK,
    });
    const options: EvaluationOptions = {
      mode,
      dataset: datasetFile,
      corpus: flags.corpus,
      limit: flags.limit,
      seed: flags.seed,
      topK: flags.topK,
      concurrency: flags.concurrency,
      save: flags.save,
      keepIndex: flags.keepIndex,
      candidatesFile: flags.candidates,
      onProgress: flags.quiet ? undefined : countProgress(process.stderr, 'questions'),
      log: flags.quiet ? undefined : (line) => process.stderr.write(line + '\n'),
    };
    const { result, files, dir } = await runEvaluation(config, options);
    const extra: [string | undefined, string][] = [
      [flags.predictions, files.predictions],
      [flags.naProbs, files.naProbs],
      [flags.report, files.html],
    ];
    for (const [file, content] of extra) if (file) await writeOutputFile(file, content);
    printRun(result, dir, flags.json === true);
  });
}

function historyCommand(): Command {
  return addConfigOptions(new Command('history'))
    .description('list stored eval runs, oldest first, with the F1 trend')
    .option('--mode <mode>', 'only reader or open runs')
    .option('--model <name>', 'only runs of this model name (or name@version)')
    .option('--dataset <name>', 'only runs on this dataset file name')
    .option('--json', 'print the run summaries as JSON')
    .action(async (flags) => {
      const config = configFrom(flags);
      let runs = await listRuns(config.dataDir, (dir, why) => process.stderr.write(`docqa: skipped ${dir}: ${why}\n`));
      if (flags.mode) runs = runs.filter((r) => r.mode === flags.mode);
      if (flags.model) runs = runs.filter((r) => r.model.name === flags.model || `${r.model.name}@${r.model.version}` === flags.model);
      if (flags.dataset) runs = runs.filter((r) => r.dataset.name === flags.dataset || r.dataset.file === path.resolve(flags.dataset));
      if (flags.json) process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
      else process.stdout.write(formatHistory(runs) + `\n(runs in ${runsDir(config.dataDir)})\n`);
    });
}

function compareCommand(): Command {
  return addConfigOptions(new Command('compare'))
    .description('champion (A) vs challenger (B): score deltas, per-question wins/losses, paired significance tests')
    .argument('<runA>', "run id, unique id prefix, 'latest', 'latest~1', or a run folder")
    .argument('<runB>', 'the same, for the challenger')
    .option('--seed <n>', 'bootstrap seed (default 1)', parseIntFlag('--seed'))
    .option('--resamples <n>', 'bootstrap resamples (default 10000)', parseIntFlag('--resamples'))
    .option('--examples <n>', 'questions to show among the largest wins and losses (default 10)', parseIntFlag('--examples'))
    .option('--json', 'print the comparison as JSON')
    .action(async (refA: string, refB: string, flags) => {
      const config = configFrom(flags);
      const a = await loadRun(config.dataDir, refA);
      const b = await loadRun(config.dataDir, refB);
      const comparison = compareRuns(a, b, { seed: flags.seed, resamples: flags.resamples, examples: flags.examples });
      process.stdout.write((flags.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison)) + '\n');
    });
}

function showCommand(): Command {
  return addConfigOptions(new Command('show'))
    .description('print a stored run (and where its report is)')
    .argument('[run]', "run id, unique id prefix, 'latest' (default) or a run folder", 'latest')
    .option('--json', 'print the summary as JSON')
    .action(async (ref: string, flags) => {
      const config = configFrom(flags);
      const result = await loadRun(config.dataDir, ref);
      printRun(result, path.join(runsDir(config.dataDir), result.id), flags.json === true);
    });
}

function reportCommand(): Command {
  return addConfigOptions(new Command('report'))
    .description("(re)write a stored run's HTML report")
    .argument('[run]', "run id, unique id prefix, 'latest' (default) or a run folder", 'latest')
    .option('-o, --out <file>', "where to write it (default: the run's report.html)")
    .action(async (ref: string, flags) => {
      const config = configFrom(flags);
      const result = await loadRun(config.dataDir, ref);
      const file = flags.out ?? path.join(runsDir(config.dataDir), result.id, 'report.html');
      await writeOutputFile(file, renderReport(result));
      process.stdout.write(`${file}\n`);
    });
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate the reader or the whole pipeline on annotated questions (official SQuAD scores), keep history, compare runs')
    .addCommand(runCommand('reader').description('the reader alone on each question\'s gold paragraph'))
    .addCommand(
      runCommand('open').description('ingest the contexts (or --corpus) into a fresh index and ask every question through retriever + reader'),
    )
    .addCommand(calibrateCommand())
    .addCommand(makeSetsCommand())
    .addCommand(historyCommand())
    .addCommand(compareCommand())
    .addCommand(showCommand())
    .addCommand(reportCommand());
}
