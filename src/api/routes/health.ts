import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import type { DocumentStore } from '../../store/store.js';
import type { Reader } from '../../reader/types.js';

export function healthRoutes(store: DocumentStore, reader: Reader, metrics: Metrics): Router {
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
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
