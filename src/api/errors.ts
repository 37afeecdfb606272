import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import {
  BadInputError,
  DocqaError,
  MethodNotAllowedError,
  NotFoundError,
  RateLimitedError,
  TooLargeError,
  UnsupportedMediaTypeError,
  type ErrorCode,
} from '../errors.js';
import type { Logger } from '../observability/logger.js';

const STATUS: Record<ErrorCode, number> = {
  bad_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  insufficient_storage: 507,
  config: 500,
  internal: 500,
  unavailable: 503,
};

/** Every error code a reply can carry (the OpenAPI document's enum). */
export const ERROR_CODES = Object.keys(STATUS) as [ErrorCode, ...ErrorCode[]];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; requestId?: string };
}

/**
 * The field a zod issue is about: its path, plus the unknown key of an `unrecognized_keys` issue; an issue about the
 * input as a whole (a body that is an array, a rule across fields) names `whole` (`body`, `query`, a parameter).
 */
function issueField(issue: z.core.$ZodIssue, whole: string): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!);
  return path.join('.') || whole;
}

/**
 * Any thrown value → a DocqaError: zod issues (400 naming the field; `whole` names the input when the issue is about
 * all of it) and body-parser/raw-body failures become 4xx by their kind.
 */
export function toDocqaError(err: unknown, whole = 'body'): DocqaError {
  if (err instanceof DocqaError) return err;
  if (err instanceof z.ZodError) {
    const issue = err.issues[0]!;
    const field = issueField(issue, whole);
    return new BadInputError(`${issue.path.map(String).join('.') || whole}: ${issue.message}`, field);
  }
  const e = err as { type?: string; status?: number; message?: string; limit?: number; charset?: string; encoding?: string };
  if (e?.type === 'entity.parse.failed') return new BadInputError(`request body is not valid JSON: ${e.message}`, 'body');
  if (e?.type === 'entity.too.large' || e?.status === 413) return new TooLargeError('request body is too large', e.limit);
  if (e?.type === 'charset.unsupported') return new UnsupportedMediaTypeError(`unsupported charset "${e.charset}" (send UTF-8)`);
  if (e?.type === 'encoding.unsupported') {
    return new UnsupportedMediaTypeError(`unsupported Content-Encoding "${e.encoding}" (identity, gzip, deflate or br)`);
  }
  if (e?.status === 415) return new UnsupportedMediaTypeError(e.message ?? 'unsupported media type');
  // the router could not percent-decode a path parameter (`/v1/documents/%`)
  if (err instanceof URIError && e.status === 400) return new BadInputError(`path: ${err.message} (bad percent-encoding)`, 'path');
  if (e?.status === 404) return new NotFoundError(e.message ?? 'not found');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new BadInputError(e.message ?? 'bad request', 'body'); // request.aborted, request.size.invalid, ...
  }
  return new DocqaError('internal', 'internal error', undefined, { cause: err });
}

export function httpStatus(err: DocqaError): number {
  if (err instanceof RateLimitedError && err.shed) return 503;
  return STATUS[err.code];
}

/** 5xx messages go to clients without internal addresses (an Elasticsearch URL, a data folder): those stay in the log. */
export function publicMessage(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)"',]+/giu, '<internal address>')
    .replace(/(^|[\s("'=])\/(?:[^\s)"',/:]+\/)*[^\s)"',:]*/gu, '$1<internal path>');
}

/** The one place errors become HTTP replies. Replies never carry stack traces; 5xx details go to the log. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const mapped = toDocqaError(err);
    const status = httpStatus(mapped);
    const requestId = typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
    if (status >= 500 && !(mapped instanceof RateLimitedError)) logger.error({ err, requestId, route: req.originalUrl }, mapped.message);
    else logger.debug({ code: mapped.code, requestId, route: req.originalUrl }, mapped.message);
    res.locals.errorCode = mapped.code;
    if (res.headersSent) return void res.end();
    if (mapped instanceof MethodNotAllowedError) res.set('Allow', mapped.allow.join(', '));
    if (mapped instanceof RateLimitedError) res.set('Retry-After', String(mapped.retryAfterSeconds));
    // refused before its body was read (a bad key, a too-large or wrongly typed body): close the connection after
    // the reply, so Node does not go on reading and discarding the rest of the body for keep-alive
    if (!req.complete) res.set('Connection', 'close');
    const field = typeof mapped.details?.field === 'string' ? mapped.details.field : undefined;
    const message = status >= 500 ? publicMessage(mapped.message) : mapped.message;
    const body: ErrorBody = { error: { code: mapped.code, message, ...(field ? { field } : {}), ...(requestId ? { requestId } : {}) } };
    res.status(status).json(body);
  };
}
