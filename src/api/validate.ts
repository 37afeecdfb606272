import type { z } from 'zod';
import { toDocqaError } from './errors.js';

/**
 * Parses input with a request schema; a mistake is a BadInputError naming the field (400 in the API, exit 2 in the
 * CLI). `whole` names the input for issues about all of it (`body`, `query`, or the parameter it is).
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, whole = 'body'): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw toDocqaError(parsed.error, whole);
  return parsed.data;
}
