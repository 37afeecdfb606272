import { Router } from 'express';
import type { MonitorService } from '../../monitor/service.js';
import { requireScope } from '../auth.js';

/**
 * GET /v1/monitor (scope admin): the drift of the monitor's sliding window against its baseline, per feature (PSI,
 * KS, status, window and baseline sizes and means, where the baseline came from).
 */
export function monitorRoutes(monitor: MonitorService): Router {
  const router = Router();
  router.get('/v1/monitor', requireScope('admin'), async (_req, res) => {
    res.json(await monitor.report());
  });
  return router;
}
