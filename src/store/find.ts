/** Finding one document by what a user knows of it: its id, its source, or its name when only one document has it. */
import type { DocumentRecord } from '../documents/document.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { DocumentStore } from './store.js';

const SHA256 = /^[0-9a-f]{64}$/u;

/** How many candidates an ambiguity error lists. */
const LISTED = 20;

/** The one document of that name; NotFoundError when none, ConflictError listing the sources when several. */
export async function findDocumentByName(store: DocumentStore, name: string): Promise<DocumentRecord> {
  const docs = await store.findDocumentsByName(name);
  if (docs.length === 0) throw new NotFoundError(`no document named '${name}'`);
  if (docs.length > 1) {
    const listed = docs.slice(0, LISTED).map((d) => `${d.source} (id ${d.id.slice(0, 12)})`);
    throw new ConflictError(
      `${docs.length} documents are named '${name}'; name one by source or id: ${listed.join(', ')}${docs.length > LISTED ? ', ...' : ''}`,
      { candidates: docs.slice(0, LISTED).map((d) => ({ id: d.id, source: d.source })) },
    );
  }
  return docs[0]!;
}

export async function findDocumentBySource(store: DocumentStore, source: string): Promise<DocumentRecord> {
  const doc = await store.findDocumentBySource(source);
  if (!doc) throw new NotFoundError(`no document with source '${source}'`);
  return doc;
}

/** A document by its full id, else its source, else its name (which must then be unambiguous). */
export async function findDocument(store: DocumentStore, ref: string): Promise<DocumentRecord> {
  const byId = SHA256.test(ref) ? await store.getDocument(ref) : null;
  if (byId) return byId;
  const bySource = await store.findDocumentBySource(ref);
  if (bySource) return bySource;
  try {
    return await findDocumentByName(store, ref);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`no document with id, source or name '${ref}'`);
    throw err;
  }
}
