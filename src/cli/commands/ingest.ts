import { Command } from 'commander';
import { parseMetaFlags } from '../../documents/metadata.js';
import { ingestBatch } from '../../ingest/batch.js';
import { collectFiles } from '../../ingest/files.js';
import { barProgress, lineProgress, silentProgress, type Progress } from '../../ingest/progress.js';
import { fileReport, formatSummary, summarize } from '../../ingest/report.js';
import { IngestRunMetrics } from '../../observability/ingest-metrics.js';
import { openServices } from '../../services.js';
import { EXIT } from '../exit.js';
import { writeOutputFile } from '../files.js';
import { addConfigOptions, configFrom, parseIntFlag } from '../options.js';

const collect = (value: string, previous: string[]) => [...previous, value];
/** Conventional exit status of a process stopped by SIGINT (128 + 2): the run was interrupted, not broken. */
const INTERRUPTED = 130;

export function ingestCommand(): Command {
  return addConfigOptions(new Command('ingest'))
    .description(
      'ingest files and folders (recursively) into the store: PDF, DOCX, text, Markdown, HTML. Unchanged files are ' +
        'skipped, changed files replace their old passages, and a killed run can simply be run again.',
    )
    .argument('<paths...>', 'files or folders')
    .option('--include <glob>', "only files matching this glob (repeatable; '*.pdf', 'papers/**')", collect, [])
    .option('--exclude <glob>', "skip files or folders matching this glob (repeatable; 'drafts', '*.tmp.md')", collect, [])
    .option('--concurrency <n>', 'files converted at the same time (DOCQA_INGEST_CONCURRENCY)', parseIntFlag('--concurrency'))
    .option('--max-file-bytes <n>', 'larger files fail as too_large (DOCQA_MAX_FILE_BYTES)', parseIntFlag('--max-file-bytes'))
    .option('--file-timeout-ms <n>', 'per-file conversion time limit (DOCQA_FILE_TIMEOUT_MS)', parseIntFlag('--file-timeout-ms'))
    .option('--file-memory-mb <n>', 'per-file conversion heap limit (DOCQA_FILE_MEMORY_MB)', parseIntFlag('--file-memory-mb'))
    .option(
      '--source <source>',
      "the document's identity instead of the path as given: with one file, its source (e.g. a URI); with one folder, the prefix of its files' sources",
    )
    .option(
      '--meta <key=value>',
      "metadata for every file (repeatable; a key given twice is a list): true/false, numbers and ISO dates are typed, or force a type with key:string=, key:number=, key:boolean=, key:date=",
      collect,
      [],
    )
    .option('--force', 'convert files again even when their bytes are unchanged')
    .option('--json', 'print a JSON report on stdout (progress lines go to stderr)')
    .option('--no-progress', 'no progress bar or per-file lines')
    .option('--metrics-file <file>', "write this run's ingest metrics (docqa_cli_ingest_*) in Prometheus text format (for a textfile collector)")
    .action(async (paths: string[], flags) => {
      const config = configFrom(flags, {
        ingestConcurrency: flags.concurrency,
        maxFileBytes: flags.maxFileBytes,
        fileTimeoutMs: flags.fileTimeoutMs,
        fileMemoryMb: flags.fileMemoryMb,
      });
      const meta = parseMetaFlags(flags.meta);
      const { files, unsupported, excluded } = await collectFiles(paths, {
        include: flags.include,
        exclude: flags.exclude,
        ...(flags.source !== undefined ? { source: flags.source } : {}),
      });
      const services = await openServices(config);
      const runMetrics = new IngestRunMetrics();
      const stopper = new AbortController();
      const onSigint = () => {
        if (stopper.signal.aborted) process.exit(INTERRUPTED);
        process.stderr.write('\ndocqa: interrupted: finishing the files in flight (Ctrl-C again to stop now)\n');
        stopper.abort();
      };
      process.on('SIGINT', onSigint);
      const progress: Progress = !flags.progress
        ? silentProgress
        : process.stderr.isTTY
          ? barProgress(process.stderr)
          : lineProgress(flags.json ? process.stderr : process.stdout);
      try {
        progress.start(files.length);
        const result = await ingestBatch(services.ingestor, files, {
          concurrency: config.ingestConcurrency,
          force: flags.force === true,
          meta,
          signal: stopper.signal,
          onStart: (f) => progress.fileStarted(f),
          onDone: (o) => {
            runMetrics.observe(o);
            services.monitor.observeIngest(o);
            progress.fileDone(o);
          },
        }).finally(() => progress.stop());
        if (result.swept.passages > 0) {
          process.stderr.write(`docqa: deleted ${result.swept.passages} passages left behind by an interrupted earlier write\n`);
        }
        const summary = summarize(result.outcomes, result.seconds, { unsupported, excluded, aborted: result.aborted });
        if (flags.json) {
          process.stdout.write(JSON.stringify({ summary, files: result.outcomes.map(fileReport) }, null, 2) + '\n');
        } else {
          process.stdout.write(formatSummary(summary) + '\n');
        }
        if (flags.metricsFile) {
          await writeOutputFile(flags.metricsFile, await runMetrics.finish(!result.aborted && summary.files.failed === 0));
        }
        if (result.aborted) process.exitCode = INTERRUPTED;
        else if (summary.files.failed > 0) process.exitCode = EXIT.partial;
      } finally {
        process.off('SIGINT', onSigint);
        await services.close();
      }
    });
}
