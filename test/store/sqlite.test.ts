import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { describeStoreContract, makeDoc } from './contract.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-sqlite-'));
}

describeStoreContract('sqlite', async () => {
  const dir = tempDir();
  const store = SqliteStore.inDataDir(dir);
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

// The same contract with every document of more than 2 passages written and deleted in chunks (staged writes, purges).
describeStoreContract('sqlite (chunked writes)', async () => {
  const dir = tempDir();
  const store = SqliteStore.inDataDir(dir, { writeChunk: 2 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore specifics', () => {
  it('reopens an existing file and finds what was written', async () => {
    const dir = tempDir();
    const d = makeDoc('a.txt', ['Photosynthesis turns light into chemical energy.']);
    const first = SqliteStore.inDataDir(dir);
    await first.init();
    await first.writeDocument(d.doc, d.passages);
    await first.close();
    const second = SqliteStore.inDataDir(dir);
    await second.init();
    expect((await second.search('photosynthesis', { topK: 3 }))[0]!.passage).toEqual(d.passages[0]);
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stems English words (porter): "erupted" finds "eruptions"', async () => {
    const store = new SqliteStore(':memory:');
    await store.init();
    const d = makeDoc('e.txt', ['Its eruptions are frequent.', 'Nothing relevant here.']);
    await store.writeDocument(d.doc, d.passages);
    const hits = await store.search('When has it erupted?', { topK: 3 });
    expect(hits.map((h) => h.passage.id)).toEqual([d.passages[0]!.id]);
    await store.close();
  });

  it('rolls a failed write back completely (no half-written document)', async () => {
    const dir = tempDir();
    const store = SqliteStore.inDataDir(dir);
    await store.init();
    const d = makeDoc('dup.txt', ['one passage', 'two passage']);
    // the second passage violates a NOT NULL constraint half-way through the write's transaction
    const broken = [d.passages[0]!, { ...d.passages[1]!, text: null as unknown as string }];
    await expect(store.writeDocument(d.doc, broken)).rejects.toThrow();
    expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
    expect(await store.getDocument(d.doc.id)).toBeNull();
    await store.close();
    // and the file on disk agrees
    const raw = new Database(path.join(dir, 'docqa.sqlite'), { readonly: true });
    expect((raw.prepare('SELECT count(*) AS n FROM passages').get() as { n: number }).n).toBe(0);
    raw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('drop removes the database file and its WAL from disk', async () => {
    const dir = tempDir();
    const store = SqliteStore.inDataDir(dir);
    await store.init();
    const d = makeDoc('a.txt', ['Photosynthesis turns light into chemical energy.']);
    await store.writeDocument(d.doc, d.passages);
    expect(fs.readdirSync(dir)).toContain('docqa.sqlite');
    await store.drop();
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports an unusable path as unavailable, naming it', async () => {
    const dir = tempDir();
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    const store = new SqliteStore(path.join(blocker, 'sub', 'docqa.sqlite'));
    await expect(store.init()).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.init()).rejects.toThrow(/a-file\/sub\/docqa\.sqlite/);
    expect(await store.ping()).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
