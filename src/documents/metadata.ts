/**
 * Typed document metadata: what a value is (string, number, boolean, date), the rules a document's metadata must
 * follow, and the `--meta key=value` syntax of the CLI. Pure; both stores and the API use these same rules.
 *
 * Types. JSON numbers are numbers, JSON booleans are booleans, and a string in ISO-8601 date form is a date:
 * 'YYYY-MM-DD' (midnight UTC) or 'YYYY-MM-DDTHH:MM[:SS[.sss]]' with an optional 'Z' or '+HH:MM' offset (UTC when
 * absent). Every other string is a string. Dates compare as instants ('2024-03-01' equals '2024-03-01T00:00:00Z').
 */
import { METADATA_LIMITS } from '../config.js';
import { BadInputError } from '../errors.js';
import type { DocumentMeta, MetaScalar, MetaValue } from './document.js';

export type MetaType = 'string' | 'number' | 'boolean' | 'date';

/** Keys docqa sets itself at ingest; user metadata cannot set or override them. */
export const SYSTEM_META_KEYS: readonly string[] = ['format', 'sourceSha256'];

/**
 * A metadata key: a letter or digit, then letters, digits, '_' or '-' (no dots, spaces, quotes or backslashes, so a key
 * is the same field name in SQL, in Elasticsearch and in a URL; '__proto__' is not a key).
 */
export const META_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/u;

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/u;

/** Epoch milliseconds of an ISO-8601 date string, or null when the string is not one (or not a real day/time). */
export function parseDate(value: string): number | null {
  const m = DATE.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, frac ? Math.round(Number(frac) * 1000) : 0);
  // Date.UTC rolls 2024-02-30 over into March: a day the month does not have is not a date.
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  let offset = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return null;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const fixed = new Date(utc);
  fixed.setUTCFullYear(year);
  return fixed.getTime() - offset;
}

export function metaType(value: MetaScalar): MetaType {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return parseDate(value) !== null ? 'date' : 'string';
}

/** The values of a metadata entry as a list (a scalar is a list of one). */
export function metaValues(value: MetaValue): MetaScalar[] {
  return Array.isArray(value) ? value : [value];
}

/** Throws a BadInputError naming `field` unless `key` is a valid metadata key. */
export function checkMetaKey(key: string, field: string): void {
  if (key.length > METADATA_LIMITS.keyChars) {
    throw new BadInputError(`${field}: a metadata key has at most ${METADATA_LIMITS.keyChars} characters`, field);
  }
  if (!META_KEY_PATTERN.test(key)) {
    throw new BadInputError(
      `${field}: ${JSON.stringify(key)} is not a metadata key (a letter or digit, then letters, digits, '_' or '-')`,
      field,
    );
  }
}

function checkScalar(value: unknown, field: string): MetaScalar {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new BadInputError(`${field} must be a finite number`, field);
    return value;
  }
  if (typeof value === 'string') {
    if (value.length > METADATA_LIMITS.stringChars) {
      throw new BadInputError(`${field}: a metadata string has at most ${METADATA_LIMITS.stringChars} characters`, field);
    }
    return value;
  }
  throw new BadInputError(`${field} must be a string, number, boolean, date string or a list of them`, field);
}

/**
 * Checks metadata given by a user (API, CLI) and returns a copy: valid keys, none of the system keys, at most
 * METADATA_LIMITS of everything, values scalars or lists of scalars. `field` prefixes the names in errors.
 */
export function checkUserMeta(meta: unknown, field = 'meta'): DocumentMeta {
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) throw new BadInputError(`${field} must be an object`, field);
  const keys = Object.keys(meta);
  if (keys.length > METADATA_LIMITS.keysPerDocument) {
    throw new BadInputError(`${field}: at most ${METADATA_LIMITS.keysPerDocument} keys per document`, field);
  }
  const out: DocumentMeta = {};
  for (const key of keys) {
    const at = `${field}.${key}`;
    checkMetaKey(key, at);
    if (SYSTEM_META_KEYS.includes(key)) {
      throw new BadInputError(`${at}: '${key}' is set by docqa and cannot be given (system keys: ${SYSTEM_META_KEYS.join(', ')})`, at);
    }
    const value = (meta as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      if (value.length > METADATA_LIMITS.valuesPerKey) {
        throw new BadInputError(`${at}: at most ${METADATA_LIMITS.valuesPerKey} values per key`, at);
      }
      Object.defineProperty(out, key, { value: value.map((v, i) => checkScalar(v, `${at}[${i}]`)), enumerable: true, writable: true, configurable: true });
    } else {
      Object.defineProperty(out, key, { value: checkScalar(value, at), enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

const CLI_TYPES = ['string', 'number', 'boolean', 'date'] as const;

/** A value given on the command line as `type`, or inferred: true/false, a number, an ISO date, else a string. */
function cliValue(raw: string, type: MetaType | undefined, flag: string): MetaScalar {
  const fail = (what: string) => new BadInputError(`${flag}: '${raw}' is not ${what}`, 'meta');
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw fail('a number');
      return n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw fail('true or false');
      return raw === 'true';
    case 'date':
      if (parseDate(raw) === null) throw fail('an ISO-8601 date (2024-03-01, 2024-03-01T10:00:00Z)');
      return raw;
    default:
      if (raw === 'true' || raw === 'false') return raw === 'true';
      if (/^-?(?:\d+|\d*\.\d+)(?:[eE][-+]?\d+)?$/u.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
      return raw;
  }
}

/**
 * The metadata of repeated `--meta key=value` flags: `key:type=value` forces a type (string, number, boolean, date);
 * otherwise true/false are booleans, decimal numbers are numbers, ISO dates are dates and the rest are strings. A
 * key given twice becomes a list. Checked like API metadata (checkUserMeta).
 */
export function parseMetaFlags(flags: string[]): DocumentMeta {
  const out = new Map<string, MetaScalar[]>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new BadInputError(`--meta ${flag}: expected key=value or key:type=value`, 'meta');
    const [key, type] = flag.slice(0, eq).split(':', 2) as [string, string | undefined];
    if (type !== undefined && !(CLI_TYPES as readonly string[]).includes(type)) {
      throw new BadInputError(`--meta ${flag}: unknown type '${type}' (${CLI_TYPES.join(', ')})`, 'meta');
    }
    const value = cliValue(flag.slice(eq + 1), type as MetaType | undefined, `--meta ${flag}`);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  const meta: Record<string, MetaValue> = {};
  for (const [key, values] of out) {
    Object.defineProperty(meta, key, {
      value: values.length === 1 ? values[0]! : values,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return checkUserMeta(meta, 'meta');
}
