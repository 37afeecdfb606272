import type { RequestHandler } from 'express';
import { RateLimitedError } from '../errors.js';

/**
 * Admission of expensive requests (asks): at most `concurrent` run at once, at most `queued` wait (first come, first
 * served); beyond that a request is shed at once with 503 + Retry-After instead of piling up. A client that goes
 * away while queued leaves the queue. The reader's own batching (DOCQA_READER_*) works on what is admitted.
 */
export class Admission {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrent: number,
    readonly queued: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queueLength(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once admitted; undefined when the queue is full (shed). */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    const release = () => {
      this.running--;
      const next = this.waiting.shift();
      if (next) next();
    };
    const once = () => {
      let done = false;
      return () => {
        if (!done) {
          done = true;
          release();
        }
      };
    };
    if (this.running < this.concurrent) {
      this.running++;
      return Promise.resolve(once());
    }
    if (this.waiting.length >= this.queued) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const admit = () => {
        signal?.removeEventListener('abort', leave);
        this.running++;
        resolve(once());
      };
      const leave = () => {
        const i = this.waiting.indexOf(admit);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(undefined);
      };
      this.waiting.push(admit);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  /** A route step: admitted requests go on (released when the reply is done), the rest get 503 + Retry-After. */
  middleware(): RequestHandler {
    return async (_req, res, next) => {
      const gone = new AbortController();
      const onClose = () => gone.abort();
      res.once('close', onClose);
      const release = await this.acquire(gone.signal);
      if (!release) {
        res.off('close', onClose);
        if (gone.signal.aborted) return; // the client left while queued
        return next(new RateLimitedError(`busy: ${this.concurrent} asks running and ${this.queued} waiting; retry shortly`, 1, true));
      }
      res.off('close', onClose);
      if (res.writableEnded || res.destroyed) return release(); // the client left meanwhile
      res.once('close', release);
      next();
    };
  }
}
