/**
 * A raw upload body of announced size is read into one buffer of that size (src/api/body.ts, knownLengthBody);
 * chunked ones still go through express.raw. Both give the same document; a declared size over the limit is refused
 * before the body is read; a client that gives up mid-body loses nothing and leaves the server working; the memory
 * reserved for announced bodies is bounded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { knownLengthBody } from '../../src/api/body.js';
import { tempServices } from '../helpers/services.js';

const LIMIT = 64 * 1024;

describe('raw upload bodies', () => {
  let url = '';
  let port = 0;
  let cleanup = async () => {};
  beforeAll(async () => {
    const services = await tempServices({ maxUploadBytes: LIMIT });
    const server = http.createServer(await services.httpApp());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    cleanup = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await services.cleanup();
    };
  });
  afterAll(() => cleanup());

  const count = async () => ((await (await fetch(`${url}/v1/documents`)).json()) as { total: number }).total;

  it('stores the same bytes whether the body has a Content-Length or comes chunked', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `Line ${i}: the mill at Ærø – 東京 𝄞 – turned ${i % 7} wheels.`).join('\n');
    const bytes = Buffer.from(text, 'utf8');
    expect(bytes.length).toBeLessThan(LIMIT);
    const known = await fetch(`${url}/v1/documents?name=known.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: bytes });
    const chunks = [bytes.subarray(0, 1000), bytes.subarray(1000, 5001), bytes.subarray(5001)];
    const chunked = await fetch(`${url}/v1/documents?name=chunked.txt`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new ReadableStream({
        start(controller) {
          for (const c of chunks) controller.enqueue(c);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(known.status).toBe(201);
    const a = (await known.json()) as { documentId: string; chars: number };
    const b = (await chunked.json()) as { documentId: string; duplicateOf?: string };
    expect(chunked.status).toBe(200); // the same text, stored once
    expect(b.documentId).toBe(a.documentId);
    expect(b.duplicateOf).toBe('known.txt');
    expect(a.chars).toBe(text.length);
  });

  it('refuses a declared size over the limit with 413 before reading the body', async () => {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${url}/v1/documents?name=huge.txt`, { method: 'POST', headers: { 'content-type': 'text/plain', 'content-length': String(LIMIT + 1) } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('only a few bytes of the announced body'); // and never the rest: the reply must not wait for it
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).error).toMatchObject({ code: 'too_large' });
  });

  it('loses nothing when the client gives up mid-body, and goes on serving', async () => {
    const before = await count();
    await new Promise<void>((resolve) => {
      const req = http.request(`${url}/v1/documents?name=gave-up.txt`, { method: 'POST', headers: { 'content-type': 'text/plain', 'content-length': '50000' } });
      req.on('error', () => resolve());
      req.write('x'.repeat(1000), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await count()).toBe(before);
    const after = await fetch(`${url}/v1/documents?name=after.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'A later upload about mills and rivers.' });
    expect(after.status).toBe(201);
    expect(await count()).toBe(before + 1);
  });
});

describe('knownLengthBody', () => {
  it('takes a buffer only while the announced sizes in progress fit its reserve; past it, leaves the body to the next parser', async () => {
    const app = express();
    app.post('/', knownLengthBody(1000, () => true, 1500), (req, res) => {
      res.json({ buffered: Buffer.isBuffer(req.body), bytes: Buffer.isBuffer(req.body) ? req.body.length : null });
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const post = (bytes: number) => fetch(target, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(bytes, 1) }).then((r) => r.json());
    try {
      // a slow client announces 1,000 bytes and sends 10: its buffer is reserved meanwhile
      const slow = http.request(target, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': '1000' } });
      const replyA = new Promise((resolve, reject) => {
        slow.on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(JSON.parse(body)));
        });
        slow.on('error', reject);
      });
      await new Promise<void>((resolve) => slow.write(Buffer.alloc(10, 2), () => resolve()));
      await new Promise((r) => setTimeout(r, 50));
      expect(await post(800)).toEqual({ buffered: false, bytes: null }); // 1,000 + 800 > 1,500: not read here
      expect(await post(400)).toEqual({ buffered: true, bytes: 400 }); // 1,000 + 400 fits
      slow.end(Buffer.alloc(990, 2));
      expect(await replyA).toEqual({ buffered: true, bytes: 1000 });
      expect(await post(800)).toEqual({ buffered: true, bytes: 800 }); // the reservations were given back
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
