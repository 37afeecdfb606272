import cors from 'cors';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { isIP } from 'node:net';
import { ForbiddenError, RateLimitedError } from '../errors.js';
import { authOf } from './auth.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Security headers (helmet). The content security policy allows only docqa's own origin: the web page and the API
 * docs are served by docqa itself (no CDN); inline scripts are not allowed.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/** CORS for the allow-listed origins only (DOCQA_CORS_ORIGINS; `*`: any), with preflight; none by default. */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  return cors({
    origin: (origin, done) => done(null, any ? true : origin !== undefined && origins.includes(origin)),
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
}

/**
 * Without keys (open mode) a browser page of any site could use docqa on a user's machine: through a DNS name that
 * resolves to 127.0.0.1 (DNS rebinding) or by a cross-origin write that needs no preflight (text/plain). So in open
 * mode /v1 requests need a Host that is an IP address, a loopback name or an allowed host (DOCQA_ALLOWED_HOSTS), and
 * writes with an Origin need that origin to be docqa's own or an allowed CORS origin. With keys, the key is the check.
 */
export function openModeGuard(options: { allowedHosts: readonly string[]; corsOrigins: readonly string[] }): RequestHandler {
  const hosts = new Set([...LOOPBACK_NAMES, ...options.allowedHosts.map((h) => h.toLowerCase())]);
  return (req, res, next) => {
    if (!authOf(res).open || !req.path.startsWith('/v1/')) return next();
    const hostname = hostnameOf(req.headers.host);
    const ipLiteral = hostname !== undefined && (isIP(hostname) !== 0 || isIP(hostname.replace(/^\[|\]$/gu, '')) !== 0);
    if (!hostname || !(ipLiteral || hosts.has(hostname))) {
      return next(new ForbiddenError(`host "${req.headers.host ?? ''}" is not allowed without API keys (DOCQA_ALLOWED_HOSTS)`));
    }
    const origin = req.headers.origin;
    if (UNSAFE.has(req.method) && origin !== undefined) {
      const own = safeHost(origin) !== undefined && safeHost(origin) === req.headers.host?.toLowerCase();
      if (!own && !options.corsOrigins.includes(origin) && !options.corsOrigins.includes('*')) {
        return next(new ForbiddenError(`cross-origin write from ${origin} refused (DOCQA_CORS_ORIGINS)`));
      }
    }
    next();
  };
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Requests per minute per key (per client address in open mode) on /v1; over it: 429 + Retry-After. */
export function rateLimitPerKey(perMinute: number): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (req) => !req.path.startsWith('/v1/'),
    keyGenerator: (req, res) => {
      const principal = authOf(res).principal;
      return principal ? `key:${principal.id}` : `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
    },
    handler: (_req, res, next, options) => {
      const reset = (res.getHeader('RateLimit') as string | undefined)?.match(/t=(\d+)/u)?.[1];
      next(new RateLimitedError(`rate limit: at most ${options.limit as number} requests per minute for this key`, Number(reset ?? 60) || 60));
    },
  });
}
