import { Command } from 'commander';
import { BadInputError } from '../../errors.js';
import { buildFeedbackSet, checkExportable, exportSummary, toJsonl, toSquad } from '../../querylog/export.js';
import { writeOutputFile } from '../files.js';
import { addConfigOptions } from '../options.js';
import { addWindowOptions, windowOf, withQueryLog } from './queries.js';

function exportCommand(): Command {
  return addWindowOptions(addConfigOptions(new Command('export')), 10_000)
    .description(
      'judged asks as a regression set for `docqa eval open`: SQuAD v2.0 with the documents they were answered from (default), or JSONL for --corpus',
    )
    .requiredOption('-o, --out <file>', 'the set to write (e.g. feedback.json)')
    .option('--format <format>', "'squad' (self-contained: the documents' text travels with it) or 'jsonl' (names the documents; run with eval open --corpus)", 'squad')
    .option('--json', 'print the summary as JSON')
    .action(async (flags) => {
      if (flags.format !== 'squad' && flags.format !== 'jsonl') throw new BadInputError(`--format must be squad or jsonl, got '${flags.format}'`, 'format');
      await withQueryLog(flags, async (log, services) => {
        const records = await log.list({ ...windowOf(flags), judged: true, order: 'asc' });
        const set = await buildFeedbackSet(records, services.store);
        checkExportable(set);
        await writeOutputFile(flags.out, flags.format === 'squad' ? JSON.stringify(toSquad(set)) + '\n' : toJsonl(set));
        const summary = { file: flags.out, format: flags.format, judged: records.length, ...exportSummary(set) };
        if (flags.json) {
          process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
          return;
        }
        const s = summary.skipped;
        process.stdout.write(
          `wrote ${summary.questions} questions (${summary.answerable} with a gold answer, ${summary.unanswerable} unanswerable) over ${summary.documents} documents to ${flags.out}\n` +
            `skipped ${set.skipped.length} of ${records.length} judged asks: ${s.no_gold_answer} without a gold answer (wrong/partial without correctAnswer), ` +
            `${s.question_not_logged} without their question (DOCQA_LOG_QUESTIONS=false), ${s.gold_answer_not_found} whose answer no stored document holds\n` +
            `run it: docqa eval open ${flags.out}${flags.format === 'jsonl' ? ' --corpus <the folder you ingested>' : ''}\n`,
        );
      });
    });
}

export function feedbackCommand(): Command {
  return new Command('feedback').description('user feedback on asks (POST /v1/feedback)').addCommand(exportCommand());
}
