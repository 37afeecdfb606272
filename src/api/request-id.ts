import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** A client's X-Request-Id is kept when it is 1-128 characters of letters, digits and `._:@/+=-`; else a new one. */
const SANE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/u;

export function isSaneRequestId(id: string | undefined): id is string {
  return id !== undefined && SANE_ID.test(id);
}

/**
 * Every request gets an id: the client's X-Request-Id when sane, else a random UUID. It is echoed as X-Request-Id,
 * kept in res.locals.requestId (the access log, error replies and the query log use it).
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = isSaneRequestId(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  };
}
