#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { askCommand } from './commands/ask.js';
import { dataCommand } from './commands/data.js';
import { documentsCommand } from './commands/documents.js';
import { evalCommand } from './commands/eval.js';
import { feedbackCommand } from './commands/feedback.js';
import { ingestCommand } from './commands/ingest.js';
import { keysCommand } from './commands/keys.js';
import { modelCommand } from './commands/model.js';
import { monitorCommand } from './commands/monitor.js';
import { queriesCommand } from './commands/queries.js';
import { serveCommand } from './commands/serve.js';
import { exitCodeOf, reportError } from './exit.js';
import { throwOnUsageErrors } from './usage.js';

export function buildCli(): Command {
  const cli = new Command('docqa')
    .description('extractive question answering over your documents')
    .version('0.1.0')
    .addCommand(ingestCommand())
    .addCommand(documentsCommand())
    .addCommand(askCommand())
    .addCommand(serveCommand())
    .addCommand(keysCommand())
    .addCommand(evalCommand())
    .addCommand(dataCommand())
    .addCommand(modelCommand())
    .addCommand(monitorCommand())
    .addCommand(queriesCommand())
    .addCommand(feedbackCommand());
  return throwOnUsageErrors(cli);
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    // commander has already printed what was wrong with the command line
    process.exitCode = err instanceof CommanderError ? exitCodeOf(err) : reportError(err);
  }
}

await main(process.argv);
