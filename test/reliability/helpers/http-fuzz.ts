/**
 * The HTTP fuzz of test/reliability/http-fuzz.test.ts: requests generated (fast-check) for every operation of the
 * OpenAPI document, from the operation's own parameter and body schemas (valid-ish values) mixed with hostile ones,
 * sent over real HTTP, and the checks every reply must pass.
 *
 * json-schema-fast-check (0.0.6, the only JSON-Schema-to-fast-check package on npm) does not follow `$ref` into
 * components; the subset docqa's zod schemas produce (type, enum, anyOf, properties, additionalProperties, min/max,
 * minLength/maxLength, maxItems, $ref) is small, so `valueOf` below covers it.
 */
import http from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import type { OpenAPIObject } from 'openapi3-ts/oas31';

type Schema = Record<string, unknown>;
type Doc = OpenAPIObject;

export interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `POST /v1/ask` */
  key: string;
  method: string;
  /** The OpenAPI path template (`/v1/documents/{id}`). */
  path: string;
  /** Needs an API key when the server runs with keys (the operation declares `security`). */
  secured: boolean;
  parameters: Parameter[];
  /** The request body's schema per media type (none: no body declared). */
  body: Record<string, Schema>;
  /** Declared reply statuses. */
  statuses: Set<number>;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every operation of the document, in document order. */
export function operationsOf(doc: Doc): Operation[] {
  const out: Operation[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method] as
        | { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[]; responses: Operation['responses'] }
        | undefined;
      if (!op) continue;
      const body: Record<string, Schema> = {};
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) body[type] = media.schema ?? {};
      out.push({
        key: `${method.toUpperCase()} ${p}`,
        method: method.toUpperCase(),
        path: p,
        secured: (op.security ?? []).length > 0,
        parameters: (op.parameters ?? []).map((x) => ({ ...x, required: Boolean(x.required) })),
        body,
        statuses: new Set(Object.keys(op.responses).map(Number)),
        responses: op.responses,
      });
    }
  }
  return out;
}

function deref(schema: Schema, doc: Doc): Schema {
  let s = schema;
  for (let i = 0; i < 20 && typeof s.$ref === 'string'; i++) {
    const name = (s.$ref as string).replace('#/components/schemas/', '');
    s = (doc.components?.schemas?.[name] ?? {}) as Schema;
  }
  return s;
}

// --- hostile values ---

/** A JSON text inserted verbatim where a value goes (deep nesting, duplicate keys, `__proto__` keys). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, with RawJson nodes written verbatim. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : jsonText(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts = Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Strings that parsers, number coercion, FTS5 and file systems trip over. None contains a stack-trace marker. */
const NASTY = [
  '', ' ', '\t\n', 'NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '-0', '0x1F', '0b11', '1_000', ' 5 ', '5abc', '1.5',
  '-1', '99999999999999999999999', '١٢', '５', 'true', 'null', 'undefined', '[]', '{}', '__proto__', 'constructor',
  'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', '../../etc/passwd', '..', '.', '%00', '\u0000',
  'a\u0000b', '%', '%zz', '\\', '\\u0000', "'", '"', "' OR 1=1 --", '"; DROP TABLE documents; --', '*', 'a*', '^a',
  'NEAR(a b)', 'a AND OR NOT b', '"unterminated', '(', ')', 'col:value', '-', '+', '$where', '{{7*7}}', '${7*7}',
  '<script>alert(1)</script>', '\uD800', '\uDFFF', 'a\uD800b', '\uDBFF\uDFFF', '\uFEFF', '\u202E', '\u200B\u200D',
  'e\u0301'.repeat(500), '\u{1F600}'.repeat(300), 'Ω≈ç√∫', '\r\n\r\n', 'a'.repeat(5000),
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('\uD800', '\uDC00', '\u0000', '\uFFFF', '\u0085', 'a'), maxLength: 20 }) },
);

/** JSON values of the wrong kind, the wrong size or the wrong shape, at most about `maxBytes` of JSON text. */
export function hostileValue(maxBytes: number): fc.Arbitrary<unknown> {
  const huge = fc.integer({ min: 1, max: Math.max(1, Math.floor(maxBytes * 0.9)) }).chain((n) =>
    fc.constantFrom('a'.repeat(n), 'é'.repeat(Math.floor(n / 2)), '\u{1F600}'.repeat(Math.floor(n / 4)), ' '.repeat(n)),
  );
  const depth = fc.integer({ min: 50, max: Math.max(50, Math.floor(maxBytes / 6)) });
  return fc.oneof(
    { weight: 4, arbitrary: nastyString },
    {
      weight: 3,
      arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 2, 2 ** 31, -(2 ** 63), [], {}, [null], { '': null }),
    },
    { weight: 1, arbitrary: huge },
    { weight: 1, arbitrary: fc.array(fc.oneof(nastyString, fc.double(), fc.integer()), { maxLength: 2000 }) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: Math.max(1, Math.floor(maxBytes / 8)) }).map((n) => Array.from({ length: n }, (_, i) => i)),
    },
    {
      weight: 1,
      arbitrary: depth.chain((d) =>
        fc.constantFrom(new RawJson('['.repeat(d) + ']'.repeat(d)), new RawJson('{"a":'.repeat(d) + '1' + '}'.repeat(d))),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        new RawJson('{"__proto__":{"polluted":true,"isAdmin":true}}'),
        new RawJson('{"constructor":{"prototype":{"polluted":true}}}'),
        new RawJson('{"a":1,"a":2,"a":[]}'),
        new RawJson('{"__proto__":[],"toString":1,"valueOf":"x"}'),
        new RawJson('1e99999'),
        new RawJson('-0.0e-0'),
        new RawJson('123456789012345678901234567890'),
      ),
    },
    { weight: 1, arbitrary: fc.dictionary(nastyString, fc.oneof(nastyString, fc.integer()), { maxKeys: 20 }) },
    {
      // many keys (a metadata filter with 1,000+ conditions hit SQLite's depth limit before it had a bound)
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: Math.max(1, Math.floor(maxBytes / 14)) }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
    },
  );
}

// --- valid-ish values from a schema ---

/** Values the fuzz learns while it runs (ids of documents and asks): a `{pool, index}` picks one at send time. */
export interface Pools {
  [pool: string]: string[];
}

/** A value taken from a pool when the request is built (the pools change as the fuzz uploads and deletes). */
export class FromPool {
  constructor(readonly pool: string, readonly index: number) {}
}

/** Property names whose valid values are not in the schema but in the server's state (ids, names). */
const POOLED: Record<string, string> = { id: 'documentIds', askId: 'askIds', name: 'documentNames', source: 'documentSources' };

/** A valid-ish value of `schema`: inside its bounds most of the time, at and just past them sometimes. */
export function valueOf(schema: Schema, doc: Doc, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema, doc);
  if (name && POOLED[name] && (s.type === 'string' || s.type === undefined)) {
    return fc.oneof({ weight: 3, arbitrary: fc.nat(1000).map((i) => new FromPool(POOLED[name]!, i)) }, { weight: 1, arbitrary: plainValue(s, doc, depth) });
  }
  return plainValue(s, doc, depth);
}

function plainValue(s: Schema, doc: Doc, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const union = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (union) return fc.oneof(...union.map((u) => valueOf(u, doc, undefined, depth + 1)));
  const type = Array.isArray(s.type) ? (s.type as string[]).filter((t) => t !== 'null')[0] : (s.type as string | undefined);
  switch (type) {
    case 'string': {
      const min = (s.minLength as number | undefined) ?? 0;
      const max = Math.min((s.maxLength as number | undefined) ?? 60, 60);
      const words = fc.array(fc.constantFrom('Tesla', 'Rhine', 'born', 'river', 'year', 'the', 'in', 'Paris', 'a', 'data'), { minLength: 1, maxLength: 6 });
      return fc.oneof(
        { weight: 3, arbitrary: words.map((w) => w.join(' ').slice(0, Math.max(max, min))).filter((t) => t.length >= min) },
        { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: Math.max(min, max) }) },
        ...(typeof s.maxLength === 'number' ? [{ weight: 1, arbitrary: fc.constantFrom('x'.repeat(s.maxLength), 'x'.repeat(s.maxLength + 1)) }] : []),
      );
    }
    case 'integer':
    case 'number': {
      const min = (s.minimum as number | undefined) ?? -1000;
      const max = (s.maximum as number | undefined) ?? 1000;
      const inside = type === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
      return fc.oneof({ weight: 4, arbitrary: inside }, { weight: 1, arbitrary: fc.constantFrom(min, max, min - 1, max + 1) });
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      if (depth > 6) return fc.constant([]);
      const maxItems = Math.min((s.maxItems as number | undefined) ?? 5, 5);
      return fc.array(valueOf((s.items ?? {}) as Schema, doc, undefined, depth + 1), { maxLength: maxItems });
    }
    case 'object': {
      if (depth > 6) return fc.constant({});
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = new Set((s.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = valueOf(v, doc, k, depth + 1);
      const fixed = fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
      const extra = s.additionalProperties;
      if (extra && typeof extra === 'object') {
        const key = fc.oneof(fc.constantFrom('team', 'year', 'lang', 'draft', 'score'), fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/u));
        const more = fc.dictionary(key, valueOf(extra as Schema, doc, undefined, depth + 1), { maxKeys: 4 });
        return fc.tuple(fixed, more).map(([a, b]) => ({ ...b, ...a }));
      }
      return fixed;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** All paths (keys from the root) of the objects and arrays inside `value`, the root included. */
function containerPaths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object' && !(value instanceof RawJson) && !(value instanceof FromPool)) {
    out.push(at);
    for (const [k, v] of Object.entries(value)) containerPaths(v, [...at, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

function cloneWith(value: unknown, edit: (container: Record<string | number, unknown>) => void, path: (string | number)[]): unknown {
  const copy = structuredCloneLoose(value);
  let node = copy as Record<string | number, unknown>;
  for (const k of path) node = node[k] as Record<string | number, unknown>;
  edit(node);
  return copy;
}

function structuredCloneLoose(value: unknown): unknown {
  if (value instanceof RawJson || value instanceof FromPool) return value;
  if (Array.isArray(value)) return value.map(structuredCloneLoose);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneLoose(v)]));
  return value;
}

type Mutation = { kind: 'none' } | { kind: 'replace' | 'add' | 'drop' | 'whole' | 'wrap'; at: number; key: string; value: unknown };

/** One hostile edit of a valid-ish value: a member replaced, added or dropped, the whole value replaced or wrapped. */
function mutation(maxBytes: number): fc.Arbitrary<Mutation> {
  const key = fc.oneof(nastyString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'question', 'name', 'text', 'filters', 'meta'));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constantFrom('replace', 'add', 'drop', 'whole', 'wrap'), at: fc.nat(), key, value: hostileValue(maxBytes) }) as fc.Arbitrary<Mutation>,
    },
  );
}

export function applyMutation(value: unknown, m: Mutation): unknown {
  if (m.kind === 'none') return value;
  if (m.kind === 'whole') return m.value;
  if (m.kind === 'wrap') return [value];
  const paths = containerPaths(value);
  if (paths.length === 0) return m.value;
  const path = paths[m.at % paths.length]!;
  return cloneWith(
    value,
    (node) => {
      const keys = Object.keys(node);
      if (m.kind === 'add' || keys.length === 0) {
        // a '__proto__' key must be an own property, as JSON.parse would make it
        Object.defineProperty(node, Array.isArray(node) ? node.length : m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        return;
      }
      const k = keys[m.at % keys.length]!;
      if (m.kind === 'drop') delete node[k];
      else node[k] = m.value;
    },
    path,
  );
}

// --- requests ---

/** One auth header variant and whether it carries the server's key (checked by hand, not by docqa's parser). */
export interface AuthVariant {
  label: string;
  headers: Record<string, string>;
  valid: boolean;
}

export function authVariants(key: string): AuthVariant[] {
  return [
    { label: 'none', headers: {}, valid: false },
    { label: 'Bearer KEY', headers: { authorization: `Bearer ${key}` }, valid: true },
    { label: 'bearer KEY (lower case)', headers: { authorization: `bearer ${key}` }, valid: true },
    { label: 'Bearer  KEY  (spaces)', headers: { authorization: `Bearer   ${key}  ` }, valid: true },
    { label: 'X-API-Key KEY', headers: { 'x-api-key': key }, valid: true },
    { label: 'Basic + X-API-Key KEY', headers: { authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': key }, valid: true },
    { label: 'Bearer (empty)', headers: { authorization: 'Bearer' }, valid: false },
    { label: 'Bearer + space', headers: { authorization: 'Bearer ' }, valid: false },
    { label: 'Bearer wrong', headers: { authorization: 'Bearer wrong-key' }, valid: false },
    { label: 'Bearer KEY-suffixed', headers: { authorization: `Bearer ${key}x` }, valid: false },
    { label: 'Bearer KEY extra', headers: { authorization: `Bearer ${key} extra` }, valid: false },
    { label: 'Basic', headers: { authorization: 'Basic dXNlcjpwYXNz' }, valid: false },
    { label: 'Token KEY', headers: { authorization: `Token ${key}` }, valid: false },
    { label: 'KEY alone', headers: { authorization: key }, valid: false },
    { label: 'X-API-Key wrong', headers: { 'x-api-key': 'wrong' }, valid: false },
    { label: 'X-API-Key spaces', headers: { 'x-api-key': '   ' }, valid: false },
    { label: 'Bearer wrong + X-API-Key KEY', headers: { authorization: 'Bearer wrong', 'x-api-key': key }, valid: false },
    { label: 'Bearer latin1', headers: { authorization: 'Bearer \u00e9\u00ff\u0080' }, valid: false },
    { label: 'Bearer 6000 chars', headers: { authorization: `Bearer ${'k'.repeat(6000)}` }, valid: false },
    { label: 'Bearer __proto__', headers: { authorization: 'Bearer __proto__' }, valid: false },
    { label: 'X-API-Key constructor', headers: { 'x-api-key': 'constructor' }, valid: false },
  ];
}

export interface FuzzRequest {
  method: string;
  /** The path and query as sent (raw: may hold `..`, `%00`, a bad percent-encoding). */
  url: string;
  /** The path still matches the operation's template (no `/` went into a path parameter). */
  matchesTemplate: boolean;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent as chunks without Content-Length. */
  chunked: boolean;
  auth: string;
  authValid: boolean;
  /** What was generated, in words (for a failure message). */
  describe: string;
}

/** A plan: generated once by fast-check, turned into a FuzzRequest at send time (when the pools are known). */
export interface Plan {
  path: Record<string, { value: unknown; raw: boolean }>;
  query: { name: string; value: unknown; dup: boolean }[];
  rawQuery: string;
  body:
    | { kind: 'none' }
    | { kind: 'json'; value: unknown; mutation: Mutation }
    | { kind: 'text'; text: unknown }
    | { kind: 'multipart'; fields: Record<string, unknown>; file: string | null; filename: unknown; files: number; broken: string }
    | { kind: 'bytes'; bytes: Uint8Array };
  contentType: string | null;
  encoding: string;
  framing: 'length' | 'chunked';
  bodyEdit: 'none' | 'truncate' | 'bom' | 'invalid-utf8' | 'empty';
  auth: number;
  requestId: string | null;
  extraHeaders: Record<string, string>;
}

const CONTENT_TYPE_NOISE = [
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset="UTF-8"',
  'application/json; charset=nonsense',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'application/json;;;',
  'text/plain',
  'text/plain; charset=latin1',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/octet-stream',
  'application/pdf',
  '*/*',
  'json',
  '',
];

const ENCODINGS = ['gzip', 'deflate', 'br', 'foo', 'gzip, gzip', 'identity', 'GZIP', 'x-gzip', 'gzip-broken', 'br-broken', 'compress'];

const headerText = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '-', '/', ' ', '\t', ':', ';', '"', '\u00e9', '\u00ff', '=', ','), maxLength: 200 });

/** The plan arbitrary for one operation. `maxBytes`: the largest body the route accepts. */
export function planOf(op: Operation, doc: Doc, options: { maxBytes: number; authCount: number }): fc.Arbitrary<Plan> {
  const { maxBytes } = options;
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const pathArb = fc.record(
    Object.fromEntries(
      pathParams.map((p) => [
        p.name,
        fc.record({
          value: fc.oneof({ weight: 3, arbitrary: valueOf(p.schema, doc, p.name) }, { weight: 2, arbitrary: nastyString }),
          raw: fc.boolean(),
        }),
      ]),
    ),
  );
  const queryArb = fc.array(
    fc.oneof(
      ...queryParams.map((p) =>
        fc.record({
          name: fc.oneof({ weight: 6, arbitrary: fc.constant(p.name) }, { weight: 1, arbitrary: fc.constantFrom(`${p.name}[]`, `${p.name}[a]`, `${p.name}.x`, p.name.toUpperCase()) }),
          value: fc.oneof({ weight: 3, arbitrary: valueOf(p.schema, doc, p.name) }, { weight: 2, arbitrary: nastyString }),
          dup: fc.boolean(),
        }),
      ),
      fc.record({ name: fc.oneof(nastyString, fc.constantFrom('__proto__', 'constructor', 'toString')), value: nastyString, dup: fc.boolean() }),
    ),
    { maxLength: queryParams.length + 2 },
  );
  const rawQuery = fc.oneof(
    { weight: 8, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', 'a=%E0%A4%A', '&&&', '=', 'a=1&a=2&a=3', '__proto__[x]=1', 'limit=1&limit=2', 'name=%ff%fe', '+=+') },
  );
  const types = Object.keys(op.body);
  const jsonSchema = op.body['application/json'];
  const bodyArb: fc.Arbitrary<Plan['body']> = fc.oneof(
    ...(jsonSchema ? [{ weight: 6, arbitrary: fc.record({ kind: fc.constant('json' as const), value: valueOf(jsonSchema, doc), mutation: mutation(maxBytes) }) }] : []),
    ...(types.some((t) => t.startsWith('text/'))
      ? [{ weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.oneof(valueOf({ type: 'string' }, doc), hostileValue(maxBytes)) }) }]
      : []),
    ...(types.includes('multipart/form-data')
      ? [
          {
            weight: 3,
            arbitrary: fc.record({
              kind: fc.constant('multipart' as const),
              fields: multipartFields(op.body['multipart/form-data']!, doc),
              file: fc.oneof(fc.constant(null), fc.constantFrom('The Rhine flows into the North Sea.', '# Title\n\nTesla was born in 1856.', '<html><body><p>Paris</p></body></html>', '%PDF-1.7 garbage', ''), nastyString),
              filename: fc.oneof(fc.constantFrom('a.txt', 'b.md', 'c.html', 'd.pdf', 'e.docx', 'noext', '../../x.txt', '', 'C:\\x.txt', 'a\u0000.txt'), nastyString),
              files: fc.constantFrom(0, 0, 0, 1, 2, 11),
              broken: fc.constantFrom('no', 'no', 'no', 'no-boundary', 'unterminated', 'wrong-boundary', 'header-only'),
            }),
          },
        ]
      : []),
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 512 }) }) },
  );
  const contentType = fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPE_NOISE) });
  // the valid-ish plans: values from the schemas only, no hostile edit, header or encoding
  const cleanQuery = fc
    .tuple(...queryParams.map((p) => fc.option(valueOf(p.schema, doc, p.name), { nil: undefined, freq: 2 }).map((value) => ({ name: p.name, value, dup: false }))))
    .map((qs) => qs.filter((q) => q.value !== undefined));
  const cleanBody: fc.Arbitrary<Plan['body']> = jsonSchema
    ? fc.record({ kind: fc.constant('json' as const), value: valueOf(jsonSchema, doc), mutation: fc.constant<Mutation>({ kind: 'none' }) })
    : types.includes('multipart/form-data')
      ? bodyArb
      : fc.constant({ kind: 'none' as const });
  const clean: fc.Arbitrary<Plan> = fc.record({
    path: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, fc.record({ value: valueOf(p.schema, doc, p.name), raw: fc.constant(false) })]))),
    query: cleanQuery,
    rawQuery: fc.constant(''),
    body: cleanBody,
    contentType: fc.constant(null),
    encoding: fc.constant(''),
    framing: fc.constant('length' as const),
    bodyEdit: fc.constant('none' as const),
    auth: fc.nat(options.authCount - 1),
    requestId: fc.constant(null),
    extraHeaders: fc.constant({}),
  });
  const hostile: fc.Arbitrary<Plan> = fc.record({
    path: pathArb,
    query: queryArb,
    rawQuery,
    body: op.method === 'GET' || op.method === 'DELETE' ? fc.oneof({ weight: 8, arbitrary: fc.constant({ kind: 'none' as const }) }, { weight: 1, arbitrary: bodyArb }) : bodyArb,
    contentType,
    encoding: fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.constantFrom(...ENCODINGS) }),
    framing: fc.constantFrom('length', 'length', 'length', 'chunked'),
    bodyEdit: fc.oneof({ weight: 10, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('truncate', 'bom', 'invalid-utf8', 'empty') }),
    auth: fc.nat(options.authCount - 1),
    requestId: fc.oneof(fc.constant(null), headerText, fc.constantFrom('a'.repeat(129), '../../x', 'ok-id-1', '__proto__')),
    extraHeaders: fc.oneof(
      { weight: 6, arbitrary: fc.constant({}) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<Record<string, string>>(
          { accept: 'text/html' },
          { accept: 'application/xml;q=0.9, */*;q=0' },
          { 'accept-encoding': 'gzip, br' },
          { 'accept-charset': 'latin1' },
          { origin: 'http://evil.example' },
          { host: 'evil.example' },
          { 'x-forwarded-for': '1.2.3.4, ::1, nonsense' },
          { 'x-http-method-override': 'DELETE' },
          { expect: '100-continue' },
          { range: 'bytes=0-10' },
          { 'if-none-match': '*' },
        ),
      },
    ),
  });
  return fc.oneof({ weight: 2, arbitrary: clean }, { weight: 3, arbitrary: hostile });
}

/**
 * The text fields of a multipart body, from the schema's string properties (binary ones are the files): a valid-ish
 * value, a hostile string, or the JSON text of a valid-ish or hostile value (a field such as `meta` carries JSON).
 */
function multipartFields(schema: Schema, doc: Doc): fc.Arbitrary<Record<string, unknown>> {
  const props = (deref(schema, doc).properties ?? {}) as Record<string, Schema>;
  const jsonSchemas = Object.values(doc.components?.schemas ?? {}) as Schema[];
  // a JSON-carrying field takes the JSON schema of the same-named property elsewhere in the document (`meta`)
  const twin = (name: string) => jsonSchemas.map((s) => (s.properties as Record<string, Schema> | undefined)?.[name]).find(Boolean);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, prop] of Object.entries(props)) {
    if (prop.type !== 'string' || prop.contentMediaType) continue;
    const other = twin(name);
    record[name] = fc.oneof(
      { weight: 3, arbitrary: valueOf(prop, doc, name) },
      { weight: 2, arbitrary: nastyString },
      { weight: 2, arbitrary: fc.oneof(other ? valueOf(other, doc) : fc.jsonValue({ maxDepth: 2 }), hostileValue(4096)).map(jsonText) },
    );
  }
  record['unknownField'] = nastyString;
  return fc.record(record, { requiredKeys: [] });
}

function resolvePool(value: unknown, pools: Pools): unknown {
  if (value instanceof FromPool) {
    const pool = pools[value.pool] ?? [];
    return pool.length > 0 ? pool[value.index % pool.length] : 'no-such-thing';
  }
  if (Array.isArray(value)) return value.map((v) => resolvePool(v, pools));
  if (value !== null && typeof value === 'object' && !(value instanceof RawJson)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: resolvePool(v, pools), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** A path or query value as text: strings as they are, anything else as its JSON. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : jsonText(value);
}

/** Percent-encodes what Node's client refuses in a path (controls, space, non-ASCII), and `?` and `#`. */
function rawPathSegment(text: string): string {
  return Array.from(text, (ch) => (/^[\x21-\x7e]$/u.test(ch) && ch !== '?' && ch !== '#' ? ch : encodeURIComponent(wellFormed(ch)))).join('');
}

/** Lone surrogates replaced by U+FFFD (what a client's UTF-8 encoder does; encodeURIComponent throws on them). */
function wellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}

function encodeQuery(text: string): string {
  return encodeURIComponent(wellFormed(text));
}

function multipart(plan: Extract<Plan['body'], { kind: 'multipart' }>, boundary: string): Buffer {
  const parts: Buffer[] = [];
  const field = (name: string, value: string) =>
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  for (const [name, value] of Object.entries(plan.fields)) if (value !== undefined) field(name, asText(value));
  const filename = asText(plan.filename).replace(/["\r\n]/gu, '_');
  const file = (name: string, data: string) =>
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${data}\r\n`));
  if (plan.file !== null) file('file', plan.file);
  for (let i = 0; i < plan.files; i++) file('files', `file ${i}: The Rhine flows into the North Sea.`);
  if (plan.broken !== 'unterminated') parts.push(Buffer.from(`--${boundary}--\r\n`));
  if (plan.broken === 'header-only') return Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n`);
  return Buffer.concat(parts);
}

/** The request a plan describes, with the pools' current values. */
export function buildRequest(op: Operation, plan: Plan, pools: Pools, auth: AuthVariant): FuzzRequest {
  let matchesTemplate = true;
  let pathname = op.path.replace(/\{([^}]+)\}/gu, (_, name: string) => {
    const p = plan.path[name];
    const text = asText(resolvePool(p?.value, pools));
    if (p?.raw) {
      const seg = rawPathSegment(text);
      // a URL parser reads a backslash as `/`
      if (seg === '' || /[/\\]/u.test(seg) || seg === '.' || seg === '..') matchesTemplate = false;
      return seg;
    }
    if (text === '') matchesTemplate = false;
    return encodeURIComponent(wellFormed(text));
  });
  if (!pathname.startsWith('/')) pathname = `/${pathname}`;
  const pairs: string[] = [];
  for (const q of plan.query) {
    const value = asText(resolvePool(q.value, pools));
    const pair = `${encodeQuery(q.name)}=${encodeQuery(value)}`;
    pairs.push(pair);
    if (q.dup) pairs.push(pair);
  }
  if (plan.rawQuery) pairs.push(plan.rawQuery);
  const url = pairs.length > 0 ? `${pathname}?${pairs.join('&')}` : pathname;

  const headers: Record<string, string> = { ...plan.extraHeaders, ...auth.headers };
  if (plan.requestId !== null) headers['x-request-id'] = plan.requestId;
  let body: Buffer | undefined;
  let type: string | undefined;
  const b = plan.body;
  let describeBody: string = b.kind;
  switch (b.kind) {
    case 'json': {
      const value = resolvePool(applyMutation(b.value, b.mutation), pools);
      body = Buffer.from(jsonText(value), 'utf8');
      type = 'application/json';
      describeBody = `json(${b.mutation.kind}) ${body.subarray(0, 300).toString()}${body.length > 300 ? `… (${body.length} bytes)` : ''}`;
      break;
    }
    case 'text': {
      body = Buffer.from(asText(b.text), 'utf8');
      type = 'text/plain';
      describeBody = `text ${body.length} bytes`;
      break;
    }
    case 'multipart': {
      const boundary = 'fuzzBoundary7MA4YWxk';
      const sent = b.broken === 'wrong-boundary' ? 'otherBoundary' : boundary;
      body = multipart(b, boundary);
      type = b.broken === 'no-boundary' ? 'multipart/form-data' : `multipart/form-data; boundary=${sent}`;
      describeBody = `multipart(${b.broken}, file ${b.file === null ? 'none' : JSON.stringify(b.file.slice(0, 40))}, files ${b.files}) ${JSON.stringify(b.fields).slice(0, 200)}`;
      break;
    }
    case 'bytes':
      body = Buffer.from(b.bytes);
      type = 'application/octet-stream';
      describeBody = `bytes ${body.length}`;
      break;
    case 'none':
      break;
  }
  if (body) {
    if (plan.bodyEdit === 'truncate') body = body.subarray(0, Math.floor(body.length / 2));
    else if (plan.bodyEdit === 'bom') body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
    else if (plan.bodyEdit === 'invalid-utf8') body = Buffer.concat([body.subarray(0, 1), Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80]), body.subarray(1)]);
    else if (plan.bodyEdit === 'empty') body = Buffer.alloc(0);
    const contentType = plan.contentType ?? type;
    if (contentType !== undefined && contentType !== '') headers['content-type'] = contentType;
    if (plan.encoding) {
      const enc = plan.encoding;
      if (enc === 'gzip' || enc === 'GZIP' || enc === 'x-gzip') body = gzipSync(body);
      else if (enc === 'deflate') body = deflateSync(body);
      else if (enc === 'br') body = brotliCompressSync(body);
      else if (enc === 'gzip, gzip') body = gzipSync(gzipSync(body));
      headers['content-encoding'] = enc.replace(/-broken$/u, '');
    }
  }
  return {
    method: op.method,
    url,
    matchesTemplate,
    headers,
    body,
    chunked: body !== undefined && plan.framing === 'chunked',
    auth: auth.label,
    authValid: auth.valid,
    describe: `${op.method} ${url.slice(0, 300)} auth=${auth.label} headers=${JSON.stringify({ ...plan.extraHeaders, 'content-type': headers['content-type'], 'content-encoding': headers['content-encoding'], 'x-request-id': plan.requestId })} body=${describeBody} edit=${plan.bodyEdit} framing=${plan.framing}`,
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The connection was reset after a request head over Node's limit (counted as Node's 431). */
  reset?: boolean;
}

/** Node's default limit on a request's line and headers (--max-http-header-size). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** The size of the request line and headers, roughly as sent. */
export function headBytes(req: FuzzRequest): number {
  return Buffer.byteLength(`${req.method} ${req.url} HTTP/1.1\r\n`) + Object.entries(req.headers).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v, 'latin1') + 4, 100);
}

/** Sends one request over a keep-alive agent. A reply that arrives while the body is still being sent counts. */
export function send(base: string, req: FuzzRequest, agent: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body && !req.chunked) headers['content-length'] = String(req.body.length);
    // named, or Node's client sends a GET's or DELETE's body unframed (the server then reads it as the next request)
    if (req.body && req.chunked) headers['transfer-encoding'] = 'chunked';
    const r = http.request(`${base}${req.url}`, { method: req.method, headers, agent, setHost: !('host' in headers) });
    let replied = false;
    r.on('response', (res) => {
      replied = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (replied && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) return;
      // Node's server answers a request line and headers over its limit (16 KiB) with 431 and closes at once; the
      // client, still sending, may see the reset before the reply
      if (err.code === 'ECONNRESET' && headBytes(req) > MAX_HEAD_BYTES) {
        return resolve({ status: 431, headers: {}, body: '', reset: true });
      }
      reject(new Error(`no reply: ${err.code ?? ''} ${err.message}`));
    });
    if (req.body && req.chunked) {
      const half = Math.floor(req.body.length / 2);
      r.write(req.body.subarray(0, half));
      r.end(req.body.subarray(half));
    } else r.end(req.body);
  });
}

// --- the checks ---

/** What a stack trace looks like (none of the fuzz's generated strings has these): checked in every reply. */
const STACK: [RegExp, string][] = [
  [/\n\s+at \S/u, 'a stack frame ("at ...")'],
  [/\bat (?:async )?[\w.<>$]+ \((?:file:|node:|\/)/u, 'a stack frame'],
  [/\.[jt]s:\d+:\d+/u, 'a file:line:column'],
];

/**
 * What an internal detail looks like: checked in error replies (a success may legitimately say "node_modules": the
 * OpenAPI document says Swagger UI is served from there).
 */
const LEAKS: [RegExp, string][] = [
  ...STACK,
  [/node_modules/u, 'a node_modules path'],
  [/\/src\/|\/dist\//u, 'a source path'],
  [/(?:TypeError|RangeError|ReferenceError|SyntaxError|SqliteError|ZodError)\b/u, 'a JavaScript error name'],
];

const CODE_OF_STATUS: Record<number, string[]> = {
  400: ['bad_input'],
  401: ['unauthorized'],
  403: ['forbidden'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  409: ['conflict'],
  413: ['too_large'],
  415: ['unsupported_media_type'],
  429: ['rate_limited'],
  503: ['unavailable', 'rate_limited'],
  507: ['insufficient_storage'],
};

/** Statuses Node's HTTP server itself sends (no docqa handler ran, so no body and no X-Request-Id). */
const NODE_CORE = new Set([400, 408, 413, 431]);

export class ReplyChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ReturnType<Ajv2020['compile']>>();

  constructor(private readonly doc: Doc) {
    this.ajv.addSchema(doc as object, 'openapi');
  }

  private validator(ref: string) {
    let v = this.validators.get(ref);
    if (!v) this.validators.set(ref, (v = this.ajv.compile({ $ref: ref })));
    return v;
  }

  /** The rules every reply keeps; returns what it broke (empty: none). */
  check(op: Operation, req: FuzzRequest, reply: Reply, options: { keyed: boolean }): string[] {
    const problems: string[] = [];
    const { status, body } = reply;
    if (status >= 500 && !((status === 503 || status === 507) && op.statuses.has(status))) problems.push(`status ${status}`);
    const headerText = JSON.stringify(reply.headers);
    for (const [pattern, what] of status >= 400 ? LEAKS : STACK) {
      if (pattern.test(body)) problems.push(`the body has ${what}`);
      if (pattern.test(headerText)) problems.push(`a header has ${what}`);
    }
    const core = !reply.headers['x-request-id'] && body === '' && NODE_CORE.has(status);
    if (options.keyed && op.secured && !req.authValid && !core) {
      // no key (or a bad one) on a /v1 operation: 401 before anything else; a path that left the template may be 404
      const allowed = req.matchesTemplate ? [401] : [401, 404];
      if (!allowed.includes(status)) problems.push(`status ${status} without a valid key (expected ${allowed.join(' or ')})`);
      if (status === 401 && !reply.headers['www-authenticate']) problems.push('401 without WWW-Authenticate');
    }
    if (status >= 400) {
      if (!core) problems.push(...this.errorShape(status, reply));
    } else if (status === 206 || status === 304) {
      // HTTP's own replies to a Range or a conditional request (static files, ETags): not the API's to declare
      const asked = status === 206 ? 'range' in req.headers : 'if-none-match' in req.headers || 'if-modified-since' in req.headers;
      if (!asked) problems.push(`status ${status} to a request without ${status === 206 ? 'Range' : 'a condition'}`);
    } else if (status >= 200 && status < 300) {
      // a path parameter that left the template (`/v1/documents/` with an empty id) reached another route
      if (req.matchesTemplate) problems.push(...this.declared(op, reply));
    } else problems.push(`status ${status}`);
    return problems;
  }

  private errorShape(status: number, reply: Reply): string[] {
    const type = String(reply.headers['content-type'] ?? '');
    if (!type.startsWith('application/json')) return [`error reply ${status} is ${type || 'no content type'}, not JSON`];
    let parsed: { error?: { code?: string; field?: string; requestId?: string } };
    try {
      parsed = JSON.parse(reply.body) as typeof parsed;
    } catch {
      return [`error reply ${status} is not valid JSON`];
    }
    const problems: string[] = [];
    const validate = this.validator('openapi#/components/schemas/ErrorReply');
    if (!validate(parsed)) problems.push(`error reply ${status} does not fit ErrorReply: ${this.ajv.errorsText(validate.errors)}`);
    const codes = CODE_OF_STATUS[status];
    if (!codes) problems.push(`unexpected error status ${status}`);
    else if (!codes.includes(parsed.error?.code ?? '')) problems.push(`status ${status} with code ${parsed.error?.code}`);
    if (status === 400 && !(typeof parsed.error?.field === 'string' && parsed.error.field.length > 0)) problems.push('400 without error.field');
    if (parsed.error?.requestId !== reply.headers['x-request-id']) problems.push('error.requestId differs from X-Request-Id');
    return problems;
  }

  /** A success reply fits the schema the document declares for it. */
  private declared(op: Operation, reply: Reply): string[] {
    const declared = op.responses[String(reply.status)];
    if (!declared) return [`status ${reply.status} is not declared`];
    if (!declared.content) return reply.body === '' ? [] : [`status ${reply.status} declares no body`];
    const type = String(reply.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!(type in declared.content)) return [`content type ${type} not declared for ${reply.status}`];
    if (type !== 'application/json') return [];
    const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
    const validate = this.validator(
      `openapi#/paths/${pointer(op.path)}/${op.method.toLowerCase()}/responses/${reply.status}/content/${pointer(type)}/schema`,
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.body);
    } catch {
      return [`${reply.status} body is not valid JSON`];
    }
    return validate(parsed) ? [] : [`${reply.status} body does not fit its schema: ${this.ajv.errorsText(validate.errors).slice(0, 300)}`];
  }
}
