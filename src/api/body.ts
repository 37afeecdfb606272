import express, { type Request, type RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../errors.js';

/** Whether the request carries a body (a Content-Length above 0 or a chunked body). */
export function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

const isJson = (req: Request) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/iu.test(req.headers['content-type'] ?? '');

/**
 * A route's JSON body, parsed after its requireScope: at most `limitBytes` after decompression (gzip, deflate and br
 * are inflated only up to the limit, then 413), UTF-8 only (another charset: 415), any other Content-Encoding: 415,
 * and a body that is not JSON (form-encoded, text): 415. No body leaves req.body undefined.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, type: () => true });
  return (req, res, next) => {
    if (!hasBody(req)) return next();
    if (!isJson(req)) {
      return next(new UnsupportedMediaTypeError(`send the body as application/json (got ${req.headers['content-type'] ?? 'no content type'})`));
    }
    parse(req, res, next);
  };
}
