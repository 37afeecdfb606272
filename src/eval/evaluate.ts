/**
 * One evaluation run from start to end, the I/O edge of src/eval: read the question set, open the services
 * (reader mode: the reader only; open mode: a fresh store, SQLite in a temporary folder or an Elasticsearch
 * index under a fresh prefix, dropped afterwards), run, score, and store the run with its report.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import { BadInputError } from '../errors.js';
import { readJsonFile } from '../reader/model-folder.js';
import type { Reader } from '../reader/types.js';
import { openScratchServices, openServices } from '../services.js';
import { datasetInfo, goldSquadFile, parseDataset, selectQuestions } from './dataset.js';
import { renderReport } from './report.js';
import {
  assembleResult,
  officialFiles,
  type EvalMode,
  type EvalResult,
  type EvalSettings,
  type IngestSummary,
  type ModelSummary,
} from './result.js';
import { CANDIDATES_SCHEMA } from './calibration.js';
import { FEATURE_NAMES } from '../qa/confidence.js';
import { trainingDataWarnings } from './leakage.js';
import { checkReaderModeInput, ingestCorpus, ingestSquadArticles, runOpenMode, runReaderMode, type Progress } from './runner.js';
import { newRunId, saveRun, type RunFiles } from './runs.js';

export interface EvaluationOptions {
  mode: EvalMode;
  /** SQuAD JSON or JSONL question set. */
  dataset: string;
  /** Open mode: a folder of documents to ingest instead of the SQuAD contexts (required for JSONL). */
  corpus?: string;
  limit?: number;
  seed?: number;
  /** Open mode: passages retrieved and read per question (default: config retrieverTopK). */
  topK?: number;
  /** Questions in flight at once (default 1: latencies are then per question, undisturbed). */
  concurrency?: number;
  /** Store the run under ${dataDir}/eval/runs (default true). */
  save?: boolean;
  /** Open mode: keep the temporary index (SQLite folder / Elasticsearch indices) instead of deleting it. */
  keepIndex?: boolean;
  /** Open mode: write every question's candidates with their features here (JSONL, for `docqa eval calibrate`). */
  candidatesFile?: string;
  onProgress?: Progress;
  /** Status lines (ingesting, where the index is). */
  log?: (line: string) => void;
  now?: Date;
}

export interface EvaluationOutput {
  result: EvalResult;
  files: RunFiles;
  /** The run's folder, null when not saved. */
  dir: string | null;
}

export async function modelSummary(reader: Reader): Promise<ModelSummary> {
  const m = reader.model;
  const manifest = (await readJsonFile(m.dir, 'manifest.json', true).catch(() => undefined)) ?? null;
  return { name: m.name, version: m.version, sha256: m.sha256 ?? null, file: m.file, dir: m.dir, manifest };
}

async function readDatasetFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadInputError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : String(err)}`, 'dataset');
  }
}

export async function runEvaluation(config: Config, options: EvaluationOptions): Promise<EvaluationOutput> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const bytes = await readDatasetFile(options.dataset);
  const dataset = parseDataset(bytes.toString('utf8'), options.dataset);
  const selected = selectQuestions(dataset.questions, { limit: options.limit, seed: options.seed });
  const info = datasetInfo(options.dataset, bytes, dataset, selected, { limit: options.limit, seed: options.seed });
  const id = newRunId(options.mode, options.now);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  if (options.mode === 'reader') checkReaderModeInput(dataset, selected, options.dataset);
  if (options.mode === 'open' && dataset.format === 'jsonl' && !options.corpus) {
    throw new BadInputError(`${options.dataset}: open mode over JSONL questions needs --corpus <dir> (the documents to ask)`, 'corpus');
  }

  // open mode asks a fresh store (SQLite in a temporary folder or an Elasticsearch index under a fresh prefix)
  const services =
    options.mode === 'open'
      ? await openScratchServices(config, `eval-${id}`, { keep: options.keepIndex, onWarning: log })
      : await openServices(config, { initStore: false });
  if ('location' in services) log(`indexing into a fresh ${services.location}`);
  let output: Omit<EvaluationOutput, 'dir'>;
  try {
    const reader = await services.reader();
    const threshold = await services.noAnswerThreshold();
    const model = await modelSummary(reader);
    const warnings = trainingDataWarnings(model.manifest, info.sha256, dataset);
    for (const w of warnings) log(`WARNING: ${w}`);
    const read = services.readOptions;
    let ingest: IngestSummary | null = null;
    let run;
    let topK: number | null = null;
    let minConfidence: number | null = null;
    let calibrated: boolean | null = null;
    if (options.mode === 'reader') {
      run = await runReaderMode(reader, dataset, selected, { threshold: threshold.value, read, concurrency, onProgress: options.onProgress });
    } else {
      ingest = options.corpus
        ? await ingestCorpus(services.ingestor, options.corpus)
        : await ingestSquadArticles(services.ingestor, dataset);
      log(`ingested ${ingest.documents} documents (${ingest.passages} passages) in ${ingest.seconds.toFixed(1)} s` + (ingest.failed ? `, ${ingest.failed} failed` : ''));
      if (ingest.documents === 0) throw new BadInputError(`nothing could be ingested from ${options.corpus ?? options.dataset}`, 'corpus');
      topK = options.topK ?? config.retrieverTopK;
      const pipeline = await services.pipeline();
      minConfidence = pipeline.minConfidence;
      calibrated = pipeline.calibrated;
      // the candidates file is written as questions are answered: a long run stopped midway keeps what it did
      const candidates = options.candidatesFile ? createWriteStream(options.candidatesFile) : null;
      const model = { name: reader.model.name, version: reader.model.version, file: reader.model.file, sha256: reader.model.sha256 ?? null };
      candidates?.write(JSON.stringify({ candidates: CANDIDATES_SCHEMA, features: FEATURE_NAMES, dataset: info, model, topK }) + '\n');
      try {
        run = await runOpenMode(pipeline, selected, {
          topK,
          concurrency,
          onProgress: options.onProgress,
          onCandidates: candidates ? (r) => candidates.write(JSON.stringify(r) + '\n') : undefined,
        });
      } finally {
        if (candidates) await new Promise<void>((resolve, reject) => candidates.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
      if (options.candidatesFile) log(`wrote the candidates of ${selected.length} questions to ${options.candidatesFile}`);
    }
    const settings: EvalSettings = {
      store: options.mode === 'open' ? config.store : null,
      topK,
      noAnswerThreshold: threshold.value,
      thresholdSource: threshold.source,
      minConfidence,
      calibrated,
      read,
      concurrency,
      corpus: options.corpus ? path.resolve(options.corpus) : null,
      passageWords: options.mode === 'open' ? config.passageWords : null,
      passageOverlap: options.mode === 'open' ? config.passageOverlap : null,
      ranking: options.mode === 'open' ? { ranking: config.answerRanking, retrieverWeight: config.retrieverWeight } : null,
    };
    const result = assembleResult(
      {
        id,
        createdAt: (options.now ?? new Date()).toISOString(),
        mode: options.mode,
        model,
        warnings,
        dataset: info,
        settings,
        wallSeconds: run.wallSeconds,
        durationSeconds: (performance.now() - started) / 1000,
        ingest,
      },
      run.outcomes,
    );
    const official = officialFiles(result);
    output = {
      result,
      files: {
        predictions: official.predictions,
        naProbs: official.naProbs,
        bestSpans: official.bestSpans,
        gold: goldSquadFile(dataset, selected),
        html: renderReport(result),
      },
    };
  } finally {
    await services.close();
    if ('location' in services && options.keepIndex) log(`kept the index (${services.location})`);
  }
  const dir = options.save === false ? null : await saveRun(config.dataDir, output.result, output.files);
  return { ...output, dir };
}
