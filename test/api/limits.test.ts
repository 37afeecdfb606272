import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admission } from '../../src/api/admission.js';
import { publicMessage } from '../../src/api/errors.js';
import { askCommand } from '../../src/cli/commands/ask.js';
import { runCommand } from '../helpers/cli.js';
import { tempServices } from '../helpers/services.js';

type S = Awaited<ReturnType<typeof tempServices>>;

describe('limits (in-process, real services)', () => {
  let services: S;
  let app: Express;
  let server: Server;
  let base: string;
  let askKey: string;
  let otherKey: string;
  beforeAll(async () => {
    services = await tempServices({ rateLimitPerMinute: 8, maxConcurrentAsks: 1, maxQueuedAsks: 2 });
    askKey = (await services.keys.create('a', ['ask', 'ingest'])).secret;
    otherKey = (await services.keys.create('b', ['ask'])).secret;
    app = await services.httpApp();
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const up = await request(app).post('/v1/documents').set('X-API-Key', askKey).send({ name: 't.txt', text: 'Tesla studied in Graz.' });
    expect(up.status).toBe(201);
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await services.cleanup();
  });

  it('rate-limits per key: 429 with Retry-After, other keys unaffected', async () => {
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await request(app).get('/v1/documents').set('X-API-Key', askKey);
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    // one request (the upload) was already counted for this key
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    expect(statuses.slice(7)).toEqual([429, 429, 429]);
    expect(limited!.body.error.code).toBe('rate_limited');
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(app).get('/v1/documents').set('X-API-Key', otherKey)).status).toBe(200);
  });

  it('sheds asks beyond the running + queued bound with 503 and Retry-After, and serves the admitted ones', async () => {
    const admission = app.locals.admission as Admission;
    // hold the one running slot so the queue fills deterministically
    const hold = (await admission.acquire())!;
    const asks = Array.from({ length: 6 }, () =>
      fetch(`${base}/v1/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': otherKey },
        body: JSON.stringify({ question: 'Where did Tesla study?' }),
      }),
    );
    // 2 wait in the queue, 4 are shed at once
    const shed = await Promise.all(asks.slice(0, 6).map((p) => Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), 2000))])));
    const answered = shed.filter((r): r is Response => r !== null);
    expect(answered.map((r) => r.status)).toEqual([503, 503, 503, 503]);
    for (const r of answered) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    }
    expect(admission.queueLength).toBe(2);
    hold();
    const rest = await Promise.all(asks);
    expect(rest.map((r) => r.status).sort()).toEqual([200, 200, 503, 503, 503, 503]);
    expect(admission.inFlight).toBe(0);
  });

  it('caps retrieverTopK on the server and validates the CLI ask like the API', async () => {
    const over = await request(app)
      .post('/v1/ask')
      .set('X-API-Key', otherKey) // its 8th request this minute: still within the limit
      .send({ question: 'Where?', retrieverTopK: services.config.maxRequestRetrieverTopK + 1 });
    expect(over.status).toBe(400);
    expect(over.body.error.field).toBe('retrieverTopK');
    await expect(runCommand(askCommand, 'Where?', '--top-k', '0', '--data-dir', services.dir, '--model-dir', services.config.modelDir)).rejects.toThrow(
      /topK/u,
    );
  });

  it('keeps internal addresses out of 5xx messages', () => {
    expect(publicMessage('Elasticsearch at http://10.0.0.7:9200/docqa is unreachable (search): connect ECONNREFUSED')).toBe(
      'Elasticsearch at <internal address> is unreachable (search): connect ECONNREFUSED',
    );
    expect(publicMessage('cannot open the SQLite store at /var/lib/docqa/store.sqlite: disk I/O error')).toBe(
      'cannot open the SQLite store at <internal path>: disk I/O error',
    );
  });
});

describe('open mode (no keys): host and origin checks, CORS, security headers, names', () => {
  let services: S;
  let app: Express;
  beforeAll(async () => {
    services = await tempServices({ corsOrigins: ['https://app.example'] });
    app = await services.httpApp();
  });
  afterAll(async () => {
    await services.cleanup();
  });

  it('refuses unknown Host names (DNS rebinding) and cross-origin writes', async () => {
    expect((await request(app).get('/v1/documents').set('Host', 'rebind.attacker.example')).status).toBe(403);
    expect((await request(app).get('/v1/documents').set('Host', 'localhost:8080')).status).toBe(200);
    expect((await request(app).get('/v1/documents').set('Host', '192.168.1.5:8080')).status).toBe(200);
    expect((await request(app).get('/healthz').set('Host', 'rebind.attacker.example')).status).toBe(200);
    const evil = await request(app)
      .post('/v1/documents?name=x.txt')
      .set('Origin', 'https://evil.example')
      .set('Content-Type', 'text/plain')
      .send('planted');
    expect(evil.status).toBe(403);
    expect(evil.body.error.message).toContain('cross-origin');
    const allowed = await request(app).post('/v1/documents?name=x.txt').set('Origin', 'https://app.example').set('Content-Type', 'text/plain').send('fine');
    expect(allowed.status).toBe(201);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('answers CORS preflight for allowed origins only', async () => {
    const ok = await request(app)
      .options('/v1/ask')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,authorization');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(ok.headers['access-control-allow-headers']).toContain('Authorization');
    const no = await request(app).options('/v1/ask').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends security headers', async () => {
    const res = await request(app).get('/healthz');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('validates document names the same way from JSON, ?name= and multipart', async () => {
    const long = 'n'.repeat(1025);
    for (const bad of ['a\r\nb.txt', 'a\u001b[31mb.txt', long, 'lone\ud800.txt']) {
      const json = await request(app).post('/v1/documents').send({ name: bad, text: 'x' });
      expect([bad, json.status, json.body.error?.field]).toEqual([bad, 400, 'name']);
      if (bad.includes('\ud800')) continue; // UTF-8 (query, multipart) cannot carry a lone surrogate: see below
      const query = await request(app).post(`/v1/documents?name=${encodeURIComponent(bad)}`).type('text/plain').send('x');
      expect([bad, 'query', query.status, query.body.error?.field]).toEqual([bad, 'query', 400, 'name']);
      const multi = await request(app).post('/v1/documents').attach('file', Buffer.from('text'), { filename: bad });
      expect([bad, 'multipart', multi.status]).toEqual([bad, 'multipart', 400]); // busboy may refuse the header itself
    }
    // an encoded lone surrogate (invalid UTF-8) arrives as U+FFFD: the name stored, echoed and listed is the same
    const odd = await request(app).post('/v1/documents?name=lone%ED%A0%80.txt').type('text/plain').send('x');
    expect(odd.status).toBe(201);
    const listed = await request(app).get('/v1/documents');
    expect(listed.body.documents.map((d: { name: string }) => d.name)).toContain(odd.body.name);
  });
});
