import type { Express, RequestHandler } from 'express';
import { MethodNotAllowedError, NotFoundError } from '../errors.js';

interface LayerLike {
  route?: { _methods(includeAll?: boolean): string[] };
  handle?: { stack?: LayerLike[] };
  match(path: string): { path: string } | false;
}

/** The methods the app's routes (in nested routers too) answer for `path`. */
function allowedMethods(stack: LayerLike[], path: string, into = new Set<string>()): Set<string> {
  for (const layer of stack) {
    const m = layer.match(path);
    if (!m) continue;
    if (layer.route) for (const method of layer.route._methods(false)) into.add(method);
    else if (layer.handle?.stack) allowedMethods(layer.handle.stack, path.slice(m.path.length) || '/', into);
  }
  return into;
}

/** The last route: 405 with Allow when the path exists for other methods (e.g. GET /v1/ask), else 404. */
export function notFoundOrMethodNotAllowed(app: Express): RequestHandler {
  return (req, _res, next) => {
    let allow: string[] = [];
    try {
      const stack = (app as unknown as { router: { stack: LayerLike[] } }).router.stack;
      allow = [...allowedMethods(stack, req.path)].filter((m) => m !== '*');
    } catch {
      allow = [];
    }
    if (allow.length > 0 && !allow.includes(req.method)) {
      return next(new MethodNotAllowedError(`${req.method} is not allowed on ${req.path} (allowed: ${allow.join(', ')})`, allow));
    }
    next(new NotFoundError(`no route for ${req.method} ${req.path}`));
  };
}
