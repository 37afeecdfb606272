import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import type { AskRecorder } from '../../querylog/recorder.js';
import { requireScope } from '../auth.js';
import { feedbackSchema } from '../schemas.js';

/**
 * POST /v1/feedback {askId, verdict, answerIndex?, correctAnswer?, comment?}: a user's verdict on an ask. One per
 * ask: the first post answers 201 (status 'created'), a later one replaces it and answers 200 (status 'replaced').
 * 404 for an ask id the log does not have (never recorded, or deleted by the retention).
 */
export function feedbackRoutes(recorder: AskRecorder, metrics: Metrics): Router {
  const router = Router();
  router.post('/v1/feedback', requireScope('ask'), async (req, res) => {
    const input = feedbackSchema.parse(req.body ?? {});
    const outcome = await recorder.feedback(input);
    metrics.feedbackReceived.inc({ verdict: outcome.feedback.verdict });
    res.status(outcome.status === 'created' ? 201 : 200).json(outcome);
  });
  return router;
}
