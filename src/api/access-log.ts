import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../observability/logger.js';

type Res = ServerResponse & { locals?: Record<string, unknown> };

/** Probes and scrapes are logged at debug, so that info logs hold the traffic. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One structured log line per request (pino-http): request id, method, path and query, status, time, the key's id.
 * Never headers (keys) or bodies; the question text only when `logQuestions` (set as res.locals.question by the
 * ask route).
 */
export function accessLog(logger: Logger, options: { logQuestions: boolean }): RequestHandler {
  const log = pinoHttp({
    logger,
    genReqId: (_req: IncomingMessage, res: Res) => String(res.locals?.requestId ?? ''),
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return QUIET.has((req.url ?? '').split('?')[0]!) ? 'debug' : 'info';
    },
    customProps: (_req, res: Res) => {
      const locals = res.locals ?? {};
      const auth = locals.auth as { principal?: { id: string } } | undefined;
      return {
        ...(auth?.principal ? { key: auth.principal.id } : {}),
        ...(typeof locals.errorCode === 'string' ? { code: locals.errorCode } : {}),
        ...(options.logQuestions && typeof locals.question === 'string' ? { question: locals.question } : {}),
      };
    },
    customSuccessMessage: (req, res) => `${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${(req.url ?? '').split('?')[0]} ${res.statusCode}`,
    quietReqLogger: true,
  });
  return log as unknown as RequestHandler;
}
