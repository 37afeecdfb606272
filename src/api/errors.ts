import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import { BadInputError, DocqaError, NotFoundError, TooLargeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../observability/logger.js';

const STATUS: Record<ErrorCode, number> = {
  bad_input: 400,
  unauthorized: 401,
  not_found: 404,
  too_large: 413,
  unsupported_media_type: 415,
  config: 500,
  internal: 500,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** Any thrown value → a DocqaError: zod issues and body-parser failures become bad input. */
export function toDocqaError(err: unknown): DocqaError {
  if (err instanceof DocqaError) return err;
  if (err instanceof z.ZodError) {
    const issue = err.issues[0]!;
    const field = issue.path.join('.');
    return new BadInputError(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
  }
  const e = err as { type?: string; status?: number; message?: string; limit?: number };
  if (e?.type === 'entity.parse.failed') return new BadInputError(`request body is not valid JSON: ${e.message}`, 'body');
  if (e?.type === 'entity.too.large') return new TooLargeError('request body is too large', e.limit);
  if (e?.status === 404) return new NotFoundError(e.message ?? 'not found');
  if (e?.status === 400) return new BadInputError(e.message ?? 'bad request', 'body');
  return new DocqaError('internal', 'internal error', undefined, { cause: err });
}

export function httpStatus(err: DocqaError): number {
  return STATUS[err.code];
}

/** The one place errors become HTTP replies. Replies never carry stack traces; 5xx details go to the log. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const mapped = toDocqaError(err);
    const status = httpStatus(mapped);
    if (status >= 500) logger.error({ err, route: req.originalUrl }, mapped.message);
    else logger.debug({ code: mapped.code, route: req.originalUrl }, mapped.message);
    res.locals.errorCode = mapped.code;
    const field = typeof mapped.details?.field === 'string' ? mapped.details.field : undefined;
    const body: ErrorBody = { error: { code: mapped.code, message: mapped.message, ...(field ? { field } : {}) } };
    res.status(status).json(body);
  };
}
