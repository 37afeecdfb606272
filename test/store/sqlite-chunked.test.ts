/**
 * Big documents are written and deleted in chunks with the event loop free in between (issue 15), and stay atomic
 * for readers: a staged write is invisible until its last small transaction, a delete hides the document first, a
 * write killed midway is swept once its process is gone.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIN_CHUNK, SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import { makeDoc } from './contract.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs('docqa-sqlite-chunked-');

/** A document of `n` passages, each with the word `marker` (so search finds them all). */
function bigDoc(name: string, n: number, marker: string, source = name) {
  return makeDoc(
    name,
    Array.from({ length: n }, (_, i) => `${marker} passage number ${i} of ${name} with some words about rivers and ${i % 7} bridges.`),
    { source },
  );
}

/** Counts event-loop turns (setImmediate callbacks) until stopped, and runs `probe` at each. */
function loopTurns(probe: () => void = () => {}) {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    probe();
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

const rawPassages = (dir: string) => {
  const db = new Database(path.join(dir, 'docqa.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM passages').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** The compiled writer worker (test/global-setup.ts builds dist/ before every run). */
const DIST_WRITER = pathToFileURL(path.join(PACKAGE_ROOT, 'dist', 'store', 'sqlite-writer-worker.js'));

// every test twice: the passage transactions on the event loop, and in the writer thread (the default when built)
describe.each([
  { thread: 'main' as const, options: { writeThread: 'main' } satisfies SqliteStoreOptions },
  { thread: 'worker' as const, options: { writeThread: 'worker', writerScript: DIST_WRITER } satisfies SqliteStoreOptions },
])('SqliteStore chunked writes and deletes, transactions on the $thread thread', ({ thread, options: threadOptions }) => {
  const open = (dir: string, options: SqliteStoreOptions) => SqliteStore.inDataDir(dir, { ...options, ...threadOptions });

  it('writes a big document in chunks, yielding to the event loop, and shows it only whole', async () => {
    const dir = tempDir();
    const store = open(dir, { writeChunk: 50, sliceMs: 1e9 }); // chunks by count only: exactly 20
    await store.init();
    const small = makeDoc('small.txt', ['alpha rivers and bridges of the north']);
    await store.writeDocument(small.doc, small.passages);
    const { doc, passages } = bigDoc('big.txt', 1000, 'alpha');
    const seen: { visible: boolean; hits: number; passages: number }[] = [];
    let probing = Promise.resolve();
    const turns = loopTurns(() => {
      // what a reader sees between two chunks (the probe runs on the same thread, between transactions)
      probing = probing.then(async () => {
        const visible = (await store.getDocument(doc.id)) !== null;
        const hits = (await store.search('alpha', { topK: 5 })).filter((h) => h.passage.docId === doc.id).length;
        seen.push({ visible, hits, passages: (await store.counts()).passages });
      });
    });
    const before = store.chunkedTransactions;
    const result = await store.writeDocument(doc, passages);
    const yielded = turns.stop();
    await probing;
    expect(result.status).toBe('created');
    expect(store.writerThread).toBe(thread);
    expect(store.chunkedTransactions - before).toBe(20); // 1000 passages / 50
    expect(yielded).toBeGreaterThanOrEqual(20); // the event loop ran between every two chunks
    expect(seen.length).toBeGreaterThanOrEqual(20);
    // while staging: not listed, not found, not counted; never half
    for (const s of seen.filter((x) => !x.visible)) expect(s).toEqual({ visible: false, hits: 0, passages: 1 });
    expect(seen.some((s) => !s.visible)).toBe(true);
    // after: whole
    expect(await store.getPassages(doc.id)).toHaveLength(1000);
    expect((await store.search('alpha', { topK: 5 })).length).toBe(5);
    expect(await store.counts()).toEqual({ documents: 2, passages: 1001 });
    await store.close();
  });

  it('on the event loop, ends a chunk early once it has run sliceMs (never below MIN_CHUNK); in the writer, never', async () => {
    const store = open(tempDir(), { writeChunk: 500, sliceMs: 1e-6 });
    await store.init();
    const { doc, passages } = bigDoc('sliced.txt', 600, 'theta');
    await store.writeDocument(doc, passages);
    // main: 6 chunks of 100, not 2 of 500 (nor 600 of 1); worker: 500 + 100, the writer holds no event loop
    expect(store.chunkedTransactions).toBe(thread === 'main' ? 600 / MIN_CHUNK : 2);
    expect(await store.getPassages(doc.id)).toHaveLength(600);
    await store.close();
  });

  it('hides a big document at once on delete, then deletes its passages in chunks', async () => {
    const dir = tempDir();
    const store = open(dir, { writeChunk: 100 });
    await store.init();
    const { doc, passages } = bigDoc('big.txt', 1000, 'beta');
    await store.writeDocument(doc, passages);
    const seen: boolean[] = [];
    const turns = loopTurns(() => {
      void store.getDocument(doc.id).then((d) => seen.push(d !== null));
    });
    const before = store.chunkedTransactions;
    expect(await store.deleteDocument(doc.id)).toBe(true);
    const yielded = turns.stop();
    expect(store.chunkedTransactions - before).toBeGreaterThanOrEqual(10);
    expect(yielded).toBeGreaterThanOrEqual(10);
    expect(seen.every((v) => v === false)).toBe(true); // gone at the first chunk already
    expect(await store.search('beta', { topK: 3 })).toEqual([]);
    expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
    expect(await store.deleteDocument(doc.id)).toBe(false);
    await store.close();
    expect(rawPassages(dir)).toBe(0);
  });

  it('replaces a big document by source: the old one stays whole until the new one is committed, then is purged', async () => {
    const dir = tempDir();
    const store = open(dir, { writeChunk: 100 });
    await store.init();
    const v1 = bigDoc('doc.txt', 500, 'gamma', 'shared/doc.txt');
    const v2 = bigDoc('doc.txt', 700, 'delta', 'shared/doc.txt');
    await store.writeDocument(v1.doc, v1.passages);
    const seen: string[] = [];
    const turns = loopTurns(() => {
      void store.findDocumentBySource('shared/doc.txt').then((d) => seen.push(d?.id === v1.doc.id ? 'v1' : d?.id === v2.doc.id ? 'v2' : 'none'));
    });
    const result = await store.writeDocument(v2.doc, v2.passages);
    turns.stop();
    expect(result).toEqual({ status: 'replaced', documentId: v2.doc.id, replacedIds: [v1.doc.id] });
    expect(seen).not.toContain('none');
    expect(seen.indexOf('v2') === -1 || seen.slice(seen.indexOf('v2')).every((s) => s === 'v2')).toBe(true);
    expect(await store.search('gamma', { topK: 3 })).toEqual([]);
    expect(await store.counts()).toEqual({ documents: 1, passages: 700 });
    await store.close();
    expect(rawPassages(dir)).toBe(700);
  });

  it('writes the same big document twice at once: one created, one unchanged', async () => {
    const dir = tempDir();
    const store = open(dir, { writeChunk: 100 });
    await store.init();
    const { doc, passages } = bigDoc('twice.txt', 600, 'epsilon');
    const results = await Promise.all([store.writeDocument(doc, passages), store.writeDocument(doc, passages)]);
    expect(results.map((r) => r.status).sort()).toEqual(['created', 'unchanged']);
    expect(await store.counts()).toEqual({ documents: 1, passages: 600 });
    await store.close();
  });

  it('sweeps a staged write whose process died, searches exactly meanwhile, and writes the document again', async () => {
    const dir = tempDir();
    const store = open(dir, { writeChunk: 100 });
    await store.init();
    const keep = bigDoc('keep.txt', 3, 'zeta');
    await store.writeDocument(keep.doc, keep.passages);
    await store.close();
    // what a process killed mid-write leaves: its staged_writes row and passages without a document row
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const { doc, passages } = bigDoc('killed.txt', 300, 'zeta zeta zeta');
    const raw = new Database(path.join(dir, 'docqa.sqlite'));
    raw.pragma('foreign_keys = OFF');
    raw.prepare('INSERT INTO staged_writes (doc_id, pid, host, touched_at) VALUES (?, ?, ?, ?)').run(doc.id, dead, os.hostname(), Date.now());
    const insert = raw.prepare('INSERT INTO passages (id, doc_id, seq, text, char_start, char_end, page) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const p of passages.slice(0, 200)) insert.run(p.id, p.docId, p.seq, p.text, p.charStart, p.charEnd, p.page);
    raw.close();

    const reopened = open(dir, { writeChunk: 100 });
    await reopened.init();
    // the leftovers rank higher for "zeta" but are not a document: the 3 passages of keep.txt are the whole answer
    const hits = await reopened.search('zeta', { topK: 3 });
    expect(hits.map((h) => h.document.name)).toEqual(['keep.txt', 'keep.txt', 'keep.txt']);
    expect(await reopened.counts()).toEqual({ documents: 1, passages: 3 });
    expect(await reopened.sweepOrphans()).toEqual({ passages: 200, markers: 1 });
    expect(rawPassages(dir)).toBe(3);
    expect((await reopened.writeDocument(doc, passages)).status).toBe('created');
    expect(await reopened.counts()).toEqual({ documents: 2, passages: 303 });
    expect(await reopened.sweepOrphans()).toEqual({ passages: 0, markers: 0 });
    await reopened.close();
  });

  it('leaves a staged write of a live process alone, and refuses to write the same document meanwhile', async () => {
    const dir = tempDir();
    const store = open(dir, { writeChunk: 100 });
    await store.init();
    const { doc, passages } = bigDoc('busy.txt', 300, 'eta');
    const raw = new Database(path.join(dir, 'docqa.sqlite'));
    // the parent of this test process is alive and not this process: another writer
    raw.prepare('INSERT INTO staged_writes (doc_id, pid, host, touched_at) VALUES (?, ?, ?, ?)').run(doc.id, process.ppid, os.hostname(), Date.now());
    raw.close();
    expect(await store.sweepOrphans()).toEqual({ passages: 0, markers: 0 });
    await expect(store.writeDocument(doc, passages)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/is writing the same document/) });
    await store.close();
  });
});
