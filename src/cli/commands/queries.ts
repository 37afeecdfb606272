import { Command } from 'commander';
import { MAX_QUERY_LOG_PAGE } from '../../config.js';
import { BadInputError } from '../../errors.js';
import type { QueryRecord } from '../../querylog/record.js';
import type { QueryLog, QueryLogQuery } from '../../querylog/store.js';
import { openServices, type Services } from '../../services.js';
import { writeOutputFile } from '../files.js';
import { addConfigOptions, configFrom, parseIntFlag } from '../options.js';
import { parseTimeFlag } from '../time.js';

/** --since / --until / --limit / --judged, shared by `queries list|export` and `feedback export`. */
export function addWindowOptions(cmd: Command, defaultLimit: number): Command {
  return cmd
    .option('--since <time>', 'only asks at or after this time: ISO date/time, or 30m, 24h, 7d back from now', parseTimeFlag('--since'))
    .option('--until <time>', 'only asks before this time (same forms)', parseTimeFlag('--until'))
    .option('--limit <n>', `at most this many records (default ${defaultLimit}, at most ${MAX_QUERY_LOG_PAGE})`, parseIntFlag('--limit'), defaultLimit);
}

export function windowOf(flags: Record<string, unknown>): Omit<QueryLogQuery, 'order'> {
  const limit = flags.limit as number;
  if (limit < 1 || limit > MAX_QUERY_LOG_PAGE) throw new BadInputError(`--limit must be from 1 to ${MAX_QUERY_LOG_PAGE}, got ${limit}`, 'limit');
  const since = flags.since as Date | undefined;
  const until = flags.until as Date | undefined;
  if (since && until && since >= until) throw new BadInputError('--since must be before --until', 'since');
  return { since, until, limit, judged: flags.judged === true ? true : undefined };
}

/** Runs `fn` with the services (document store and query log), closing them afterwards. */
export async function withQueryLog<T>(flags: Record<string, unknown>, fn: (log: QueryLog, services: Services) => Promise<T>): Promise<T> {
  const services = await openServices(configFrom(flags));
  try {
    return await fn(await services.queryLog(), services);
  } finally {
    await services.close();
  }
}

function clip(s: string, n: number): string {
  const flat = s.replace(/\s+/gu, ' ');
  return flat.length <= n ? flat : flat.slice(0, n - 1) + '…';
}

/** One line per ask: time, id, verdict, the decision (best answer and its confidence, or "no answer"), the question. */
export function formatRecords(records: readonly QueryRecord[]): string {
  return records
    .map((r) => {
      const best = r.answers[0];
      const decision = r.noAnswer.chosen
        ? `no answer${r.noAnswer.bestConfidence !== null ? ` (best ${r.noAnswer.bestConfidence.toFixed(2)})` : ''}`
        : `${clip(best?.text ?? '', 30)} (${(best?.confidence ?? 0).toFixed(2)})`;
      const question = r.question === null ? `[question not logged, ${r.questionLength} chars]` : clip(r.question, 60);
      return [r.time.slice(0, 19).replace('T', ' '), r.id, (r.feedback?.verdict ?? '-').padEnd(7), `${r.model.name}@${r.model.version}`, decision, '|', question].join('  ');
    })
    .join('\n');
}

function listCommand(): Command {
  return addWindowOptions(addConfigOptions(new Command('list')), 50)
    .description('the latest asks in the query log, newest first')
    .option('--judged', 'only asks with feedback')
    .option('--json', 'print the records as JSON')
    .action(async (flags) => {
      await withQueryLog(flags, async (log) => {
        const window = windowOf(flags);
        const [records, total] = await Promise.all([log.list({ ...window, order: 'desc' }), log.count(window)]);
        if (flags.json) {
          process.stdout.write(JSON.stringify({ records, total }, null, 2) + '\n');
          return;
        }
        process.stdout.write(records.length === 0 ? 'no asks in the query log for this window\n' : `${formatRecords(records)}\n${records.length} of ${total} asks\n`);
      });
    });
}

function exportCommand(): Command {
  return addWindowOptions(addConfigOptions(new Command('export')), 10_000)
    .description('the asks of a time window as JSONL (one record a line, oldest first), to stdout or a file')
    .option('--judged', 'only asks with feedback')
    .option('-o, --out <file>', 'write here instead of stdout')
    .action(async (flags) => {
      await withQueryLog(flags, async (log) => {
        const records = await log.list({ ...windowOf(flags), order: 'asc' });
        const text = records.map((r) => JSON.stringify(r) + '\n').join('');
        if (flags.out) {
          await writeOutputFile(flags.out, text);
          process.stderr.write(`wrote ${records.length} asks to ${flags.out}\n`);
        } else {
          process.stdout.write(text);
        }
      });
    });
}

function pruneCommand(): Command {
  return addConfigOptions(new Command('prune'))
    .description('apply the retention now (DOCQA_QUERY_LOG_RETENTION_DAYS, DOCQA_QUERY_LOG_MAX_ROWS); serve does so hourly')
    .action(async (flags) => {
      const services = await openServices(configFrom(flags));
      try {
        const recorder = await services.recorder();
        const deleted = await recorder.prune();
        process.stdout.write(`deleted ${deleted} asks; ${await recorder.log.count()} kept\n`);
      } finally {
        await services.close();
      }
    });
}

export function queriesCommand(): Command {
  return new Command('queries')
    .description('the query log: every HTTP ask with its answers, decision, model, timings and feedback')
    .addCommand(listCommand())
    .addCommand(exportCommand())
    .addCommand(pruneCommand());
}
