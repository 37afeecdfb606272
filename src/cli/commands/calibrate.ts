import { DEFAULT_MIN_CONFIDENCE } from '../../config.js';
import { Command, InvalidArgumentError } from 'commander';
import { splitSwapped } from '../../eval/sets.js';
import { confidenceReport, decisions, fitCalibrator, DEFAULT_FOLDS, DEFAULT_THRESHOLD_RULE, THRESHOLD_RULES, type ThresholdRule } from '../../eval/calibration.js';
import { makeCalibrationSets, readCandidatesFile, writeCalibration } from '../../eval/calibrate.js';
import { calibratedConfidence, FEATURE_NAMES, parseCalibrator, uncalibratedConfidence, type Calibrator, type FeatureName } from '../../qa/confidence.js';
import { readJsonFile } from '../../reader/model-folder.js';
import { BadInputError } from '../../errors.js';
import { addConfigOptions, configFrom, parseIntFlag, parseProbabilityFlag } from '../options.js';
import { formatConfidenceReport, formatConfidenceSweep } from '../../eval/format.js';

/** `docqa eval make-sets`: the calibration and report sets (src/eval/sets.ts) from the SQuAD files. */
export function makeSetsCommand(): Command {
  return new Command('make-sets')
    .description('build the calibration and report question sets (SQuAD 2.0 JSON with foreign, and for calibration swapped-name, unanswerable questions) from the SQuAD 1.1 files')
    .option('--squad-dir <dir>', 'folder with squad-v1.1-dev-a.json, -dev-b.json and -train-subset.json', 'data/squad')
    .option('--out <dir>', 'where to write calibration-set.json, report-set.json, sets.json, calibration-swapped.json', 'data/sets')
    .action(async (flags) => {
      const { files, rule } = await makeCalibrationSets(flags.squadDir, flags.out);
      process.stdout.write(`${JSON.stringify(rule, null, 2)}\n${files.join('\n')}\n`);
    });
}

async function currentCalibrator(modelDir: string, modelFile: string): Promise<Calibrator | undefined> {
  const manifest = await readJsonFile(modelDir, 'manifest.json', true);
  const c = parseCalibrator(((manifest?.calibration ?? {}) as Record<string, unknown>)[modelFile]);
  if (typeof c === 'string') throw new BadInputError(`manifest.json calibration of ${modelFile}: ${c}`, 'modelDir');
  return c;
}

/** `docqa eval calibrate`: fit the confidence calibrator on candidate files, or check one on them. */
export function calibrateCommand(): Command {
  return addConfigOptions(new Command('calibrate'))
    .description(
      'fit the confidence calibrator on the candidates of open-mode runs (docqa eval open --candidates FILE) and, with --write, store it in the model manifest; with --check, judge the current calibrator on them instead',
    )
    .argument('<candidates...>', 'candidates files written by docqa eval open --candidates')
    .option('--write', "store the fitted calibrator in the model folder's manifest.json (for --model-file)")
    .option('--check', 'do not fit: report the calibrator of the manifest (or --uncalibrated) on these candidates')
    .option('--uncalibrated', 'with --check: judge the uncalibrated confidence')
    .option('--min-confidence <p>', 'with --check: judge at this minimum confidence instead of the calibrator\'s', parseProbabilityFlag('--min-confidence'))
    .option('--per-question <n>', 'candidates per question the fit sees (default 5)', parseIntFlag('--per-question'))
    .option('--l2 <lambda>', 'L2 penalty of the logistic regression (default 1)', (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`--l2 must be a number >= 0, got '${v}'`);
      return n;
    })
    .option('--no-isotonic', 'fit the logistic regression alone, without the isotonic map')
    .option('--no-names-map', "one isotonic map for all answers (default: a second one for answers whose passage holds none of the question's names)")
    .option(
      '--folds <k>',
      `cross-fitting: the isotonic map and the minimum confidence are fitted on out-of-fold scores, folds by article (default ${DEFAULT_FOLDS}; 0: in-sample)`,
      parseIntFlag('--folds'),
    )
    .option('--threshold-rule <rule>', `how the minimum confidence is chosen: ${THRESHOLD_RULES.join(' | ')} (default ${DEFAULT_THRESHOLD_RULE})`, (v: string) => {
      if (!(THRESHOLD_RULES as readonly string[]).includes(v)) throw new InvalidArgumentError(`--threshold-rule must be one of ${THRESHOLD_RULES.join(', ')}, got '${v}'`);
      return v as ThresholdRule;
    })
    .option('--features <names>', `comma-separated subset of the features (default all: ${FEATURE_NAMES.join(', ')})`, (v: string) => {
      const names = v.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = names.find((n) => !(FEATURE_NAMES as readonly string[]).includes(n));
      if (unknown || names.length === 0) throw new InvalidArgumentError(`--features: unknown feature '${unknown ?? ''}'`);
      return names as FeatureName[];
    })
    .option('--sweep', 'also print the trade-off at minimum confidences 0.05, 0.10, ..., 0.95')
    .option('--json', 'print JSON')
    .action(async (files: string[], flags) => {
      const config = configFrom(flags);
      const inputs = await Promise.all(files.map(readCandidatesFile));
      const records = inputs.flatMap((f) => f.records);
      let calibrator: Calibrator | undefined;
      if (flags.check) {
        calibrator = flags.uncalibrated ? undefined : await currentCalibrator(config.modelDir, config.modelFile);
        if (!flags.uncalibrated && !calibrator) {
          throw new BadInputError(`${config.modelDir}/manifest.json has no calibration for ${config.modelFile}: fit one first, or pass --uncalibrated`, 'modelDir');
        }
      } else {
        calibrator = fitCalibrator(records, {
          perQuestion: flags.perQuestion,
          l2: flags.l2,
          isotonic: flags.isotonic,
          namesAbsentMap: flags.namesMap,
          folds: flags.folds,
          thresholdRule: flags.thresholdRule,
          features: flags.features,
          fittedOn: {
            date: new Date().toISOString(),
            sets: inputs.map((f) => ({
              name: f.header.dataset.name,
              sha256: f.header.dataset.sha256,
              sample: f.header.dataset.sample,
              questions: f.records.length,
              unanswerable: f.records.filter((r) => r.answers.length === 0).length,
              topK: f.header.topK,
              model: f.header.model,
            })),
          },
        });
      }
      const confidenceOf = calibrator
        ? (c: { features: number[] }) => calibratedConfidence(calibrator!, c.features)
        : (c: { features: number[] }) => uncalibratedConfidence(c.features);
      const minConfidence = flags.minConfidence ?? calibrator?.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
      // a fit is reported on the questions it chose the minimum on; swapped-name ones only shaped the names-absent map
      const { own, swapped } = flags.check ? { own: records, swapped: [] } : splitSwapped(records);
      const ds = decisions(own, confidenceOf);
      const report = confidenceReport(ds, minConfidence);
      const swappedRefused = confidenceReport(decisions(swapped, confidenceOf), minConfidence).noAnswerAbstention;
      const sweep = flags.sweep ? Array.from({ length: 19 }, (_, i) => confidenceReport(ds, (i + 1) / 20)) : undefined;
      let written: string | null = null;
      if (flags.write && !flags.check && calibrator) written = await writeCalibration(config.modelDir, config.modelFile, calibrator);
      if (flags.json) process.stdout.write(JSON.stringify({ calibrator: calibrator ?? null, report, sweep, written, ...(swapped.length > 0 ? { swapped: { questions: swapped.length, refused: swappedRefused } } : {}) }, null, 2) + '\n');
      else {
        process.stdout.write(formatConfidenceReport(report, files) + '\n');
        if (swapped.length > 0) {
          process.stdout.write(
            `  (not counted above: ${swapped.length} swapped-name questions, fitted on by the names-absent map only; ${(swappedRefused * 100).toFixed(1)} % of them refused, in-sample)\n`,
          );
        }
        if (sweep) process.stdout.write(formatConfidenceSweep(sweep) + '\n');
        if (calibrator && !flags.check) {
          process.stdout.write(`weights: ${calibrator.features.map((f, i) => `${f} ${calibrator!.weights[i]!.toFixed(3)}`).join(', ')}; bias ${calibrator.bias.toFixed(3)}\n`);
        }
        if (written) process.stdout.write(`stored in ${written} (calibration of ${config.modelFile})\n`);
        else if (!flags.check) process.stdout.write('not stored (pass --write to store it in the model manifest)\n');
      }
    });
}
