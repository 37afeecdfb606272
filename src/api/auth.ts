import type { RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { hasBody } from './body.js';
import type { Keyring, Principal, Scope } from '../keys/keyring.js';

export type { Scope, Principal };

/** What authentication found, in res.locals.auth: open mode (no keys configured) or the verified key, if any. */
export interface AuthState {
  open: boolean;
  principal?: Principal;
  /** A key was sent but did not verify. */
  badKey: boolean;
}

/** The key a request carries: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function requestKey(header: (name: string) => string | undefined): string | undefined {
  const auth = header('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim() || undefined;
  return header('x-api-key')?.trim() || undefined;
}

export function authOf(res: Response): AuthState {
  return (res.locals.auth as AuthState | undefined) ?? { open: false, badKey: false };
}

/**
 * App-wide, before anything reads a body: verifies the request's key (if any) and records the result in
 * res.locals.auth. It rejects nothing by itself; routes say what they need with requireScope.
 */
export function authenticate(keyring: Keyring): RequestHandler {
  return async (req, res, next) => {
    try {
      const open = keyring.open();
      const key = open ? undefined : requestKey((name) => req.get(name));
      const principal = key === undefined ? undefined : await keyring.verify(key);
      const state: AuthState = { open, principal, badKey: key !== undefined && !principal };
      res.locals.auth = state;
      next();
    } catch (err) {
      next(err); // an unreadable key store fails closed (503), never open
    }
  };
}

/**
 * Mount BEFORE a route's body parser: 401 without a valid key, 403 when the key has none of `scopes`. In open mode
 * (no DOCQA_API_KEYS and no stored keys) everything passes. A DOCQA_API_KEYS key has every scope.
 *
 *   router.post('/v1/feedback', requireScope('ask'), jsonBody(limit), handler)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any params, so a route keeps its own typed params
export function requireScope(...scopes: [Scope, ...Scope[]]): RequestHandler<any> {
  return (_req, res, next) => {
    const auth = authOf(res);
    if (auth.open) return next();
    if (!auth.principal) {
      res.set('WWW-Authenticate', 'Bearer');
      return next(new UnauthorizedError(auth.badKey ? 'invalid API key' : 'missing API key (Authorization: Bearer <key> or X-API-Key)'));
    }
    if (!scopes.some((s) => auth.principal!.scopes.includes(s))) {
      return next(new ForbiddenError(`this key lacks the scope ${scopes.map((s) => `"${s}"`).join(' or ')}`));
    }
    next();
  };
}

/**
 * App-wide, in keys mode, before any body is read and before routing: a request to /v1 (every /v1 operation needs a
 * key) or any request with a body needs a verified key, else 401. So a request without a valid key learns nothing
 * from a parser or the router first (a 415 for its charset, a 400 for a path it cannot decode, a 404 or 405); routes
 * still check their scopes with requireScope.
 */
export function requireKeyFirst(): RequestHandler {
  return (req, res, next) => {
    const auth = authOf(res);
    const v1 = req.path === '/v1' || req.path.startsWith('/v1/');
    if (auth.open || auth.principal || (!v1 && !hasBody(req))) return next();
    res.set('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError(auth.badKey ? 'invalid API key' : 'missing API key (Authorization: Bearer <key> or X-API-Key)'));
  };
}
