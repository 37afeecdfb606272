import { Router } from 'express';
import type { Logger } from '../../observability/logger.js';
import type { MonitorService } from '../../monitor/service.js';
import type { Metrics } from '../../observability/metrics.js';
import type { QaPipeline } from '../../qa/pipeline.js';
import { BadInputError } from '../../errors.js';
import type { AskRecorder } from '../../querylog/recorder.js';
import type { Admission } from '../admission.js';
import { requireScope } from '../auth.js';
import { jsonBody } from '../body.js';
import type { ApiOperations } from '../openapi.js';
import { askReplySchema } from '../replies.js';
import { askSchema } from '../schemas.js';
import { validate } from '../validate.js';

export const askOperations: ApiOperations = (api) => {
  api.operation({
    method: 'post',
    path: '/v1/ask',
    operationId: 'ask',
    auth: '`ask`',
    tags: ['ask'],
    summary: 'Ask a question of the stored documents',
    description:
      'Retrieves passages (BM25), reads them with the extractive reader and returns the answers ordered by confidence, ' +
      'each traced to the exact characters and page of its document. `noAnswer.chosen` is true (with the reason in ' +
      'words) when no answer reaches the minimum confidence; the answers are then only candidates.',
    request: { body: { required: true, content: { 'application/json': { schema: api.schema('AskRequest', askSchema) } } } },
    responses: {
      200: api.json('The answers and the no-answer decision', api.schema('AskReply', askReplySchema)),
      ...api.errors(400, 401, 413, 415, 503),
    },
  });
};

/**
 * POST /v1/ask. Every reply carries the ask's `id` (also as X-Request-Id), under which the query log records it
 * (when DOCQA_QUERY_LOG is on) and POST /v1/feedback takes a verdict on it. A failing log does not fail the ask.
 */
export function askRoutes(
  pipeline: QaPipeline,
  metrics: Metrics,
  recorder: AskRecorder | null,
  logger: Logger,
  limits: { maxAskBytes: number; maxRequestRetrieverTopK: number; admission: Admission },
  monitor?: MonitorService,
): Router {
  const router = Router();
  router.post('/v1/ask', requireScope('ask'), jsonBody(limits.maxAskBytes), limits.admission.middleware(), async (req, res) => {
    const request = validate(askSchema, req.body ?? {}, 'body');
    if ((request.retrieverTopK ?? 0) > limits.maxRequestRetrieverTopK) {
      throw new BadInputError(
        `retrieverTopK: at most ${limits.maxRequestRetrieverTopK} on this server (DOCQA_MAX_REQUEST_RETRIEVER_TOP_K)`,
        'retrieverTopK',
      );
    }
    res.locals.question = request.question; // in the access log only with DOCQA_ACCESS_LOG_QUESTIONS
    const result = await pipeline.ask(request);
    metrics.observeAsk(result);
    monitor?.observeAsk(result);
    // the request id (src/api/request-id.ts: the client's X-Request-Id when sane, else a UUID) is the ask's id
    let id = res.locals.requestId as string;
    if (recorder) {
      try {
        id = (await recorder.record(id, request, result, pipeline.reader.model.sha256 ?? null)).id;
      } catch (err) {
        metrics.queryLogFailures.inc();
        logger.warn({ err, askId: id }, 'the ask was answered but not recorded in the query log');
      }
    }
    res.set('X-Request-Id', id);
    res.json({ id, ...result });
  });
  return router;
}
