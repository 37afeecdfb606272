/**
 * Search filters: what callers may ask for, their checks and bounds, and the normalized form both stores translate
 * (SQLite to SQL over `document_meta`, Elasticsearch to term/range queries over typed fields), so that a filter means
 * the same on both. Pure.
 *
 * Semantics. Every given field must match (AND). `docIds`, `names`, `sources`: the document's must be one of the list.
 * `meta.<key>`:
 *   - a value, or `{eq: value}`: some value of the key equals it, compared as its type (metadata.ts): a number
 *     equals a number (3 = 3.0), a string a string, a boolean a boolean, a date the same instant. "3" never equals 3.
 *   - a list of values, or `{in: [values]}`: some value of the key equals one of them.
 *   - `{range: {gte?, lte?}}`: some value of the key lies within the bounds, both included; the bounds are numbers
 *     (numeric values match) or dates (date values match).
 *   - `{exists: true|false}`: the key has at least one value / has none.
 * A list value (tags: ['a', 'b']) matches when any of its elements does. An empty list of alternatives matches nothing.
 */
import { METADATA_LIMITS } from '../config.js';
import type { MetaScalar } from '../documents/document.js';
import { checkMetaKey, metaType, parseDate } from '../documents/metadata.js';
import { BadInputError } from '../errors.js';

export type RangeBound = number | string;

export type MetaCondition =
  | MetaScalar
  | MetaScalar[]
  | { eq: MetaScalar }
  | { in: MetaScalar[] }
  | { range: { gte?: RangeBound; lte?: RangeBound } }
  | { exists: boolean };

/** Restricts a search; every given field must match (AND), values within a field are alternatives (OR). */
export interface SearchFilters {
  docIds?: string[];
  names?: string[];
  sources?: string[];
  meta?: Record<string, MetaCondition>;
}

export type TypedValue =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  /** value: epoch milliseconds */
  | { type: 'date'; value: number };

export type MetaClause =
  | { key: string; op: 'in'; values: TypedValue[] }
  | { key: string; op: 'range'; type: 'number' | 'date'; gte?: number; lte?: number }
  | { key: string; op: 'exists'; exists: boolean };

export interface NormalizedFilters {
  docIds?: string[];
  names?: string[];
  sources?: string[];
  meta: MetaClause[];
}

export function typedValue(value: MetaScalar): TypedValue {
  switch (metaType(value)) {
    case 'number':
      return { type: 'number', value: value as number };
    case 'boolean':
      return { type: 'boolean', value: value as boolean };
    case 'date':
      return { type: 'date', value: parseDate(value as string)! };
    default:
      return { type: 'string', value: value as string };
  }
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new BadInputError(`${field} must be a list of strings`, field);
  }
  if (value.length > METADATA_LIMITS.filterValues) {
    throw new BadInputError(`${field}: at most ${METADATA_LIMITS.filterValues} values (got ${value.length})`, field);
  }
  return value as string[];
}

function scalar(value: unknown, field: string): MetaScalar {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new BadInputError(`${field} must be a string, a finite number or a boolean`, field);
}

function scalars(value: unknown, field: string): MetaScalar[] {
  if (!Array.isArray(value)) throw new BadInputError(`${field} must be a list`, field);
  if (value.length > METADATA_LIMITS.filterValues) {
    throw new BadInputError(`${field}: at most ${METADATA_LIMITS.filterValues} values (got ${value.length})`, field);
  }
  return value.map((v, i) => scalar(v, `${field}[${i}]`));
}

function bound(value: unknown, field: string): { type: 'number' | 'date'; value: number } {
  if (typeof value === 'number' && Number.isFinite(value)) return { type: 'number', value };
  const ms = typeof value === 'string' ? parseDate(value) : null;
  if (ms === null) throw new BadInputError(`${field} must be a number or an ISO-8601 date`, field);
  return { type: 'date', value: ms };
}

const OPERATORS = ['eq', 'in', 'range', 'exists'];

function clause(key: string, condition: unknown, field: string): MetaClause {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    return { key, op: 'in', values: (Array.isArray(condition) ? scalars(condition, field) : [scalar(condition, field)]).map(typedValue) };
  }
  const ops = Object.keys(condition);
  if (ops.length !== 1 || !OPERATORS.includes(ops[0]!)) {
    throw new BadInputError(`${field} must be a value, a list of values or one of {eq}, {in}, {range}, {exists}`, field);
  }
  const c = condition as Record<string, unknown>;
  if ('eq' in c) return { key, op: 'in', values: [typedValue(scalar(c.eq, `${field}.eq`))] };
  if ('in' in c) return { key, op: 'in', values: scalars(c.in, `${field}.in`).map(typedValue) };
  if ('exists' in c) {
    if (typeof c.exists !== 'boolean') throw new BadInputError(`${field}.exists must be true or false`, `${field}.exists`);
    return { key, op: 'exists', exists: c.exists };
  }
  const range = c.range;
  const at = `${field}.range`;
  if (typeof range !== 'object' || range === null || Array.isArray(range)) throw new BadInputError(`${at} must be {gte?, lte?}`, at);
  const extra = Object.keys(range).filter((k) => k !== 'gte' && k !== 'lte');
  if (extra.length > 0) throw new BadInputError(`${at}: unknown bound ${extra[0]} (gte, lte)`, at);
  const { gte, lte } = range as { gte?: unknown; lte?: unknown };
  const lower = gte === undefined ? undefined : bound(gte, `${at}.gte`);
  const upper = lte === undefined ? undefined : bound(lte, `${at}.lte`);
  if (!lower && !upper) throw new BadInputError(`${at} needs gte, lte or both`, at);
  if (lower && upper && lower.type !== upper.type) throw new BadInputError(`${at}: gte and lte must both be numbers or both dates`, at);
  return {
    key,
    op: 'range',
    type: (lower ?? upper)!.type,
    ...(lower ? { gte: lower.value } : {}),
    ...(upper ? { lte: upper.value } : {}),
  };
}

/**
 * Checks filters from any caller (never trusting the type) and normalizes them; throws BadInputError naming the field
 * (`filters.meta.<key>...`) for anything invalid or over METADATA_LIMITS.
 */
export function normalizeFilters(filters: unknown): NormalizedFilters {
  if (filters === undefined || filters === null) return { meta: [] };
  if (typeof filters !== 'object' || Array.isArray(filters)) throw new BadInputError('filters must be an object', 'filters');
  const f = filters as Record<string, unknown>;
  const unknown = Object.keys(f).filter((k) => !['docIds', 'names', 'sources', 'meta'].includes(k));
  if (unknown.length > 0) throw new BadInputError(`filters.${unknown[0]} is not a filter (docIds, names, sources, meta)`, `filters.${unknown[0]}`);
  const out: NormalizedFilters = { meta: [] };
  if (f.docIds !== undefined) out.docIds = stringList(f.docIds, 'filters.docIds');
  if (f.names !== undefined) out.names = stringList(f.names, 'filters.names');
  if (f.sources !== undefined) out.sources = stringList(f.sources, 'filters.sources');
  if (f.meta !== undefined) {
    if (typeof f.meta !== 'object' || f.meta === null || Array.isArray(f.meta)) {
      throw new BadInputError('filters.meta must map metadata keys to conditions', 'filters.meta');
    }
    // Object.keys sees an own '__proto__' key (JSON.parse makes one); checkMetaKey refuses it by name.
    const keys = Object.keys(f.meta);
    if (keys.length > METADATA_LIMITS.filterKeys) {
      throw new BadInputError(`filters.meta: at most ${METADATA_LIMITS.filterKeys} keys (got ${keys.length})`, 'filters.meta');
    }
    for (const key of keys) {
      const field = `filters.meta.${key}`;
      checkMetaKey(key, field);
      out.meta.push(clause(key, (f.meta as Record<string, unknown>)[key], field));
    }
  }
  return out;
}
