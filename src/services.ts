/**
 * The composition root: every long-lived part of docqa is built here from one config, and nowhere else. Commands,
 * the HTTP app and evaluation take their parts from Services.
 */
import type { Express } from 'express';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from './api/app.js';
import { DEFAULT_NO_ANSWER_THRESHOLD, type Config } from './config.js';
import { errorMessage } from './errors.js';
import { loadEvalGaugeRows } from './eval/gauges.js';
import { Ingestor } from './ingest/ingestor.js';
import { combineKeyrings, envKeyring } from './keys/keyring.js';
import { KeyStore, storedKeyring } from './keys/store.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { MonitorService } from './monitor/service.js';
import { QaPipeline } from './qa/pipeline.js';
import { queryLogFigures } from './querylog/precision.js';
import { createQueryLog, retentionOf } from './querylog/factory.js';
import { AskRecorder } from './querylog/recorder.js';
import type { QueryLog } from './querylog/store.js';
import { openReader } from './reader/index.js';
import type { ReadOptions, Reader } from './reader/types.js';
import { createStore } from './store/factory.js';
import type { DocumentStore } from './store/store.js';

/** Reader-mode evaluation's no-answer threshold, and where it came from. */
export interface NoAnswerThreshold {
  value: number;
  source: 'flag or DOCQA_NO_ANSWER_THRESHOLD' | 'model manifest' | 'default';
}

export interface Services {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  store: DocumentStore;
  ingestor: Ingestor;
  /** The drift monitor: asks and ingests are logged to <data-dir>/monitor and compared with its baseline. */
  monitor: MonitorService;
  /** The scoped API keys (`docqa keys`), hashed in <dataDir>/keys.sqlite whichever document store is used. */
  keys: KeyStore;
  /** How the reader reads (window length, stride, answer length, batch size): the pipeline's and eval's. */
  readOptions: Partial<ReadOptions>;
  /** Loaded on first use by commands that do not read (ingest), eagerly by serve. */
  reader(): Promise<Reader>;
  pipeline(): Promise<QaPipeline>;
  /** The config's DOCQA_NO_ANSWER_THRESHOLD, else the model manifest's, else DEFAULT_NO_ANSWER_THRESHOLD. */
  noAnswerThreshold(): Promise<NoAnswerThreshold>;
  /** The query log (SQLite file or Elasticsearch index, by DOCQA_STORE), opened on first use. */
  queryLog(): Promise<QueryLog>;
  /** Records asks and feedback in the query log with the configured privacy and retention. */
  recorder(): Promise<AskRecorder>;
  /** The HTTP app (not listening), its /metrics with the store counts and the latest eval scores. Built once. */
  httpApp(): Promise<Express>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  logger?: Logger;
  metrics?: Metrics;
  /** Create the store's schema/indices and check it is reachable now (default true). */
  initStore?: boolean;
}

export function readOptionsOf(config: Config): Partial<ReadOptions> {
  return {
    maxSeqLength: config.maxSeqLength,
    docStride: config.docStride,
    maxQuestionLength: config.maxQuestionLength,
    maxAnswerLength: config.maxAnswerLength,
    batchSize: config.readerBatchSize,
  };
}

/** The drift monitor over the config's data dir (also used alone by `docqa monitor`, which needs no store or model). */
export function openMonitor(config: Config, onError?: (message: string) => void): MonitorService {
  return new MonitorService(
    config.dataDir,
    { windowSize: config.monitorWindow, minValues: config.monitorMinValues, retain: config.monitorRetain },
    onError,
  );
}

export async function openServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = options.metrics ?? new Metrics();
  const store = createStore(config);
  if (options.initStore ?? true) await store.init();
  const ingestor = Ingestor.fromConfig(store, config);
  const keyStore = KeyStore.inDataDir(config.dataDir);
  const readOptions = readOptionsOf(config);
  const monitor = openMonitor(config, (message) => logger.warn(message));
  let reader: Promise<Reader> | undefined;
  let pipeline: Promise<QaPipeline> | undefined;
  let app: Promise<Express> | undefined;
  let queryLog: Promise<QueryLog> | undefined;
  let recorder: Promise<AskRecorder> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  const getQueryLog = () =>
    (queryLog ??= (async () => {
      const log = createQueryLog(config);
      await log.init();
      return log;
    })());
  const getRecorder = () =>
    (recorder ??= getQueryLog().then(
      (log) => new AskRecorder(log, { logQuestions: config.logQuestions, retention: retentionOf(config) }),
    ));
  const getReader = () =>
    (reader ??= openReader({
      modelDir: config.modelDir,
      modelFile: config.modelFile,
      executionProvider: config.executionProvider,
      threads: config.threads,
      workers: config.readerWorkers,
      nice: config.readerNice,
      batchWaitMs: config.readerBatchWaitMs,
      maxBatch: config.readerBatchSize,
    }).then((r) => {
      metrics.modelInfo.set({ name: r.model.name, version: r.model.version }, 1);
      return r;
    }));
  const getPipeline = () =>
    (pipeline ??= getReader().then(
      (r) =>
        new QaPipeline(store, r, {
          retrieverTopK: config.retrieverTopK,
          answerTopK: config.answerTopK,
          ranking: { ranking: config.answerRanking, retrieverWeight: config.retrieverWeight },
          calibrator: r.model.calibrator,
          minConfidence: config.minConfidence,
          contextChars: config.contextChars,
          read: readOptions,
        }),
    ));
  const getApp = () =>
    (app ??= (async () => {
      const [r, p] = await Promise.all([getReader(), getPipeline()]);
      // cached: a scrape never fails, nor hangs, while the store is down (the last good counts, with their age)
      metrics.trackStoreCounts(() => store.counts());
      // latest `docqa eval` scores per model version (docqa_eval_*), read from <data-dir>/eval/runs at scrape time
      metrics.trackEvalScores(() => loadEvalGaugeRows(config.dataDir));
      let rec: AskRecorder | null = null;
      // a query log that cannot be opened (a read-only data folder) must not stop the service from answering
      if (config.queryLog) {
        rec = await getRecorder().catch((err: unknown) => {
          logger.warn({ err: errorMessage(err) }, 'the query log is unavailable: asks are answered but not logged');
          return null;
        });
      }
      if (rec) {
        const log = rec.log;
        // rolling precision from feedback (docqa_feedback_*) and the records kept, read from the log at scrape time
        // (so they survive restarts); a failing or slow log leaves the last good figures
        metrics.trackQueryLog(() => queryLogFigures(log, new Date()));
        const prune = (r: AskRecorder) =>
          r.prune().then(
            (n) => n > 0 && logger.info({ deleted: n }, 'query log retention: deleted old records'),
            (err: unknown) => logger.warn({ err }, 'query log retention failed'),
          );
        await prune(rec);
        pruneTimer = setInterval(() => void prune(rec!), config.queryLogPruneIntervalMs);
        pruneTimer.unref();
      }
      // drift of the monitor's sliding window against its baseline (docqa_drift_*), computed at scrape time
      metrics.trackDrift(() => monitor.report());
      // what /readyz says, for the availability alert: 0 when the store does not answer its ping within a second
      metrics.gauge('docqa_ready', '1 when docqa is ready (model loaded, store reachable: what /readyz says), else 0', () =>
        Promise.race([store.ping().catch(() => false), new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false).unref())]).then((ok) => (ok ? 1 : 0)),
      );
      return buildApp({
        monitor,
        pipeline: p,
        store,
        reader: r,
        ingestor,
        metrics,
        logger,
        recorder: rec,
        keyring: combineKeyrings(envKeyring(config.apiKeys), storedKeyring(keyStore)),
        http: config,
      });
    })());
  return {
    config,
    logger,
    metrics,
    store,
    ingestor,
    monitor,
    keys: keyStore,
    readOptions,
    reader: getReader,
    pipeline: getPipeline,
    async noAnswerThreshold() {
      if (config.noAnswerThreshold !== undefined) return { value: config.noAnswerThreshold, source: 'flag or DOCQA_NO_ANSWER_THRESHOLD' };
      const model = (await getReader()).model;
      if (model.noAnswerThreshold !== undefined) return { value: model.noAnswerThreshold, source: 'model manifest' };
      return { value: DEFAULT_NO_ANSWER_THRESHOLD, source: 'default' };
    },
    queryLog: getQueryLog,
    recorder: getRecorder,
    httpApp: getApp,
    async close() {
      keyStore.close();
      if (pruneTimer) clearInterval(pruneTimer);
      if (reader) await (await reader).close();
      if (queryLog) await (await queryLog.catch(() => null))?.close();
      await ingestor.close();
      await monitor.flush();
      await store.close();
    },
  };
}

export interface ScratchServices extends Services {
  /** Where the scratch store is, in words (for status lines). */
  location: string;
}

/**
 * Services over a fresh, empty store of the configured kind, for a run that must not touch the real one (eval's open
 * mode): SQLite in a new temporary folder, or Elasticsearch under the index prefix `<esIndex>-<name>` on the same
 * server. close() drops that store (and the folder) unless `keep`; a failed drop is reported to `onWarning`.
 */
export async function openScratchServices(
  config: Config,
  name: string,
  options: ServiceOptions & { keep?: boolean; onWarning?: (message: string) => void } = {},
): Promise<ScratchServices> {
  let scratch: Config;
  let location: string;
  let tempDir: string | null = null;
  if (config.store === 'elasticsearch') {
    scratch = { ...config, esIndex: `${config.esIndex}-${name.toLowerCase()}` };
    location = `Elasticsearch index prefix ${scratch.esIndex} at ${config.esUrl}`;
  } else {
    tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'docqa-scratch-'));
    scratch = { ...config, dataDir: tempDir };
    location = `SQLite store in ${tempDir}`;
  }
  const removeTemp = async () => {
    if (tempDir && !options.keep) await fs.rm(tempDir, { recursive: true, force: true });
  };
  let services: Services;
  try {
    services = await openServices(scratch, options);
  } catch (err) {
    await removeTemp();
    throw err;
  }
  const close = services.close;
  return Object.assign(services, {
    location,
    async close() {
      if (!options.keep) {
        await services.store.drop().catch((err: unknown) => options.onWarning?.(`could not drop the ${location}: ${errorMessage(err)}`));
      }
      await close();
      await removeTemp();
    },
  });
}
