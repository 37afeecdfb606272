import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import type { Keyring, Scope } from '../../src/keys/keyring.js';
import { tempServices } from '../helpers/services.js';

type S = Awaited<ReturnType<typeof tempServices>>;

/**
 * Every route, the scopes that open it, and a request that succeeds with the right key. Routes added by other parts
 * append a row here: the table test below checks each against {no key, wrong key, key without scope, right key}.
 */
export interface RouteCase {
  method: 'get' | 'post' | 'delete' | 'put' | 'patch';
  path: string;
  /** Any of these opens it; null: open to everyone. */
  scopes: Scope[] | null;
  body?: object;
  /** The statuses a right key may get (the route's own answer). */
  ok: number[];
}

export const ROUTES: RouteCase[] = [
  { method: 'get', path: '/healthz', scopes: null, ok: [200] },
  { method: 'get', path: '/readyz', scopes: null, ok: [200] },
  { method: 'get', path: '/metrics', scopes: ['admin'], ok: [200] },
  { method: 'post', path: '/v1/ask', scopes: ['ask'], body: { question: 'Where did Tesla study?' }, ok: [200] },
  { method: 'post', path: '/v1/feedback', scopes: ['ask'], body: { askId: 'no-such-ask', verdict: 'correct' }, ok: [404] },
  { method: 'get', path: '/v1/documents', scopes: ['ask', 'ingest'], ok: [200] },
  { method: 'get', path: '/v1/documents/no-such-id', scopes: ['ask', 'ingest'], ok: [404] },
  { method: 'post', path: '/v1/documents', scopes: ['ingest'], body: { name: 'a.txt', text: 'Tesla studied in Graz.' }, ok: [200, 201] },
  { method: 'delete', path: '/v1/documents/no-such-id', scopes: ['ingest'], ok: [404] },
];

const SCOPE_NAMES: Scope[] = ['ask', 'ingest', 'admin'];

async function appWith(services: S, keyring: Keyring, http: Partial<S['config']> = {}): Promise<Express> {
  return buildApp({
    pipeline: await services.pipeline(),
    store: services.store,
    reader: await services.reader(),
    ingestor: services.ingestor,
    metrics: services.metrics,
    logger: services.logger,
    keyring,
    recorder: await services.recorder(),
    http: { ...services.config, ...http },
  });
}

/** POSTs raw bytes as application/json over a real socket (supertest would re-encode a Buffer). */
async function rawPost(app: Express, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: res.status, body: await res.text() };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Any method over a real socket with exactly these headers (a GET with `Content-Length: 0`, a path left undecoded). */
async function rawRequest(app: Express, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

function send(app: Express, c: RouteCase, key?: string) {
  let r = request(app)[c.method](c.path);
  if (key !== undefined) r = r.set('Authorization', `Bearer ${key}`);
  return c.body ? r.send(c.body) : r;
}

describe('keys and scopes on every route (in-process, real services, real stored keys)', () => {
  let services: S;
  let app: Express;
  const keys = new Map<Scope, string>();
  const keyFor = (scope: Scope) => keys.get(scope)!;
  beforeAll(async () => {
    services = await tempServices({ metricsAuth: 'admin', apiKeys: ['env-key'] });
    for (const scope of SCOPE_NAMES) keys.set(scope, (await services.keys.create(`only ${scope}`, [scope])).secret);
    app = await services.httpApp();
  });
  afterAll(async () => {
    await services.cleanup();
  });

  for (const c of ROUTES) {
    it(`${c.method.toUpperCase()} ${c.path}: no key, wrong key, key without scope, right key`, async () => {
      const none = await send(app, c);
      const wrong = await send(app, c, 'not-a-key');
      if (c.scopes === null) {
        expect(c.ok).toContain(none.status);
        expect(c.ok).toContain(wrong.status);
        return;
      }
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthorized');
      expect(none.headers['www-authenticate']).toBe('Bearer');
      expect(wrong.status).toBe(401);
      for (const scope of SCOPE_NAMES) {
        const res = await send(app, c, keyFor(scope));
        if (c.scopes.includes(scope)) expect(c.ok).toContain(res.status);
        else {
          expect(res.status).toBe(403);
          expect(res.body.error.code).toBe('forbidden');
        }
      }
      // a DOCQA_API_KEYS key has every scope
      expect(c.ok).toContain((await send(app, c, 'env-key')).status);
    });
  }

  it('gives every request an id: a sane client id is kept, anything else replaced', async () => {
    const kept = await request(app).get('/healthz').set('X-Request-Id', 'abc-123_x.y');
    expect(kept.headers['x-request-id']).toBe('abc-123_x.y');
    const fresh = await request(app).get('/healthz');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/u);
    for (const bad of ['a b', 'x'.repeat(129), 'évil', 'a\u001b[31m']) {
      const res = await request(app).get('/healthz').set('X-Request-Id', encodeURI(bad) === bad ? bad : 'a b');
      expect(res.headers['x-request-id']).not.toBe(bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/u);
    }
    const err = await request(app).post('/v1/ask').set('X-Request-Id', 'req-42').send({ question: 'q' });
    expect(err.status).toBe(401);
    expect(err.body.error.requestId).toBe('req-42');
  });

  it('refuses a body without a key before reading it, on every route, even a gzip bomb', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)); // ~20 KB that inflates to 20 MB
    for (const path of ['/v1/ask', '/v1/documents', '/v1/feedback', '/nowhere']) {
      const res = await rawPost(app, path, { 'content-encoding': 'gzip' }, bomb);
      expect(res.status).toBe(401);
    }
  });

  it('answers 401 before any parser or the router, on every /v1 path (found by the HTTP fuzz: 415 and 400 came first)', async () => {
    const latin1Empty = { 'content-type': 'application/json; charset=latin1', 'content-length': '0' };
    const cases: [string, string, Record<string, string>][] = [
      ['POST', '/v1/feedback', latin1Empty], // was 415: the fallback JSON parser ran on an empty body
      ['GET', '/v1/monitor', latin1Empty], // was 415
      ['DELETE', '/v1/documents/%', {}], // was 400: the router could not decode the parameter
      ['GET', '/v1/documents/%E0%A4%A', {}], // was 400
      ['GET', '/v1/nothing', {}], // was 404
      ['GET', '/v1/ask', {}], // was 405
    ];
    for (const [method, path, headers] of cases) {
      const res = await rawRequest(app, method, path, headers);
      expect(res.status, `${method} ${path}: ${res.body}`).toBe(401);
      expect(JSON.parse(res.body).error.code).toBe('unauthorized');
    }
    // with a key: the parser, the router and the route answer as before
    const key = { authorization: 'Bearer env-key' };
    const undecodable = await rawRequest(app, 'DELETE', '/v1/documents/%', key);
    expect(undecodable.status).toBe(400);
    expect(JSON.parse(undecodable.body).error).toMatchObject({ code: 'bad_input', field: 'path' });
    expect((await rawRequest(app, 'GET', '/v1/nothing', key)).status).toBe(404);
    expect((await rawRequest(app, 'GET', '/v1/ask', key)).status).toBe(405);
    expect((await rawRequest(app, 'GET', '/v1/monitor', { ...key, ...latin1Empty })).status).toBe(200);
    // outside /v1 a request without a body needs no key
    expect((await rawRequest(app, 'GET', '/healthz', latin1Empty)).status).toBe(200);
  });
});

describe('body, method and media type errors (in-process)', () => {
  let services: S;
  let app: Express;
  beforeAll(async () => {
    services = await tempServices();
    app = await services.httpApp();
  });
  afterAll(async () => {
    await services.cleanup();
  });

  it('answers 415, 413, 405 and 400 instead of 500', async () => {
    const latin1 = await request(app).post('/v1/ask').set('Content-Type', 'application/json; charset=latin1').send('{"question":"x"}');
    expect(latin1.status).toBe(415);
    const foo = await request(app).post('/v1/ask').set('Content-Type', 'application/json').set('Content-Encoding', 'foo').send('{"question":"x"}');
    expect(foo.status).toBe(415);
    expect(foo.body.error.message).toContain('foo');
    const form = await request(app).post('/v1/ask').type('form').send('question=where');
    expect(form.status).toBe(415);
    const text = await request(app).post('/v1/ask').set('Content-Type', 'text/plain').send('{"question":"where"}');
    expect(text.status).toBe(415);
    const big = await request(app).post('/v1/ask').send({ question: 'x', pad: 'y'.repeat(services.config.maxAskBytes) });
    expect(big.status).toBe(413);
    const inflated = await rawPost(app, '/v1/ask', { 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ question: 'x', pad: 'y'.repeat(1024 * 1024) })));
    expect(inflated.status).toBe(413);
    const get = await request(app).get('/v1/ask');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const put = await request(app).put('/v1/documents/abc');
    expect(put.status).toBe(405);
    expect(put.headers.allow?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD']);
    expect((await request(app).get('/v1/nothing')).status).toBe(404);
    const gz = await rawPost(app, '/v1/ask', { 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ question: 'Where?' })));
    expect(gz.status).toBe(200);
  });

  it('routes without a body ignore one; POST /v1/feedback parses its own (found by the HTTP fuzz: GET /healthz answered 400/415)', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/v1/documents', '/v1/monitor']) {
      const broken = await request(app).get(path).set('Content-Type', 'application/json').send('{"oops":');
      expect(broken.status, path).toBe(200);
      const latin1 = await request(app).get(path).set('Content-Type', 'application/json; charset=latin1').set('Content-Encoding', 'foo').send('{}');
      expect(latin1.status, path).toBe(200);
    }
    const text = await request(app).post('/v1/feedback').set('Content-Type', 'text/plain').send('{"askId":"a","verdict":"wrong"}');
    expect(text.status).toBe(415);
    const latin1 = await request(app).post('/v1/feedback').set('Content-Type', 'application/json; charset=latin1').send('{"askId":"a","verdict":"wrong"}');
    expect(latin1.status).toBe(415);
    const broken = await request(app).post('/v1/feedback').set('Content-Type', 'application/json').send('{"askId":');
    expect(broken.body.error).toMatchObject({ code: 'bad_input', field: 'body' });
    const big = await request(app).post('/v1/feedback').send({ askId: 'a', verdict: 'wrong', comment: 'y'.repeat(services.config.maxJsonBytes) });
    expect(big.status).toBe(413);
    const unknown = await request(app).post('/v1/feedback').send({ askId: 'no-such-ask', verdict: 'wrong' });
    expect(unknown.status).toBe(404);
  });
});
