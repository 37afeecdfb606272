import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import type { QaPipeline } from '../../qa/pipeline.js';
import { askSchema } from '../schemas.js';

export function askRoutes(pipeline: QaPipeline, metrics: Metrics): Router {
  const router = Router();
  router.post('/v1/ask', async (req, res) => {
    const request = askSchema.parse(req.body ?? {});
    const result = await pipeline.ask(request);
    metrics.observeAsk(result);
    res.json(result);
  });
  return router;
}
