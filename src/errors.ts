/**
 * The typed errors of docqa. They are mapped to HTTP statuses in src/api/errors.ts and to CLI exit codes in
 * src/cli/exit.ts, nowhere else.
 */
export type ErrorCode =
  | 'bad_input'
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'unauthorized'
  | 'forbidden'
  | 'method_not_allowed'
  | 'rate_limited'
  | 'too_large'
  | 'unsupported_media_type'
  | 'insufficient_storage'
  | 'config'
  | 'internal';

export class DocqaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller gave something invalid (a field, a file); `field` names it when there is one. */
export class BadInputError extends DocqaError {
  constructor(message: string, readonly field?: string, details?: Record<string, unknown>) {
    super('bad_input', message, { ...(field ? { field } : {}), ...details });
  }
}

export class NotFoundError extends DocqaError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The request names something ambiguously (e.g. a document name several sources share); the message lists them. */
export class ConflictError extends DocqaError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

/** A dependency (store, model) cannot be reached or is not ready. */
export class UnavailableError extends DocqaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, undefined, options);
  }
}

export class UnauthorizedError extends DocqaError {
  constructor(message = 'missing or invalid API key') {
    super('unauthorized', message);
  }
}

/** A valid key without the scope the route needs. */
export class ForbiddenError extends DocqaError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export class MethodNotAllowedError extends DocqaError {
  constructor(message: string, readonly allow: string[]) {
    super('method_not_allowed', message, { allow });
  }
}

/** Too many requests for this key (rate limit) or for the server (in-flight asks queue full: `shed`). */
export class RateLimitedError extends DocqaError {
  constructor(message: string, readonly retryAfterSeconds: number, readonly shed = false) {
    super('rate_limited', message, { retryAfterSeconds, shed });
  }
}

export class TooLargeError extends DocqaError {
  constructor(message: string, readonly limitBytes?: number) {
    super('too_large', message, limitBytes ? { limitBytes } : undefined);
  }
}

export class UnsupportedMediaTypeError extends DocqaError {
  constructor(message: string) {
    super('unsupported_media_type', message);
  }
}

/** The disk holding the data is full (ENOSPC, SQLITE_FULL): nothing more can be written until space is freed. */
export class InsufficientStorageError extends DocqaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('insufficient_storage', message, undefined, options);
  }
}

/** An invalid setting; the message names the setting. */
export class ConfigError extends DocqaError {
  constructor(message: string) {
    super('config', message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An error as it crosses a thread boundary (conversion and reader workers). */
export interface SerializedError {
  code: ErrorCode | null;
  message: string;
  details?: Record<string, unknown>;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof DocqaError) return { code: err.code, message: err.message, details: err.details };
  return { code: null, message: errorMessage(err) };
}

/** The typed error again (a DocqaError with the same code, message and details), or a plain Error. */
export function deserializeError(e: SerializedError): Error {
  return e.code ? new DocqaError(e.code, e.message, e.details) : new Error(e.message);
}
