import express, { type Express, type RequestHandler } from 'express';
import { performance } from 'node:perf_hooks';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { QaPipeline } from '../qa/pipeline.js';
import type { AskRecorder } from '../querylog/recorder.js';
import type { Reader } from '../reader/types.js';
import type { DocumentStore } from '../store/store.js';
import { requireApiKey } from './auth.js';
import { errorHandler } from './errors.js';
import { askRoutes } from './routes/ask.js';
import { documentRoutes } from './routes/documents.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';

/** What the routes use, each given by the composition root (src/services.ts: Services.httpApp). */
export interface AppDeps {
  pipeline: QaPipeline;
  store: DocumentStore;
  reader: Reader;
  ingestor: Ingestor;
  metrics: Metrics;
  logger: Logger;
  apiKeys: string[];
  maxUploadBytes: number;
  /** The query log's recorder; null when DOCQA_QUERY_LOG=false (asks are then not recorded, and there is no feedback route). */
  recorder: AskRecorder | null;
}

/** Request count, latency and errors per route template (never per raw URL, to keep label sets bounded). */
function measure(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - start) / 1000);
      if (res.statusCode >= 400) {
        metrics.httpErrors.inc({ route, status: labels.status, code: String(res.locals.errorCode ?? 'unknown') });
      }
    });
    next();
  };
}

/** Builds the HTTP app without listening, so tests can call it in-process. */
export function buildApp(deps: AppDeps): Express {
  const { pipeline, store, reader, ingestor, metrics, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(measure(metrics));
  app.use(express.json({ limit: deps.maxUploadBytes }));
  app.use(healthRoutes(store, reader, metrics));
  app.use('/v1', requireApiKey(deps.apiKeys));
  app.use(askRoutes(pipeline, metrics, deps.recorder, logger));
  if (deps.recorder) app.use(feedbackRoutes(deps.recorder, metrics));
  app.use(documentRoutes({ store, ingestor, metrics, maxUploadBytes: deps.maxUploadBytes }));
  app.use((req, _res, next) => {
    next(Object.assign(new Error(`no route for ${req.method} ${req.path}`), { status: 404 }));
  });
  app.use(errorHandler(logger));
  return app;
}
