import express, { type Express, type RequestHandler } from 'express';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Keyring } from '../keys/keyring.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { MonitorService } from '../monitor/service.js';
import type { QaPipeline } from '../qa/pipeline.js';
import type { AskRecorder } from '../querylog/recorder.js';
import type { Reader } from '../reader/types.js';
import type { DocumentStore } from '../store/store.js';
import { accessLog } from './access-log.js';
import { authenticate, requireKeyFirst } from './auth.js';
import { errorHandler } from './errors.js';
import { Admission } from './admission.js';
import { corsPolicy, openModeGuard, rateLimitPerKey, securityHeaders } from './guards.js';
import { notFoundOrMethodNotAllowed } from './methods.js';
import { requestId } from './request-id.js';
import { askRoutes } from './routes/ask.js';
import { apiDocument } from './operations.js';
import { docsRoutes } from './routes/docs.js';
import { documentRoutes } from './routes/documents.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import { monitorRoutes } from './routes/monitor.js';
import { webRoutes } from './routes/web.js';

/** The HTTP settings the app uses (from src/config.ts). */
export type HttpSettings = Pick<
  Config,
  | 'maxUploadBytes'
  | 'maxAskBytes'
  | 'maxJsonBytes'
  | 'metricsAuth'
  | 'accessLogQuestions'
  | 'rateLimitPerMinute'
  | 'maxConcurrentAsks'
  | 'maxQueuedAsks'
  | 'maxRequestRetrieverTopK'
  | 'corsOrigins'
  | 'allowedHosts'
>;

/** What the routes use, each given by the composition root (src/services.ts: Services.httpApp). */
export interface AppDeps {
  pipeline: QaPipeline;
  store: DocumentStore;
  reader: Reader;
  ingestor: Ingestor;
  metrics: Metrics;
  /** The drift monitor (fed by asks and uploads; GET /v1/monitor); absent in apps built without one. */
  monitor?: MonitorService;
  logger: Logger;
  /** DOCQA_API_KEYS and the stored keys (`docqa keys`); open when none is configured. */
  keyring: Keyring;
  http: HttpSettings;
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

/**
 * Builds the HTTP app without listening, so tests can call it in-process. Order matters: request id and access
 * log first; the key is verified before any body is read; each route checks its scope (requireScope) and only then
 * parses its body with its own limit.
 */
export function buildApp(deps: AppDeps): Express {
  const { pipeline, store, reader, ingestor, metrics, logger, http } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId());
  app.use(accessLog(logger, { logQuestions: http.accessLogQuestions }));
  app.use(measure(metrics));
  app.use(securityHeaders());
  app.use(corsPolicy(http.corsOrigins));
  // while `serve` drains (SIGTERM), replies close their connection so keep-alive clients go away
  app.use((_req, res, next) => {
    if (app.locals.draining) res.set('Connection', 'close');
    next();
  });
  app.use(authenticate(deps.keyring));
  app.use(openModeGuard(http));
  app.use(rateLimitPerKey(http.rateLimitPerMinute));
  // in keys mode, /v1 and any body need a verified key first; the routes that take a body parse it themselves, after
  // their scope check, with their own limit; the others never parse one (a body sent to GET /healthz is ignored)
  app.use(requireKeyFirst());
  app.use(healthRoutes(store, reader, metrics, { metricsAuth: http.metricsAuth }));
  app.use(docsRoutes(apiDocument()), webRoutes());
  const admission = new Admission(http.maxConcurrentAsks, http.maxQueuedAsks);
  app.locals.admission = admission;
  app.use(askRoutes(pipeline, metrics, deps.recorder, logger, { ...http, admission }, deps.monitor));
  if (deps.recorder) app.use(feedbackRoutes(deps.recorder, metrics, { maxJsonBytes: http.maxJsonBytes }));
  app.use(documentRoutes({ store, ingestor, metrics, monitor: deps.monitor, maxUploadBytes: http.maxUploadBytes }));
  if (deps.monitor) app.use(monitorRoutes(deps.monitor));
  app.use(notFoundOrMethodNotAllowed(app));
  app.use(errorHandler(logger));
  return app;
}
