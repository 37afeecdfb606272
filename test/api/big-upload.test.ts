/**
 * A big upload and its DELETE leave the event loop free (issue 15): an in-process server (the app as `docqa serve`
 * builds it, real SQLite store) answers /healthz while it writes and deletes a document of thousands of passages,
 * because the store works in chunked transactions with the event loop free between them. Asserted structurally
 * (chunks run, /healthz answered between them); the event-loop delay is measured and printed, not asserted.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { CORPUS, tempServices } from '../helpers/services.js';

/** GETs /healthz back to back until stopped; resolves with how many were answered 200. */
function healthLoop(url: string) {
  let running = true;
  let ok = 0;
  const done = (async () => {
    while (running) {
      const res = await fetch(`${url}/healthz`);
      await res.text();
      if (res.status === 200 && running) ok++;
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return ok;
    },
  };
}

describe('a big upload and its DELETE', () => {
  let cleanup = async () => {};
  afterAll(() => cleanup());

  it('are written and deleted in chunks while /healthz is answered in between; the document is whole or absent', async () => {
    const chunk = 100;
    const services = await tempServices({ storeWriteChunk: chunk, passageWords: 20, passageOverlap: 0 });
    const server = http.createServer(await services.httpApp());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup = async () => {
      await new Promise((resolve) => server.close(resolve));
      await services.cleanup();
    };
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store = services.store as SqliteStore;
    const text = fs
      .readdirSync(CORPUS)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => fs.readFileSync(path.join(CORPUS, f), 'utf8'))
      .join('\n\n')
      .repeat(8);

    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const before = store.chunkedTransactions;
    const health = healthLoop(url);
    const started = performance.now();
    const res = await fetch(`${url}/v1/documents?name=big.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text });
    const uploadMs = performance.now() - started;
    const healthDuringUpload = await health.stop();
    lag.disable();
    const up = (await res.json()) as { status: string; documentId: string; passages: number };
    expect(res.status).toBe(201);
    expect(up.status).toBe('created');
    expect(up.passages).toBeGreaterThan(20 * chunk);
    const chunks = store.chunkedTransactions - before;
    expect(chunks).toBeGreaterThanOrEqual(Math.ceil(up.passages / chunk)); // at most `chunk` passages per transaction
    expect(healthDuringUpload).toBeGreaterThan(0); // the server answered while the document was being written
    const stored = await store.getPassages(up.documentId);
    expect(stored.map((p) => p.seq)).toEqual(Array.from({ length: up.passages }, (_, i) => i));
    console.log(
      `upload: ${text.length} chars, ${up.passages} passages in ${chunks} chunks, ${uploadMs.toFixed(0)} ms; ` +
        `${healthDuringUpload} /healthz answered meanwhile; event-loop delay max ${(lag.max / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms`,
    );

    const deleteLag = monitorEventLoopDelay({ resolution: 5 });
    deleteLag.enable();
    const beforeDelete = store.chunkedTransactions;
    const health2 = healthLoop(url);
    const del = await fetch(`${url}/v1/documents/${up.documentId}`, { method: 'DELETE' });
    const healthDuringDelete = await health2.stop();
    deleteLag.disable();
    expect(del.status).toBe(204);
    expect(store.chunkedTransactions - beforeDelete).toBeGreaterThanOrEqual(Math.ceil(up.passages / chunk));
    expect(healthDuringDelete).toBeGreaterThan(0);
    expect(await store.getDocument(up.documentId)).toBeNull();
    expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
    console.log(`delete: ${healthDuringDelete} /healthz answered meanwhile; event-loop delay max ${(deleteLag.max / 1e6).toFixed(1)} ms`);
  }, 120_000);
});
