/** Pure request building and input checks of the Elasticsearch store (no I/O here). */
import type { estypes } from '@elastic/elasticsearch';
import { passageId, type DocumentRecord, type Passage } from '../../documents/document.js';
import { BadInputError } from '../../errors.js';
import type { SearchFilters } from '../store.js';

/** Elasticsearch's default index.max_result_window: from + size of one search cannot go past it. */
export const MAX_RESULT_WINDOW = 10_000;

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new BadInputError(`${field} must be a list of strings`, field);
  }
  return value as string[];
}

/** Checks the filters and turns them into term filters on the passage fields (all exact, keyword or flattened). */
export function filterClauses(filters: SearchFilters | undefined): estypes.QueryDslQueryContainer[] {
  if (filters === undefined) return [];
  if (typeof filters !== 'object' || filters === null) throw new BadInputError('filters must be an object', 'filters');
  const clauses: estypes.QueryDslQueryContainer[] = [];
  const terms = (field: string, values: string[]) => {
    // An empty list of alternatives matches nothing, as in SQL `IN ()`.
    clauses.push(values.length === 0 ? { match_none: {} } : { terms: { [field]: values } });
  };
  if (filters.docIds !== undefined) terms('docId', stringList(filters.docIds, 'filters.docIds'));
  if (filters.names !== undefined) terms('name', stringList(filters.names, 'filters.names'));
  if (filters.meta !== undefined) {
    if (typeof filters.meta !== 'object' || filters.meta === null || Array.isArray(filters.meta)) {
      throw new BadInputError('filters.meta must map keys to lists of values', 'filters.meta');
    }
    for (const [key, values] of Object.entries(filters.meta)) {
      if (key.length === 0) throw new BadInputError('filters.meta keys must not be empty', 'filters.meta');
      terms(`meta.${key}`, stringList(values, `filters.meta.${key}`));
    }
  }
  return clauses;
}

export function checkTopK(topK: unknown): number {
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > MAX_RESULT_WINDOW) {
    throw new BadInputError(`topK must be an integer from 1 to ${MAX_RESULT_WINDOW}`, 'topK');
  }
  return topK;
}

/** BM25 over the passage text; the terms come from queryTerms(), so no query syntax reaches Elasticsearch. */
export function searchQuery(terms: string[], filters: SearchFilters | undefined): estypes.QueryDslQueryContainer {
  return {
    bool: {
      must: [{ match: { text: { query: terms.join(' '), operator: 'or' } } }],
      filter: filterClauses(filters),
    },
  };
}

/**
 * The checks of a write: passages belong to the document, their ids are `${docId}:${seq}` and their seqs are exactly
 * 0..n-1 (the store uses `seq < passageCount` to tell a document's passages from leftovers of an interrupted write),
 * and metadata values are strings.
 */
export function checkWrite(doc: DocumentRecord, passages: Passage[]): Passage[] {
  if (typeof doc.id !== 'string' || doc.id.length === 0) throw new BadInputError('document id is missing', 'id');
  if (typeof doc.name !== 'string' || doc.name.length === 0) throw new BadInputError('document name is missing', 'name');
  for (const [key, value] of Object.entries(doc.meta ?? {})) {
    if (typeof value !== 'string') throw new BadInputError(`meta.${key} must be a string`, `meta.${key}`);
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
