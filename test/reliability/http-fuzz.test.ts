/**
 * The HTTP surface under property-based fuzz (issue 16 §4): for every operation of the OpenAPI document that a real
 * `docqa serve` (dist/, embedded SQLite store, the tiny test model, loopback) serves at /openapi.json, fast-check
 * generates requests from the operation's schemas (valid-ish parameters and bodies) mixed with hostile ones (wrong
 * types, huge strings and arrays up to and past the body limit, unicode edge cases, NaN/Infinity strings, deep
 * nesting, `__proto__`/`constructor` keys, bad content types, charsets and Content-Encodings, truncated and broken
 * multipart bodies, path parameters with `..` and `%00`, duplicate and malformed query keys, odd headers), and checks
 * every reply: no 5xx but a declared 503/507, no stack trace or internal path, error replies of the ErrorReply shape
 * with the code of their status and, for 400, `error.field`; successes fit their declared schema. After each
 * operation's batch the server still answers GET /healthz and has logged no error.
 *
 * A second server runs with an API key: every /v1 request without a valid key (none, malformed, wrong, too long,
 * two headers) gets 401 whatever its body, i.e. before the body is read.
 *
 * Seeded and bounded: HTTP_FUZZ_RUNS cases per operation and server (default 100), HTTP_FUZZ_SEED (default
 * 20261216; each operation's seed is derived from it and the operation, so a new route leaves the others' cases
 * alone), HTTP_FUZZ_REPORT=file.json writes the counts. A failure names the seed and the rerun command.
 * The larger run (docs/reliability.md, "HTTP fuzz"): HTTP_FUZZ_RUNS=600 npx vitest run test/reliability/http-fuzz.test.ts
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../../src/api/operations.js';
import { CORPUS, TINY_ROBERTA } from '../helpers/services.js';
import { startServer, stopServer } from '../helpers/dist.js';
import {
  authVariants,
  buildRequest,
  operationsOf,
  planOf,
  ReplyChecker,
  send,
  type Operation,
  type Plan,
  type Pools,
  type Reply,
} from './helpers/http-fuzz.js';

const RUNS = Number(process.env.HTTP_FUZZ_RUNS ?? 100);
const SEED = Number(process.env.HTTP_FUZZ_SEED ?? 20261216);
const KEY = 'fuzz-key-0123456789';
/** Body limits of the fuzzed servers (the upload limit is lowered so that huge bodies stay cheap). */
const LIMITS = { DOCQA_MAX_UPLOAD_BYTES: 256 * 1024, DOCQA_MAX_JSON_BYTES: 64 * 1024, DOCQA_MAX_ASK_BYTES: 16 * 1024 };
const RERUN = `HTTP_FUZZ_SEED=${SEED} HTTP_FUZZ_RUNS=${RUNS} npx vitest run test/reliability/http-fuzz.test.ts`;

/** The operations known when the file is collected (one test each); the fuzz itself uses the served document. */
const OPERATIONS = operationsOf(apiDocument());

/** A seed per operation: the run seed and the operation's key (FNV-1a), so one route's cases do not shift another's. */
function seedOf(key: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

function maxBytesOf(op: Operation): number {
  if (op.key === 'POST /v1/ask') return LIMITS.DOCQA_MAX_ASK_BYTES;
  if (op.key === 'POST /v1/documents') return LIMITS.DOCQA_MAX_UPLOAD_BYTES;
  return LIMITS.DOCQA_MAX_JSON_BYTES;
}

interface Stats {
  cases: number;
  statuses: Record<string, number>;
  /** Error statuses the document does not declare for the operation (reported, not a failure: see docs/reliability.md). */
  undeclared: Record<string, number>;
  /** Requests without a valid key that carried a body (keyed server): all answered 401 (else the check fails). */
  refusedBodies: number;
  ms: number;
}

class FuzzServer {
  server!: ChildProcess;
  url = '';
  dir = '';
  log = '';
  doc!: OpenAPIObject;
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly pools: Pools = { documentIds: [], documentNames: [], documentSources: [], askIds: [] };
  readonly stats = new Map<string, Stats>();
  private dirty = true;

  constructor(readonly keyed: boolean) {}

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-httpfuzz-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DOCQA_DATA_DIR: this.dir,
      DOCQA_MODEL_DIR: TINY_ROBERTA,
      DOCQA_LOG_LEVEL: 'error',
      DOCQA_RATE_LIMIT_PER_MINUTE: '0',
      ...Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])),
      // with keys, /metrics needs one too (DOCQA_METRICS_AUTH=admin), so every secured operation of the document does
      ...(this.keyed ? { DOCQA_API_KEYS: KEY, DOCQA_METRICS_AUTH: 'admin' } : {}),
    };
    const { server, url } = await startServer(env);
    this.server = server;
    this.url = url;
    server.stdout!.on('data', (c: Buffer) => (this.log += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.doc = (await (await fetch(`${url}/openapi.json`)).json()) as OpenAPIObject;
    // a few documents and asks, so that valid-ish ids, names and ask ids exist
    const auth: Record<string, string> = this.keyed ? { authorization: `Bearer ${KEY}` } : {};
    const tesla = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8').slice(0, 6000);
    for (const [name, text] of [['tesla.txt', tesla], ['rhine.md', 'The Rhine flows into the North Sea.'], ['paris.txt', 'Paris is the capital of France.']]) {
      const r = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ name, text }) });
      expect(r.status).toBe(201);
    }
    for (const question of ['When was Tesla born?', 'Where does the Rhine flow?']) {
      const r = await fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ question, minConfidence: 0 }) });
      expect(r.status).toBe(200);
      this.pools.askIds!.push(((await r.json()) as { id: string }).id);
    }
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (this.server && this.server.exitCode === null) await stopServer(this.server);
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The pools follow the store: re-read after an upload or a delete. */
  async refreshPools(): Promise<void> {
    if (!this.dirty) return;
    const auth: Record<string, string> = this.keyed ? { authorization: `Bearer ${KEY}` } : {};
    const r = await fetch(`${this.url}/v1/documents?limit=1000`, { headers: auth });
    const list = (await r.json()) as { documents: { id: string; name: string; source: string }[] };
    this.pools.documentIds = list.documents.map((d) => d.id);
    this.pools.documentNames = list.documents.map((d) => d.name);
    this.pools.documentSources = list.documents.map((d) => d.source);
    this.dirty = false;
  }

  learn(op: Operation, reply: Reply): void {
    if (op.method !== 'GET' && reply.status < 300) this.dirty = true;
    if (op.key === 'POST /v1/ask' && reply.status === 200) {
      const id = (JSON.parse(reply.body) as { id?: string }).id;
      if (id && this.pools.askIds!.length < 200) this.pools.askIds!.push(id);
    }
  }

  alive(): boolean {
    return this.server.exitCode === null && this.server.signalCode === null;
  }

  /** pino lines at level error (50) or fatal (60): a handler failed. */
  errorLines(): string[] {
    return this.log.split('\n').filter((l) => /"level":(?:50|60)\b/u.test(l));
  }
}

const checkerCache = new WeakMap<object, ReplyChecker>();
function checkerOf(doc: OpenAPIObject): ReplyChecker {
  let c = checkerCache.get(doc);
  if (!c) checkerCache.set(doc, (c = new ReplyChecker(doc)));
  return c;
}

async function fuzzOperation(fuzz: FuzzServer, key: string, variants: ReturnType<typeof authVariants>): Promise<Stats> {
  const op = operationsOf(fuzz.doc).find((o) => o.key === key);
  expect(op, `${key} is not in the served /openapi.json`).toBeDefined();
  const checker = checkerOf(fuzz.doc);
  const stats: Stats = { cases: 0, statuses: {}, undeclared: {}, refusedBodies: 0, ms: 0 };
  const started = performance.now();
  const seed = seedOf(key);
  const property = fc.asyncProperty(planOf(op!, fuzz.doc, { maxBytes: maxBytesOf(op!), authCount: variants.length }), async (plan: Plan) => {
    await fuzz.refreshPools();
    const request = buildRequest(op!, plan, fuzz.pools, variants[plan.auth]!);
    let reply: Reply;
    try {
      reply = await send(fuzz.url, request, fuzz.agent);
    } catch (err) {
      if (process.env.HTTP_FUZZ_TRACE) fs.appendFileSync(process.env.HTTP_FUZZ_TRACE, `ERR ${request.describe}\n`);
      throw new Error(`${(err as Error).message}; server alive: ${fuzz.alive()}\nrequest: ${request.describe}\n${fuzz.log.slice(-2000)}`);
    }
    if (process.env.HTTP_FUZZ_TRACE) fs.appendFileSync(process.env.HTTP_FUZZ_TRACE, `${reply.status} ${request.describe}\n`);
    stats.cases++;
    stats.statuses[reply.status] = (stats.statuses[reply.status] ?? 0) + 1;
    if (reply.status >= 400 && request.matchesTemplate && !op!.statuses.has(reply.status)) stats.undeclared[reply.status] = (stats.undeclared[reply.status] ?? 0) + 1;
    if (fuzz.keyed && !request.authValid && request.body && reply.status === 401) stats.refusedBodies++;
    fuzz.learn(op!, reply);
    const problems = checker.check(op!, request, reply, { keyed: fuzz.keyed });
    if (problems.length > 0) {
      throw new Error(
        `${problems.join('; ')}\nrequest: ${request.describe}\nreply: ${reply.status} ${reply.body.slice(0, 600)}\n` +
          `seed ${seed} (run seed ${SEED}); rerun: ${RERUN}`,
      );
    }
  });
  const result = await fc.check(property, { seed, numRuns: RUNS });
  if (result.failed) {
    // fast-check's own report prints the whole counterexample (bodies of up to 256 KiB): the request's summary instead
    const error = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    throw new Error(
      `${key}: property failed after ${result.numRuns} cases (shrunk ${result.numShrinks} times), fast-check ` +
        `{ seed: ${result.seed}, path: "${result.counterexamplePath}" }\n${error}`,
    );
  }
  stats.ms = performance.now() - started;
  // the batch is over: the server is up and logged no error
  expect(fuzz.alive(), `the server exited after ${key}:\n${fuzz.log.slice(-3000)}`).toBe(true);
  const health = await fetch(`${fuzz.url}/healthz`);
  expect(health.status).toBe(200);
  expect(fuzz.errorLines(), `error log lines during ${key}`).toEqual([]);
  fuzz.stats.set(key, stats);
  return stats;
}

function summary(fuzz: FuzzServer): string {
  const rows = [...fuzz.stats].map(([key, s]) => {
    const list = (counts: Record<string, number>) => Object.entries(counts).map(([k, v]) => `${k}:${v}`).join(' ');
    const undeclared = Object.keys(s.undeclared).length > 0 ? `  (undeclared ${list(s.undeclared)})` : '';
    return `  ${key.padEnd(28)} ${String(s.cases).padStart(5)} cases ${(s.ms / 1000).toFixed(1).padStart(6)} s  ${list(s.statuses)}${undeclared}`;
  });
  const total = [...fuzz.stats.values()].reduce((n, s) => n + s.cases, 0);
  const ms = [...fuzz.stats.values()].reduce((n, s) => n + s.ms, 0);
  const refused = [...fuzz.stats.values()].reduce((n, s) => n + s.refusedBodies, 0);
  const keyed = fuzz.keyed ? `, ${refused} bodies without a valid key refused with 401` : '';
  return (
    `[http-fuzz] ${fuzz.keyed ? 'with an API key' : 'open'}: ${fuzz.stats.size} operations, ${total} cases in ` +
    `${(ms / 1000).toFixed(1)} s, seed ${SEED}${keyed}\n${rows.join('\n')}`
  );
}

function report(servers: FuzzServer[]): void {
  const file = process.env.HTTP_FUZZ_REPORT;
  if (!file) return;
  const out = servers.map((s) => ({ keyed: s.keyed, operations: Object.fromEntries(s.stats) }));
  fs.writeFileSync(file, JSON.stringify({ seed: SEED, runs: RUNS, servers: out }, null, 2));
}

const servers: FuzzServer[] = [];
afterAll(() => report(servers));

describe.each([
  { keyed: false, label: 'open (no API keys)' },
  { keyed: true, label: 'with an API key' },
])('HTTP fuzz of every OpenAPI operation, server $label', ({ keyed }) => {
  const fuzz = new FuzzServer(keyed);
  servers.push(fuzz);
  // open: the auth headers are noise (ignored); keyed: mostly no or bad keys, and the valid variants
  const variants = authVariants(KEY);
  beforeAll(() => fuzz.start(), 120_000);
  afterAll(async () => {
    console.log(summary(fuzz));
    await fuzz.stop();
  });

  it('the served document has the operations this file was collected with', () => {
    expect(operationsOf(fuzz.doc).map((o) => o.key)).toEqual(OPERATIONS.map((o) => o.key));
    expect(OPERATIONS.length).toBeGreaterThanOrEqual(14);
  });

  for (const op of OPERATIONS) {
    it(`${op.key}: ${RUNS} generated requests, no 5xx, no stack trace, error shape, still up`, async () => {
      const stats = await fuzzOperation(fuzz, op.key, variants);
      expect(stats.cases).toBe(RUNS);
      if (!keyed) {
        // the valid-ish half reaches the handler: some request of every operation succeeded
        const ok = Object.entries(stats.statuses).filter(([s]) => Number(s) < 300).reduce((n, [, c]) => n + c, 0);
        expect(ok, `no 2xx among ${RUNS} requests of ${op.key}: ${JSON.stringify(stats.statuses)}`).toBeGreaterThan(0);
      }
    }, 60_000 + RUNS * 2_000);
  }

  it('covered every operation of the document', () => {
    expect([...fuzz.stats.keys()].sort()).toEqual(operationsOf(fuzz.doc).map((o) => o.key).sort());
    expect(fuzz.stats.size).toBe(OPERATIONS.length);
    if (keyed) {
      const refused = [...fuzz.stats.values()].reduce((n, s) => n + s.refusedBodies, 0);
      // bodies that would otherwise be 400/413/415 were refused with 401 before they were read
      expect(refused).toBeGreaterThan(0);
    }
  });
});
