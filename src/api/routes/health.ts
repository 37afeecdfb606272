import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import type { DocumentStore } from '../../store/store.js';
import type { Reader } from '../../reader/types.js';
import { requireScope } from '../auth.js';
import type { ApiOperations } from '../openapi.js';
import { healthReplySchema, readyReplySchema } from '../replies.js';

export const healthOperations: ApiOperations = (api) => {
  api.operation({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tags: ['operations'],
    summary: 'Liveness',
    responses: { 200: api.json('The process is up', healthReplySchema) },
  });
  api.operation({
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    tags: ['operations'],
    summary: 'Readiness: the model is loaded and the store reachable',
    responses: {
      200: api.json('Ready', api.schema('ReadyReply', readyReplySchema)),
      503: api.json('Not ready (the checks say what is missing)', readyReplySchema),
    },
  });
  api.operation({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    auth: '`admin` (only with DOCQA_METRICS_AUTH=admin)',
    tags: ['operations'],
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
  });
};

export function healthRoutes(store: DocumentStore, reader: Reader, metrics: Metrics, options: { metricsAuth: 'open' | 'admin' }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const storeOk = await store.ping();
    const checks = {
      store: { ok: storeOk, kind: store.kind },
      model: { ok: true, name: reader.model.name, version: reader.model.version },
    };
    res.status(storeOk ? 200 : 503).json({ status: storeOk ? 'ready' : 'not ready', checks });
  });
  const metricsGuard = options.metricsAuth === 'admin' ? [requireScope('admin')] : [];
  router.get('/metrics', ...metricsGuard, async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
