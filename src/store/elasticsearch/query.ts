/** Pure request building and input checks of the Elasticsearch store (no I/O here). */
import type { estypes } from '@elastic/elasticsearch';
import { BadInputError } from '../../errors.js';
import type { SearchFilters } from '../store.js';

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


/** BM25 over the passage text; the terms come from queryTerms(), so no query syntax reaches Elasticsearch. */
export function searchQuery(terms: string[], filters: SearchFilters | undefined): estypes.QueryDslQueryContainer {
  return {
    bool: {
      must: [{ match: { text: { query: terms.join(' '), operator: 'or' } } }],
      filter: filterClauses(filters),
    },
  };
}

