import { Router } from 'express';
import type { MonitorService } from '../../monitor/service.js';
import { requireScope } from '../auth.js';
import type { ApiOperations } from '../openapi.js';
import { monitorReplySchema } from '../replies.js';

export const monitorOperations: ApiOperations = (api) => {
  api.operation({
    method: 'get',
    path: '/v1/monitor',
    operationId: 'monitor',
    auth: '`admin`',
    tags: ['operations'],
    summary: 'Drift of the recent questions and answers against the baseline (PSI, KS per feature)',
    responses: { 200: api.json('The drift report', api.schema('MonitorReply', monitorReplySchema)), ...api.errors(503) },
  });
};

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
