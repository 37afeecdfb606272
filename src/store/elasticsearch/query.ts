/** Pure request building of the Elasticsearch store (no I/O here). */
import type { estypes } from '@elastic/elasticsearch';
import { normalizeFilters, type MetaClause, type NormalizedFilters, type SearchFilters } from '../filters.js';

type Query = estypes.QueryDslQueryContainer;

/** One metadata condition as a query on the typed passage fields (records.ts: indexedMeta). */
function metaQuery(c: MetaClause): Query {
  if (c.op === 'exists') {
    const has: Query = { term: { metaKeys: c.key } };
    return c.exists ? has : { bool: { must_not: [has] } };
  }
  if (c.op === 'range') {
    const field = c.type === 'number' ? `metaNumber.${c.key}` : `metaDate.${c.key}`;
    return {
      range: {
        [field]: {
          ...(c.gte !== undefined ? { gte: c.gte } : {}),
          ...(c.lte !== undefined ? { lte: c.lte } : {}),
          ...(c.type === 'date' ? { format: 'epoch_millis' } : {}),
        },
      },
    };
  }
  const should: Query[] = [];
  const strings = c.values.filter((v) => v.type === 'string').map((v) => v.value as string);
  const booleans = c.values.filter((v) => v.type === 'boolean').map((v) => String(v.value));
  const numbers = c.values.filter((v) => v.type === 'number').map((v) => v.value as number);
  const dates = c.values.filter((v) => v.type === 'date').map((v) => v.value as number);
  if (strings.length > 0) should.push({ terms: { [`metaString.${c.key}`]: strings } });
  if (booleans.length > 0) should.push({ terms: { [`metaBoolean.${c.key}`]: booleans } });
  if (numbers.length > 0) should.push({ terms: { [`metaNumber.${c.key}`]: numbers } });
  // Dates are instants: equality is a range of one millisecond's width.
  for (const ms of dates) should.push({ range: { [`metaDate.${c.key}`]: { gte: ms, lte: ms, format: 'epoch_millis' } } });
  if (should.length === 0) return { match_none: {} };
  return should.length === 1 ? should[0]! : { bool: { should, minimum_should_match: 1 } };
}

/** Normalized filters as filter clauses on the passage fields (an empty list of alternatives matches nothing). */
export function filterQueries(filters: NormalizedFilters): Query[] {
  const clauses: Query[] = [];
  const terms = (field: string, values: string[]) => {
    clauses.push(values.length === 0 ? { match_none: {} } : { terms: { [field]: values } });
  };
  if (filters.docIds !== undefined) terms('docId', filters.docIds);
  if (filters.names !== undefined) terms('name', filters.names);
  if (filters.sources !== undefined) terms('source', filters.sources);
  for (const c of filters.meta) clauses.push(metaQuery(c));
  return clauses;
}

/** Checks the filters (filters.ts, BadInputError naming the field) and turns them into filter clauses. */
export function filterClauses(filters: SearchFilters | undefined): Query[] {
  return filterQueries(normalizeFilters(filters));
}

/** BM25 over the passage text; the terms come from queryTerms(), so no query syntax reaches Elasticsearch. */
export function searchQuery(terms: string[], filters: SearchFilters | undefined): Query {
  return {
    bool: {
      must: [{ match: { text: { query: terms.join(' '), operator: 'or' } } }],
      filter: filterClauses(filters),
    },
  };
}
