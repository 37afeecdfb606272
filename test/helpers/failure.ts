import { expect } from 'vitest';
import { UnreadableDocumentError } from '../../src/documents/failure.js';

/** The UnreadableDocumentError that `p` rejects with (fails the test when it resolves or rejects otherwise). */
export async function failureOf(p: Promise<unknown>): Promise<UnreadableDocumentError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnreadableDocumentError);
  return err as UnreadableDocumentError;
}
