import { passageId, type DocumentRecord, type Passage } from '../documents/document.js';
import { BadInputError } from '../errors.js';

/** The most hits one search may ask for (Elasticsearch's default index.max_result_window). */
export const MAX_RESULT_WINDOW = 10_000;

/** Checks the arguments every DocumentStore gets, the same way for every implementation. */
export function checkTopK(topK: unknown): number {
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > MAX_RESULT_WINDOW) {
    throw new BadInputError(`topK must be an integer from 1 to ${MAX_RESULT_WINDOW}`, 'topK');
  }
  return topK;
}

/**
 * The checks of a write: passages belong to the document, their ids are `${docId}:${seq}` and their seqs are exactly
 * 0..n-1 (the store uses `seq < passageCount` to tell a document's passages from leftovers of an interrupted write),
 * and metadata values are strings, finite numbers, booleans or lists of them.
 */
export function checkWrite(doc: DocumentRecord, passages: Passage[]): Passage[] {
  if (typeof doc.id !== 'string' || doc.id.length === 0) throw new BadInputError('document id is missing', 'id');
  if (typeof doc.name !== 'string' || doc.name.length === 0) throw new BadInputError('document name is missing', 'name');
  if (typeof doc.source !== 'string' || doc.source.length === 0) throw new BadInputError('document source is missing', 'source');
  for (const [key, value] of Object.entries(doc.meta ?? {})) {
    const ok = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!(Array.isArray(value) ? value.every(ok) : ok(value))) {
      throw new BadInputError(`meta.${key} must be a string, number, boolean or a list of them`, `meta.${key}`);
    }
  }
  const sorted = [...passages].sort((a, b) => a.seq - b.seq);
  sorted.forEach((p, i) => {
    if (p.docId !== doc.id) {
      throw new BadInputError(`passage ${p.id} belongs to ${p.docId}, not to document ${doc.id}`, 'passages');
    }
    if (p.seq !== i) throw new BadInputError(`passage seqs must be 0..${passages.length - 1}, got ${p.seq}`, 'passages');
    if (p.id !== passageId(doc.id, p.seq)) {
      throw new BadInputError(`passage id ${p.id} must be ${passageId(doc.id, p.seq)}`, 'passages');
    }
  });
  return sorted;
}
