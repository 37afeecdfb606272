import { Command } from 'commander';
import { askSchema } from '../../api/schemas.js';
import { validate } from '../../api/validate.js';
import { openServices } from '../../services.js';
import { formatAskResult } from '../format.js';
import { addConfigOptions, configFrom, parseIntFlag, parseProbabilityFlag } from '../options.js';

export function askCommand(): Command {
  return addConfigOptions(new Command('ask'))
    .description('answer a question from the indexed documents')
    .argument('<question>', 'the question')
    .option('-k, --top-k <n>', 'answers to show', parseIntFlag('--top-k'))
    .option('--retriever-top-k <n>', 'passages to retrieve and read', parseIntFlag('--retriever-top-k'))
    .option('--doc <name...>', 'only search these document names')
    .option('--min-confidence <p>', 'answer only when the best answer is at least this confident (0..1)', parseProbabilityFlag('--min-confidence'))
    .option('--json', 'print the same JSON as POST /v1/ask')
    .action(async (question: string, flags) => {
      // the same validation as POST /v1/ask (e.g. --top-k 0 is refused, exit 2)
      const request = validate(askSchema, {
        question,
        topK: flags.topK,
        retrieverTopK: flags.retrieverTopK,
        filters: flags.doc ? { names: flags.doc } : undefined,
        minConfidence: flags.minConfidence,
      });
      const services = await openServices(configFrom(flags));
      try {
        const pipeline = await services.pipeline();
        const result = await pipeline.ask(request);
        process.stdout.write(
          flags.json ? JSON.stringify(result, null, 2) + '\n' : formatAskResult(result, process.stdout.isTTY) + '\n',
        );
      } finally {
        await services.close();
      }
    });
}
