/**
 * A real `docqa serve` child process (dist/): unauthenticated huge bodies are refused before they are read (its RSS
 * stays flat), and SIGTERM lets in-flight requests finish.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, stopServer } from '../helpers/dist.js';
import { TINY_ROBERTA } from '../helpers/services.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-srv-'));
  dirs.push(dir);
  return { PATH: process.env.PATH, DOCQA_DATA_DIR: dir, DOCQA_MODEL_DIR: TINY_ROBERTA, DOCQA_LOG_LEVEL: 'silent', ...extra };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/u.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** POSTs `body` (announced with its full Content-Length) and resolves with the status, ignoring a cut upload. */
function post(url: string, pathname: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${pathname}`, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', (err) => (err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : reject(err)));
    req.end(body);
  });
}

describe('docqa serve (child process): limits before the body, drain on SIGTERM', () => {
  it('refuses unauthenticated 49 MB and gzip bodies before reading them: RSS stays flat', async () => {
    const { server, url } = await startServer(env({ DOCQA_API_KEYS: 'the-key' }));
    try {
      const before = rssMb(server.pid!);
      const big = Buffer.alloc(49 * 1024 * 1024, 0x61);
      const bomb = gzipSync(Buffer.alloc(49 * 1024 * 1024, 0x20));
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push(await post(url, '/v1/documents?name=a.txt', { 'content-type': 'text/plain' }, big));
      statuses.push(
        ...(await Promise.all(
          Array.from({ length: 32 }, () => post(url, '/v1/ask', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, bomb)),
        )),
      );
      const after = rssMb(server.pid!);
      process.stdout.write(`[server-limits] RSS before ${before.toFixed(0)} MB, after 4x49 MB + 32 gzip bombs: ${after.toFixed(0)} MB\n`);
      expect(new Set(statuses)).toEqual(new Set([401]));
      // not one body was buffered: growth stays far below a single 49 MB body
      expect(after - before).toBeLessThan(40);
    } finally {
      await stopServer(server);
    }
  });

  it('a body that trickles in (1 byte every 250 ms) is cut with 408 once DOCQA_REQUEST_TIMEOUT_MS has passed', async () => {
    const { server, url } = await startServer(env({ DOCQA_REQUEST_TIMEOUT_MS: '3000', DOCQA_HEADERS_TIMEOUT_MS: '3000' }));
    try {
      const { hostname, port } = new URL(url);
      const declared = 1000;
      const outcome = await new Promise<{ reply: string; sent: number; ms: number }>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname);
        const start = Date.now();
        let reply = '';
        let sent = 0;
        let timer: NodeJS.Timeout | undefined;
        // a safety stop for the test itself, far above the 3 s limit under test (not a performance threshold)
        const stop = setTimeout(() => {
          socket.destroy();
          reject(new Error(`the server kept a trickling request open for 90 s (${sent} bytes sent)`));
        }, 90_000);
        socket.on('connect', () => {
          socket.write(
            `POST /v1/documents?name=slow.txt HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: text/plain\r\n` +
              `Content-Length: ${declared}\r\n\r\n`,
          );
          timer = setInterval(() => {
            if (sent < declared && !socket.destroyed) {
              socket.write('a');
              sent++;
            }
          }, 250);
        });
        socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(timer);
          clearTimeout(stop);
          resolve({ reply, sent, ms: Date.now() - start });
        });
      });
      process.stdout.write(`[server-limits] trickling body cut after ${outcome.ms} ms, ${outcome.sent} of ${declared} bytes sent\n`);
      expect(outcome.reply.startsWith('HTTP/1.1 408')).toBe(true);
      expect(outcome.sent).toBeLessThan(declared);
      // the server is still up and answers
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await stopServer(server);
    }
  });

  it('SIGTERM: an upload in flight finishes (201), new connections are refused, exit 0', async () => {
    const { server, url } = await startServer(env({ DOCQA_SHUTDOWN_TIMEOUT_MS: '20000' }));
    const text = Buffer.from('Nikola Tesla studied electrical engineering at the Polytechnic in Graz. '.repeat(50));
    const half = Math.floor(text.length / 2);
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const status = new Promise<number>((resolve, reject) => {
      const req = http.request(`${url}/v1/documents?name=inflight.txt`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'content-length': String(text.length) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write(text.subarray(0, half));
      setTimeout(() => {
        server.kill('SIGTERM');
        setTimeout(() => {
          // the server stopped accepting: a new connection fails
          http
            .get(`${url}/healthz`, () => reject(new Error('a new connection was accepted while draining')))
            .on('error', () => req.end(text.subarray(half)));
        }, 500);
      }, 500);
    });
    expect(await status).toBe(201);
    expect(await exited).toBe(0);
  });
});
