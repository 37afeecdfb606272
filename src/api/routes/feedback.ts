import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import type { AskRecorder } from '../../querylog/recorder.js';
import { requireScope } from '../auth.js';
import { jsonBody } from '../body.js';
import type { ApiOperations } from '../openapi.js';
import { feedbackReplySchema } from '../replies.js';
import { feedbackSchema } from '../schemas.js';
import { validate } from '../validate.js';

export const feedbackOperations: ApiOperations = (api) => {
  const reply = api.schema('FeedbackReply', feedbackReplySchema);
  api.operation({
    method: 'post',
    path: '/v1/feedback',
    operationId: 'feedback',
    auth: '`ask`',
    tags: ['ask'],
    summary: "A user's verdict on an ask (needs the query log, DOCQA_QUERY_LOG, on by default)",
    description:
      'One verdict per ask: the first answers 201, a later one replaces it and answers 200. `answerIndex` is the ' +
      "judged answer's index in the ask reply; without it the verdict is on the first answer, or, where docqa chose " +
      '"no answer" (or found no candidate), on that decision. 404 for an ask the query log does not have.',
    request: { body: { required: true, content: { 'application/json': { schema: api.schema('FeedbackRequest', feedbackSchema) } } } },
    responses: {
      200: api.json('Replaced the earlier feedback', reply),
      201: api.json('Recorded', reply),
      ...api.errors(400, 404, 413, 415, 503),
    },
  });
};

/**
 * POST /v1/feedback {askId, verdict, answerIndex?, correctAnswer?, comment?}: a user's verdict on an ask. One per
 * ask: the first post answers 201 (status 'created'), a later one replaces it and answers 200 (status 'replaced').
 * 404 for an ask id the log does not have (never recorded, or deleted by the retention).
 */
export function feedbackRoutes(recorder: AskRecorder, metrics: Metrics, limits: { maxJsonBytes: number }): Router {
  const router = Router();
  router.post('/v1/feedback', requireScope('ask'), jsonBody(limits.maxJsonBytes), async (req, res) => {
    const input = validate(feedbackSchema, req.body ?? {}, 'body');
    const outcome = await recorder.feedback(input);
    metrics.feedbackReceived.inc({ verdict: outcome.feedback.verdict });
    res.status(outcome.status === 'created' ? 201 : 200).json(outcome);
  });
  return router;
}
