import type { Config } from './config.js';
import { Ingestor } from './ingest/ingestor.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { QaPipeline } from './qa/pipeline.js';
import { loadReader } from './reader/index.js';
import type { Reader } from './reader/types.js';
import { createStore } from './store/factory.js';
import type { DocumentStore } from './store/store.js';

/** The composition root: every long-lived part of docqa, built from one config. */
export interface Services {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  store: DocumentStore;
  ingestor: Ingestor;
  /** Loaded on first use by commands that do not read (ingest), eagerly by serve. */
  reader(): Promise<Reader>;
  pipeline(): Promise<QaPipeline>;
  close(): Promise<void>;
}

export async function openServices(
  config: Config,
  options: { logger?: Logger; metrics?: Metrics; initStore?: boolean } = {},
): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = options.metrics ?? new Metrics();
  const store = createStore(config);
  if (options.initStore ?? true) await store.init();
  const ingestor = Ingestor.fromConfig(store, config);
  let reader: Promise<Reader> | undefined;
  let pipeline: Promise<QaPipeline> | undefined;
  const getReader = () =>
    (reader ??= loadReader({
      modelDir: config.modelDir,
      modelFile: config.modelFile,
      executionProvider: config.executionProvider,
      threads: config.threads,
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
          read: {
            maxSeqLength: config.maxSeqLength,
            docStride: config.docStride,
            maxQuestionLength: config.maxQuestionLength,
            maxAnswerLength: config.maxAnswerLength,
            batchSize: config.readerBatchSize,
          },
        }),
    ));
  return {
    config,
    logger,
    metrics,
    store,
    ingestor,
    reader: getReader,
    pipeline: getPipeline,
    async close() {
      if (reader) await (await reader).close();
      await ingestor.close();
      await store.close();
    },
  };
}
