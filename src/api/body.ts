import type { IncomingMessage } from 'node:http';
import express, { type Request, type RequestHandler } from 'express';
import { BadInputError, TooLargeError, UnsupportedMediaTypeError } from '../errors.js';

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

/**
 * A raw body whose size is announced (Content-Length, no Content-Encoding) read straight into one buffer of that
 * size as its chunks arrive; `req.body` is that Buffer. body-parser's raw() collects the chunks and joins them at the
 * end in one Buffer.concat: ~25 ms of event loop for a 45 MB upload. Over `limitBytes`: 413 before anything is read.
 * Other bodies (chunked, compressed, or not `accepts`) are left to the next parser (express.raw), and so are bodies
 * that would take the buffers of the requests in progress past `reserveBytes` in all: a buffer is taken at the size
 * a client announces, before the bytes arrive, so clients that announce big bodies and send them slowly (or never)
 * must not be able to reserve memory without bound.
 */
export function knownLengthBody(limitBytes: number, accepts: (req: IncomingMessage) => boolean, reserveBytes = 2 * limitBytes): RequestHandler {
  let reserved = 0;
  return (req, res, next) => {
    const declared = req.headers['content-length'];
    const length = declared === undefined ? NaN : Number(declared);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (req.readableEnded || !accepts(req) || req.headers['transfer-encoding'] !== undefined || encoding !== 'identity') return next();
    if (!Number.isSafeInteger(length) || length <= 0) return next();
    if (length > limitBytes) return next(new TooLargeError('request body is too large', limitBytes));
    if (reserved + length > reserveBytes) return next();
    reserved += length;
    res.once('close', () => (reserved -= length)); // the buffer is the request's until its response is done
    const body = Buffer.allocUnsafe(length);
    let received = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) return next(err);
      req.body = body;
      next();
    };
    const onData = (chunk: Buffer) => {
      // the HTTP parser never passes more than Content-Length bytes; checked anyway, the buffer is exactly that big
      if (received + chunk.length > length) return finish(new BadInputError('request body is longer than its Content-Length', 'body'));
      chunk.copy(body, received);
      received += chunk.length;
    };
    req.on('data', onData);
    req.once('end', () => finish(received === length ? undefined : new BadInputError(`request body ended after ${received} of ${length} bytes`, 'body')));
    req.once('error', () => finish(new BadInputError('request aborted before its body was complete', 'body')));
    req.once('close', () => {
      if (!req.complete) finish(new BadInputError('request aborted before its body was complete', 'body'));
    });
  };
}
