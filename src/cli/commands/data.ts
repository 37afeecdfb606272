import { Command, InvalidArgumentError } from 'commander';
import { failureOf, fetchSquad, squadDir, type FetchOptions, type FileOutcome } from '../../data/fetch.js';
import { SQUAD_BASE_URL, type SquadCatalog } from '../../data/squad.js';
import { configFrom } from '../options.js';

/** Test hooks: a small catalog of fake files instead of the real SQuAD files. */
export interface DataCommandOptions {
  catalog?: SquadCatalog;
}

function formatOutcomes(outcomes: readonly FileOutcome[], dir: string): string {
  const width = Math.max(...outcomes.map((o) => o.name.length));
  const lines = outcomes.map((o) => `  ${o.name.padEnd(width)}  ${o.status.padEnd(10)}  ${o.status === 'failed' ? '(below)' : o.detail}`);
  const ready = outcomes.filter((o) => o.sha256 !== null).length;
  const differs = outcomes.filter((o) => o.differs);
  return [
    `SQuAD files in ${dir}:`,
    ...lines,
    `${ready} of ${outcomes.length} files in place${ready > 0 ? ' (sha256 of each in SHA256SUMS)' : ''}.`,
    ...(differs.length > 0
      ? [
          `Note: ${differs.map((o) => o.name).join(', ')} ${differs.length === 1 ? 'was' : 'were'} derived but ${differs.length === 1 ? 'differs' : 'differ'} ` +
            'from the file the project measured on (both sha256 above): scores on it may not match the docs exactly.',
        ]
      : []),
  ].join('\n');
}

function fetchCommand(hooks: DataCommandOptions): Command {
  return new Command('fetch')
    .description(
      'download a data set into <data dir>/<name>/ and check its sha256; `squad`: the official SQuAD 1.1 train and dev and ' +
        "2.0 dev files, and the project's splits made from them (squad-v1.1-dev-a/dev-b, train subset, v2.0 sample)",
    )
    .argument('<dataset>', 'the data set: squad', (value: string) => {
      if (value !== 'squad') throw new InvalidArgumentError(`unknown data set '${value}' (known: squad)`);
      return value;
    })
    .option('--from <path>', 'copy local files instead of downloading: a folder holding them, or one file (checked by sha256)')
    .option('--base-url <url>', `download from this mirror of the SQuAD site (default ${SQUAD_BASE_URL})`)
    .option('--force', 'fetch and derive again even when a file with the right sha256 is in place')
    .option('--data-dir <dir>', 'the docqa data folder (DOCQA_DATA_DIR); the files go to its squad/ folder')
    .action(async (_dataset: string, flags: { from?: string; baseUrl?: string; force?: boolean; dataDir?: string }) => {
      const { dataDir } = configFrom({ dataDir: flags.dataDir });
      const options: FetchOptions = {
        dataDir,
        ...(flags.from ? { from: flags.from } : {}),
        ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}),
        ...(flags.force ? { force: true } : {}),
        ...(hooks.catalog ? { catalog: hooks.catalog } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
      };
      const outcomes = await fetchSquad(options);
      process.stdout.write(`${formatOutcomes(outcomes, squadDir(dataDir))}\n`);
      const failure = failureOf(outcomes, hooks.catalog);
      if (failure) throw failure;
    });
}

export function dataCommand(hooks: DataCommandOptions = {}): Command {
  return new Command('data')
    .description('data sets for evaluation, benchmarks and training (not needed to run docqa)')
    .addCommand(fetchCommand(hooks));
}
