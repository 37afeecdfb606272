import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Express } from 'express';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/api/openapi.js';
import { apiDocument } from '../../src/api/operations.js';
import { CORPUS, tempServices } from '../helpers/services.js';
import { callEveryRoute } from './client/calls.js';

type S = Awaited<ReturnType<typeof tempServices>>;
type Doc = ReturnType<typeof apiDocument>;
const CLIENT_DIR = path.join(import.meta.dirname, 'client');

/** Every `METHOD /path` the Express app routes (OpenAPI path syntax). Route modules are mounted at the root. */
export function appRoutes(app: Express): string[] {
  const out: string[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) out.push(`${method.toUpperCase()} ${openApiPath(layer.route.path)}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(out)].sort();
}

function specRoutes(doc: Doc): string[] {
  const out: string[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
      if ((item as Record<string, unknown>)[method]) out.push(`${method.toUpperCase()} ${p}`);
    }
  }
  return out.sort();
}

const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** Checks real replies against the document: the status is declared for the operation and the body fits its schema. */
class Conformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly seen = new Map<string, Set<number>>();

  constructor(private readonly doc: Doc) {
    this.ajv.addSchema(doc as object, 'openapi');
  }

  async check(method: string, route: string, res: Response): Promise<unknown> {
    const op = (this.doc.paths?.[route] as Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>)?.[method.toLowerCase()];
    expect(op, `${method} ${route} is not in the document`).toBeDefined();
    const status = String(res.status);
    const declared = op!.responses[status];
    expect(declared, `${method} ${route} replied ${status}, which the document does not declare`).toBeDefined();
    const key = `${method.toUpperCase()} ${route}`;
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(res.status);
    const raw = await res.text();
    if (!declared!.content) {
      expect(raw, `${key} ${status} declares no body`).toBe('');
      return undefined;
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    expect(Object.keys(declared!.content), `${key} ${status} content type`).toContain(mediaType);
    if (mediaType !== 'application/json') return raw;
    const body = JSON.parse(raw) as unknown;
    const ref = `openapi#/paths/${pointer(route)}/${method.toLowerCase()}/responses/${status}/content/${pointer(mediaType)}/schema`;
    const validate = this.ajv.compile({ $ref: ref });
    expect(validate(body), `${key} ${status}: ${this.ajv.errorsText(validate.errors)}\n${raw.slice(0, 500)}`).toBe(true);
    return body;
  }
}

describe('OpenAPI document', () => {
  const doc = apiDocument();

  it('is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('declares every route of the app, and no route the app lacks', async () => {
    const services = await tempServices();
    try {
      const app = await services.httpApp();
      expect(appRoutes(app).length).toBeGreaterThan(5);
      expect(specRoutes(doc)).toEqual(appRoutes(app));
    } finally {
      await services.cleanup();
    }
  });

  it('generates request schemas from the zod schemas the routes validate with', () => {
    const ask = doc.components?.schemas?.['AskRequest'] as { required: string[]; properties: Record<string, { maximum?: number }> };
    expect(ask.required).toEqual(['question']);
    expect(ask.properties['topK']!.maximum).toBeGreaterThan(1);
    const errorCode = JSON.stringify(doc.components?.schemas?.['ErrorReply']);
    for (const code of ['bad_input', 'unauthorized', 'not_found', 'unavailable']) expect(errorCode).toContain(code);
  });
});

describe('real replies of a listening server conform to the document', () => {
  let services: S;
  let keyed: S;
  let base: string;
  let keyedBase: string;
  const closers: (() => Promise<void>)[] = [];
  const doc = apiDocument();
  const conformance = new Conformance(doc);

  async function listen(app: Express): Promise<string> {
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    services = await tempServices({ maxUploadBytes: 64 * 1024 });
    keyed = await tempServices({ apiKeys: ['k-secret'] });
    base = await listen(await services.httpApp());
    keyedBase = await listen(await keyed.httpApp());
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await services?.cleanup();
    await keyed?.cleanup();
  });

  const call = async (method: string, route: string, url: string, init: RequestInit = {}) =>
    conformance.check(method, route, await fetch(`${base}${url}`, { method, ...init }));
  const json = (body: unknown): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('every route, with its successes and its errors', async () => {
    expect(await call('GET', '/healthz', '/healthz')).toEqual({ status: 'ok' });
    await call('GET', '/readyz', '/readyz');
    expect(await call('GET', '/metrics', '/metrics')).toContain('# TYPE');
    expect(await call('GET', '/v1/monitor', '/v1/monitor')).toMatchObject({ features: expect.any(Array) });
    expect(await call('GET', '/openapi.json', '/openapi.json')).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(await call('GET', '/docs', '/docs')).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(await call('GET', '/', '/')).toContain('<html');

    const tesla = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8').slice(0, 20_000);
    const created = (await call('POST', '/v1/documents', '/v1/documents', json({ name: 'tesla.txt', text: tesla }))) as { documentId: string };
    expect(await call('POST', '/v1/documents', '/v1/documents', json({ name: 'tesla.txt', text: tesla }))).toMatchObject({ status: 'unchanged' });
    const form = new FormData();
    form.append('file', new Blob(['# Rhine\n\nThe Rhine flows into the North Sea.'], { type: 'text/markdown' }), 'rhine.md');
    expect(await call('POST', '/v1/documents', '/v1/documents', { body: form })).toMatchObject({ status: 'created', format: 'markdown' });
    const plain = { headers: { 'content-type': 'text/plain' }, body: 'Paris is the capital of France.' };
    expect(await call('POST', '/v1/documents', '/v1/documents?name=paris.txt', plain)).toMatchObject({ status: 'created' });
    expect(await call('POST', '/v1/documents', '/v1/documents', json({ name: 'x.txt' }))).toMatchObject({ error: { code: 'bad_input', field: 'text' } });
    expect(await call('POST', '/v1/documents', '/v1/documents', json({ name: 'big.txt', text: 'word '.repeat(20_000) }))).toMatchObject({ error: { code: 'too_large' } });
    const odd = { headers: { 'content-type': 'application/x-unknown' }, body: 'x' };
    expect(await call('POST', '/v1/documents', '/v1/documents', odd)).toMatchObject({ error: { code: 'unsupported_media_type' } });

    const answered = (await call('POST', '/v1/ask', '/v1/ask', json({ question: 'Where did Tesla study?', minConfidence: 0 }))) as { id: string; answers: unknown[] };
    expect(answered.answers.length).toBeGreaterThan(0);
    const verdict = { askId: answered.id, verdict: 'wrong', answerIndex: 0, correctAnswer: 'Graz' };
    expect(await call('POST', '/v1/feedback', '/v1/feedback', json(verdict))).toMatchObject({ status: 'created' });
    expect(await call('POST', '/v1/feedback', '/v1/feedback', json({ ...verdict, verdict: 'partial' }))).toMatchObject({ status: 'replaced' });
    expect(await call('POST', '/v1/feedback', '/v1/feedback', json({ ...verdict, askId: 'no-such-ask' }))).toMatchObject({ error: { code: 'not_found' } });
    expect(await call('POST', '/v1/feedback', '/v1/feedback', json({ ...verdict, verdict: 'great' }))).toMatchObject({ error: { field: 'verdict' } });
    const none = await call('POST', '/v1/ask', '/v1/ask', json({ question: 'Where did Tesla study?', filters: { names: ['nothing.txt'] } }));
    expect(none).toMatchObject({ answers: [], noAnswer: { chosen: true, bestConfidence: null } });
    expect(await call('POST', '/v1/ask', '/v1/ask', json({ question: 'q', topK: 0 }))).toMatchObject({ error: { field: 'topK' } });
    expect(await call('POST', '/v1/ask', '/v1/ask', { headers: { 'content-type': 'application/json' }, body: '{"question":' })).toMatchObject({ error: { code: 'bad_input' } });

    expect(await call('GET', '/v1/documents', '/v1/documents?limit=2')).toMatchObject({ total: 3, limit: 2 });
    expect(await call('GET', '/v1/documents', '/v1/documents?limit=0')).toMatchObject({ error: { field: 'limit' } });
    expect(await call('GET', '/v1/documents/{id}', `/v1/documents/${created.documentId}`)).toMatchObject({ name: 'tesla.txt' });
    const withPassages = (await call('GET', '/v1/documents/{id}', `/v1/documents/${created.documentId}?passages=true&passageLimit=2`)) as { passages: unknown[] };
    expect(withPassages.passages.length).toBe(2);
    expect(await call('GET', '/v1/documents/{id}', `/v1/documents/${created.documentId}?passageLimit=0`)).toMatchObject({ error: { field: 'passageLimit' } });
    expect(await call('DELETE', '/v1/documents/{id}', `/v1/documents/${created.documentId}`)).toBeUndefined();
    expect(await call('DELETE', '/v1/documents/{id}', `/v1/documents/${created.documentId}`)).toMatchObject({ error: { code: 'not_found' } });
    expect(await call('GET', '/v1/documents/{id}', `/v1/documents/${created.documentId}`)).toMatchObject({ error: { code: 'not_found' } });
    expect(await call('DELETE', '/v1/documents', '/v1/documents?name=paris.txt')).toBeUndefined();
    expect(await call('DELETE', '/v1/documents', '/v1/documents?source=paris.txt')).toMatchObject({ error: { code: 'not_found' } });
    expect(await call('DELETE', '/v1/documents', '/v1/documents')).toMatchObject({ error: { code: 'bad_input' } });

    // with API keys: 401 without one, as declared
    const unauthorized = await fetch(`${keyedBase}/v1/ask`, { method: 'POST', ...json({ question: 'q' }) });
    expect(await conformance.check('POST', '/v1/ask', unauthorized)).toMatchObject({ error: { code: 'unauthorized' } });
    const listUnauthorized = await fetch(`${keyedBase}/v1/documents`);
    expect(await conformance.check('GET', '/v1/documents', listUnauthorized)).toMatchObject({ error: { code: 'unauthorized' } });

    // every operation of the document was called
    expect([...conformance.seen.keys()].sort()).toEqual(specRoutes(doc));
  });

  it('a client generated from /openapi.json (openapi-typescript + openapi-fetch) type-checks and calls every route', async () => {
    // 1. generate the types from the live document, as a user would
    const live = (await (await fetch(`${base}/openapi.json`)).json()) as Record<string, unknown>;
    const generated = COMMENT_HEADER + astToString(await openapiTS(live as never));
    expect(generated).toContain('"/v1/ask"');

    // 2. they run against the real server, every route
    const calls = await callEveryRoute(base);
    expect(calls.filter((c) => !c.ok)).toEqual([]);
    // 3. the calls type-check against them (TypeScript compiler, the project's settings)
    const typesFile = path.join(CLIENT_DIR, 'docqa-api.d.ts');
    const callsFile = path.join(CLIENT_DIR, 'calls.ts');
    const host = ts.createCompilerHost({});
    const readFile = host.readFile.bind(host);
    host.readFile = (f) => (path.resolve(f) === typesFile ? generated : readFile(f));
    const program = ts.createProgram([callsFile], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
    }, host);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);

    const operations = new Set(calls.map((c) => c.operation));
    const declared = Object.values(doc.paths ?? {}).flatMap((item) =>
      Object.values(item as Record<string, { operationId?: string }>).map((op) => op.operationId),
    );
    expect([...operations].sort()).toEqual(declared.filter(Boolean).sort());
  });
});
