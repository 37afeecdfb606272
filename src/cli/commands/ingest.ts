import { Command } from 'commander';
import fs from 'node:fs/promises';
import { collectFiles } from '../../ingest/ingestor.js';
import { openServices } from '../../services.js';
import { EXIT } from '../exit.js';
import { addConfigOptions, configFrom } from '../options.js';

export function ingestCommand(): Command {
  return addConfigOptions(new Command('ingest'))
    .description('ingest files and folders (recursively) into the store')
    .argument('<paths...>', 'files or folders')
    .option('--json', 'print a JSON report')
    .action(async (paths: string[], flags) => {
      const services = await openServices(configFrom(flags));
      try {
        const files = await collectFiles(paths);
        const outcomes = [];
        for (const { file, name } of files) {
          const data = await fs.readFile(file);
          const outcome = await services.ingestor.ingestSafely({ data, name });
          outcomes.push(outcome);
          if (!flags.json) {
            const detail =
              outcome.status === 'failed' ? outcome.reason : `${outcome.passages} passages, ${outcome.chars} chars`;
            process.stdout.write(`${outcome.status.padEnd(9)} ${name}: ${detail}\n`);
          }
        }
        const failed = outcomes.filter((o) => o.status === 'failed').length;
        if (flags.json) process.stdout.write(JSON.stringify({ files: outcomes }, null, 2) + '\n');
        else process.stdout.write(`${files.length} files, ${failed} failed\n`);
        if (failed > 0) process.exitCode = EXIT.partial;
      } finally {
        await services.close();
      }
    });
}
