/**
 * The SQLite store's writer thread (src/store/sqlite-writer.ts) with the compiled worker and a real file: the main
 * connection's reads and small writes go on while the worker writes a big document, the worker's SQLite errors come
 * back with their codes, and a dead worker fails only its own request.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { WorkerPassageWriter } from '../../src/store/sqlite-writer.js';
import { makeDoc } from './contract.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const DIST_WRITER = pathToFileURL(path.join(PACKAGE_ROOT, 'dist', 'store', 'sqlite-writer-worker.js'));
const EXITING = pathToFileURL(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'store', 'exiting-writer.mjs'));

const tempDir = tempDirs('docqa-sqlite-writer-');

const bigDoc = (name: string, n: number, marker: string) =>
  makeDoc(name, Array.from({ length: n }, (_, i) => `${marker} passage ${i} of ${name}, about mills, rivers and ${i % 11} bridges.`));

describe('the SQLite writer thread', () => {
  it('writes a big document in the worker while this thread reads and writes small documents', async () => {
    const dir = tempDir();
    const store = SqliteStore.inDataDir(dir, { writeChunk: 100, writeThread: 'worker', writerScript: DIST_WRITER });
    await store.init();
    const big = bigDoc('big.txt', 3000, 'omega');
    const writing = store.writeDocument(big.doc, big.passages);
    const smalls = Array.from({ length: 20 }, (_, i) => makeDoc(`small-${i}.txt`, [`omega small note ${i} about a mill`]));
    const seen: boolean[] = [];
    for (const s of smalls) {
      // each small write waits at most for one chunk's transaction of the worker (busy_timeout), never fails
      expect((await store.writeDocument(s.doc, s.passages)).status).toBe('created');
      seen.push((await store.getDocument(big.doc.id)) !== null);
      expect((await store.search('omega', { topK: 50 })).every((h) => h.passage.docId !== big.doc.id || seen.at(-1))).toBe(true);
    }
    expect(await writing).toMatchObject({ status: 'created' });
    expect(store.writerThread).toBe('worker');
    expect(seen.includes(false)).toBe(true); // the small writes ran while the big one was staged
    expect(await store.counts()).toEqual({ documents: 21, passages: 3020 });
    expect(await store.getPassages(big.doc.id)).toHaveLength(3000);
    // its DELETE: gone at once, passages purged by the worker
    expect(await store.deleteDocument(big.doc.id)).toBe(true);
    expect(await store.counts()).toEqual({ documents: 20, passages: 20 });
    await store.close();
    const db = new Database(path.join(dir, 'docqa.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM passages').pluck().get()).toBe(20);
    expect(db.prepare('SELECT count(*) AS n FROM staged_writes').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM purges').pluck().get()).toBe(0);
    db.close();
  });

  it("returns the worker's SQLite errors with their codes, its transaction rolled back", async () => {
    const dir = tempDir();
    const store = SqliteStore.inDataDir(dir);
    await store.init();
    await store.close();
    const writer = new WorkerPassageWriter(path.join(dir, 'docqa.sqlite'), DIST_WRITER);
    try {
      const { passages } = bigDoc('dup.txt', 3, 'sigma');
      await expect(writer.insert(passages[0]!.docId, [passages[0]!, passages[1]!, passages[0]!], 1, Number.POSITIVE_INFINITY)).rejects.toMatchObject({
        code: 'SQLITE_CONSTRAINT_UNIQUE',
      });
      expect(await writer.insert(passages[0]!.docId, passages, 1, Number.POSITIVE_INFINITY)).toBe(3); // nothing was left behind
    } finally {
      await writer.close();
    }
    await expect(writer.purge('x', 10)).rejects.toThrow(/closed/);
  });

  it('fails the request of a worker that dies with a 503-kind error', async () => {
    const dir = tempDir();
    const writer = new WorkerPassageWriter(path.join(dir, 'docqa.sqlite'), EXITING);
    try {
      await expect(writer.purge('x', 10)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/exited with code 3/) });
      // a new worker for the next request (which dies the same way)
      await expect(writer.purge('y', 10)).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await writer.close();
    }
  });

  it('runs on the event loop for a store in memory, whatever the setting', async () => {
    const store = new SqliteStore(':memory:', { writeChunk: 10, writeThread: 'worker', writerScript: DIST_WRITER });
    await store.init();
    const { doc, passages } = bigDoc('mem.txt', 25, 'tau');
    expect((await store.writeDocument(doc, passages)).status).toBe('created');
    expect(store.writerThread).toBe('main');
    expect(await store.getPassages(doc.id)).toHaveLength(25);
    await store.close();
  });
});
