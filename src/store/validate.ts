import { passageId, type DocumentRecord, type Passage } from '../documents/document.js';
import { BadInputError } from '../errors.js';
import { yieldToEventLoop } from '../util/event-loop.js';

/** The most hits one search may ask for (Elasticsearch's default index.max_result_window). */
export const MAX_RESULT_WINDOW = 10_000;

/** Checks the arguments every DocumentStore gets, the same way for every implementation. */
export function checkTopK(topK: unknown): number {
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > MAX_RESULT_WINDOW) {
    throw new BadInputError(`topK must be an integer from 1 to ${MAX_RESULT_WINDOW}`, 'topK');
  }
  return topK;
}

/** Passages checked between two yields to the event loop (a 45 MB upload has 64,000: 15-30 ms in one go). */
export const CHECK_SLICE = 8192;

/**
 * The checks of a write: passages belong to the document, their ids are `${docId}:${seq}` and their seqs are exactly
 * 0..n-1 (the store uses `seq < passageCount` to tell a document's passages from leftovers of an interrupted write),
 * and metadata values are strings, finite numbers, booleans or lists of them. Resolves with the passages in seq
 * order (the same array when they already are); CHECK_SLICE passages at a time, with the event loop free in between.
 */
export async function checkWrite(doc: DocumentRecord, passages: Passage[]): Promise<Passage[]> {
  if (typeof doc.id !== 'string' || doc.id.length === 0) throw new BadInputError('document id is missing', 'id');
  if (typeof doc.name !== 'string' || doc.name.length === 0) throw new BadInputError('document name is missing', 'name');
  if (typeof doc.source !== 'string' || doc.source.length === 0) throw new BadInputError('document source is missing', 'source');
  for (const [key, value] of Object.entries(doc.meta ?? {})) {
    const ok = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!(Array.isArray(value) ? value.every(ok) : ok(value))) {
      throw new BadInputError(`meta.${key} must be a string, number, boolean or a list of them`, `meta.${key}`);
    }
  }
  const sorted = passages.every((p, i) => p.seq === i) ? passages : [...passages].sort((a, b) => a.seq - b.seq);
  const prefix = `${doc.id}:`;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && i % CHECK_SLICE === 0) await yieldToEventLoop();
    const p = sorted[i]!;
    if (p.docId !== doc.id) {
      throw new BadInputError(`passage ${p.id} belongs to ${p.docId}, not to document ${doc.id}`, 'passages');
    }
    if (p.seq !== i) throw new BadInputError(`passage seqs must be 0..${passages.length - 1}, got ${p.seq}`, 'passages');
    if (!isPassageId(p.id, prefix, i)) throw new BadInputError(`passage id ${p.id} must be ${passageId(doc.id, p.seq)}`, 'passages');
  }
  return sorted;
}

/** Whether `id` is `${prefix}${seq}` (passageId), read digit by digit instead of building that string. */
function isPassageId(id: unknown, prefix: string, seq: number): boolean {
  if (typeof id !== 'string' || !id.startsWith(prefix) || id.length === prefix.length) return false;
  if (id.length > prefix.length + 1 && id.charCodeAt(prefix.length) === 48) return false; // a leading zero
  let n = 0;
  for (let j = prefix.length; j < id.length; j++) {
    const d = id.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return false;
    n = n * 10 + d;
  }
  return n === seq;
}
