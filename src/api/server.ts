import type { Express } from 'express';
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';

/**
 * Slow clients cannot hold a connection: the headers must arrive within headersTimeoutMs and the whole request
 * (headers and body) within requestTimeoutMs (then Node answers 408 and closes); idle keep-alive sockets close after 5 s.
 */
export function applyTimeouts(server: Server, config: Pick<Config, 'requestTimeoutMs' | 'headersTimeoutMs'>): void {
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  server.keepAliveTimeout = 5_000;
  // Node checks the two timeouts above on this interval (default 30 s): check often enough to honour them
  (server as Server & { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 1_000;
}

export interface DrainResult {
  /** Every in-flight request finished before the deadline. */
  drained: boolean;
  ms: number;
}

/**
 * Graceful stop: accept nothing new, let in-flight requests finish (their replies close the connection), close
 * idle keep-alive connections, and cut whatever is still open after `timeoutMs`.
 */
export async function drain(server: Server, app: Express, timeoutMs: number): Promise<DrainResult> {
  const start = performance.now();
  app.locals.draining = true;
  const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  // idle keep-alive sockets that become idle after their last reply are closed as they go
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const drained = await Promise.race([closed, deadline]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (!drained) server.closeAllConnections();
  return { drained, ms: performance.now() - start };
}
