import { CommanderError } from 'commander';
import { DocqaError, errorMessage, type ErrorCode } from '../errors.js';

/** The one place errors become process exit codes. */
export const EXIT = {
  ok: 0,
  /** Some inputs failed (e.g. files of an ingest batch); the rest went through. */
  partial: 1,
  badInput: 2,
  unavailable: 3,
  notFound: 4,
  config: 5,
  /** The disk holding the data is full. */
  noSpace: 6,
  internal: 70,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  bad_input: EXIT.badInput,
  too_large: EXIT.badInput,
  unsupported_media_type: EXIT.badInput,
  unauthorized: EXIT.badInput,
  forbidden: EXIT.badInput,
  method_not_allowed: EXIT.badInput,
  rate_limited: EXIT.unavailable,
  not_found: EXIT.notFound,
  conflict: EXIT.badInput,
  unavailable: EXIT.unavailable,
  insufficient_storage: EXIT.noSpace,
  config: EXIT.config,
  internal: EXIT.internal,
};

/**
 * The exit code of an error: a DocqaError by its code; a command-line usage error (CommanderError: an unknown option,
 * a flag value its parser refused) is bad input, and --help / --version (exit code 0) are no error.
 */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  return err instanceof DocqaError ? BY_CODE[err.code] : EXIT.internal;
}

/** Prints `docqa: <message>` (the stack only when the DEBUG environment variable is set) and returns the exit code. */
export function reportError(err: unknown): number {
  const code = exitCodeOf(err);
  const stack = process.env.DEBUG && err instanceof Error ? `\n${err.stack}` : '';
  process.stderr.write(`docqa: ${errorMessage(err)}${stack}\n`);
  return code;
}
