import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import type { DocumentStore } from '../../store/store.js';
import type { Reader } from '../../reader/types.js';
import { requireScope } from '../auth.js';

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
