/**
 * Issue 16: a full disk and a read-only data folder, on real small file systems (tmpfs). On a full disk the CLI
 * used to fail file after file as [internal], uploads and deletes answered 500, and a read-only data folder blocked
 * even read-only commands with "unable to open database file". Now: the batch stops at once naming the cause
 * (SQLITE_FULL / ENOSPC, exit code 6), uploads and deletes answer 507 insufficient_storage while /readyz stays
 * 200 and asks keep working, the store stays consistent, and a read-only folder serves every read.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DIST_CLI, startServer, stopServer } from '../helpers/dist.js';
import { TINY_ROBERTA } from '../helpers/services.js';
import { canMountTmpfs, mountTmpfs, wordyTexts, type Tmpfs } from './helpers/tmpfs.js';

const mountable = canMountTmpfs('full-disk and read-only data tests');

function cli(dataDir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCQA_DATA_DIR: dataDir, DOCQA_MODEL_DIR: TINY_ROBERTA, DOCQA_LOG_LEVEL: 'silent' };
  for (const k of Object.keys(env)) if (k.startsWith('DOCQA_') && !['DOCQA_DATA_DIR', 'DOCQA_MODEL_DIR', 'DOCQA_LOG_LEVEL'].includes(k)) delete env[k];
  const r = spawnSync(process.execPath, [DIST_CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The store is consistent: every document has exactly its passages, the FTS index matches, SQLite's check passes. */
async function checkConsistent(dir: string): Promise<{ documents: number; passages: number }> {
  const db = new Database(path.join(dir, 'docqa.sqlite'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const bad = db
      .prepare('SELECT d.name, d.passage_count, (SELECT count(*) FROM passages p WHERE p.doc_id = d.id) AS n FROM documents d')
      .all() as { name: string; passage_count: number; n: number }[];
    for (const b of bad) expect(b.n, b.name).toBe(b.passage_count);
  } finally {
    db.close();
  }
  const store = SqliteStore.inDataDir(dir);
  try {
    return await store.counts();
  } finally {
    await store.close();
  }
}

describe.runIf(mountable)('a full disk and a read-only data folder (real tmpfs)', () => {
  let fsys: Tmpfs;
  let source: string;
  let server: ChildProcess | null = null;
  beforeAll(() => {
    source = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-disk-src-'));
    wordyTexts(24, 160).forEach((t, i) => fs.writeFileSync(path.join(source, `f${String(i).padStart(2, '0')}.txt`), t));
  });
  afterEach(async () => {
    if (server) await stopServer(server);
    server = null;
    fsys?.readWrite();
    fsys?.unmount();
  });
  afterAll(() => fs.rmSync(source, { recursive: true, force: true }));

  it('the CLI stops the batch at the first file the full disk refuses, naming the cause; the store stays consistent and readable', async () => {
    fsys = mountTmpfs(4);
    const r = cli(fsys.dir, 'ingest', source, '--no-progress', '--concurrency', '1');
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/disk holding the SQLite store .* is full \((SQLITE_FULL|ENOSPC)/u);
    expect(r.stdout + r.stderr).not.toMatch(/\[internal\]/u);
    const counts = await checkConsistent(fsys.dir);
    expect(counts.documents).toBeGreaterThan(0);
    expect(counts.documents).toBeLessThan(24);
    // read-only commands keep working on the full disk
    const list = cli(fsys.dir, 'documents', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { documents: unknown[] }).documents).toHaveLength(counts.documents);
    const ask = cli(fsys.dir, 'ask', 'Which pump station was inspected?', '--json');
    expect(ask.code, ask.stderr).toBe(0);
  }, 300_000);

  it('the server answers uploads and deletes with 507 on a full disk, stays ready and answers asks; space back, writes work again', async () => {
    fsys = mountTmpfs(4);
    const env = { PATH: process.env.PATH, DOCQA_DATA_DIR: fsys.dir, DOCQA_MODEL_DIR: TINY_ROBERTA, DOCQA_LOG_LEVEL: 'silent' };
    const started = await startServer(env);
    server = started.server;
    const url = started.url;
    // room kept aside, freed at the end to show that writes work again once there is space
    const ballast = path.join(fsys.dir, 'ballast');
    fs.writeFileSync(ballast, Buffer.alloc(1536 * 1024));
    const texts = wordyTexts(24, 160, 7);
    const statuses: number[] = [];
    let full: { error: { code: string; message: string } } | null = null;
    const ids: string[] = [];
    for (const [i, text] of texts.entries()) {
      const res = await fetch(`${url}/v1/documents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `u${i}.txt`, text }),
      });
      statuses.push(res.status);
      const body = (await res.json()) as { documentId?: string; error?: { code: string; message: string } };
      if (res.status === 507) {
        full = body as unknown as typeof full;
        break;
      }
      ids.push(body.documentId!);
    }
    expect(statuses.at(-1)).toBe(507);
    expect(statuses.slice(0, -1).every((s) => s === 201)).toBe(true);
    expect(full!.error.code).toBe('insufficient_storage');
    expect(full!.error.message).toMatch(/is full \((SQLITE_FULL|ENOSPC)/u);
    // no byte left at all: deletes need room in the write-ahead log too
    const filler = fsys.fill();
    const del = await fetch(`${url}/v1/documents/${ids[0]}`, { method: 'DELETE' });
    expect(del.status).toBe(507);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const ask = await fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'Which pump station was inspected?' }),
    });
    expect(ask.status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    fs.rmSync(filler);
    fs.rmSync(ballast);
    expect((await fetch(`${url}/v1/documents/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);
    await stopServer(server);
    server = null;
    const counts = await checkConsistent(fsys.dir);
    expect(counts.documents).toBe(ids.length - 1);
  }, 180_000);

  it('a read-only data folder serves every read (CLI and server); writes fail clearly and /readyz stays 200', async () => {
    fsys = mountTmpfs(16);
    const ingest = cli(fsys.dir, 'ingest', path.join(source, 'f00.txt'), path.join(source, 'f01.txt'), '--no-progress');
    expect(ingest.code, ingest.stderr).toBe(0);
    fsys.readOnly();
    const list = cli(fsys.dir, 'documents', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { documents: unknown[] }).documents).toHaveLength(2);
    const ask = cli(fsys.dir, 'ask', 'Which pump station was inspected?', '--json');
    expect(ask.code, ask.stderr).toBe(0);
    expect((JSON.parse(ask.stdout) as { retrieved: number }).retrieved).toBeGreaterThan(0);
    const write = cli(fsys.dir, 'ingest', path.join(source, 'f02.txt'), '--no-progress');
    expect(write.code).toBe(3);
    expect(write.stderr).toMatch(/read-only/u);
    expect(write.stderr).not.toMatch(/unable to open database file/u);

    const started = await startServer({ PATH: process.env.PATH, DOCQA_DATA_DIR: fsys.dir, DOCQA_MODEL_DIR: TINY_ROBERTA, DOCQA_LOG_LEVEL: 'silent' });
    server = started.server;
    expect((await fetch(`${started.url}/readyz`)).status).toBe(200);
    const up = await fetch(`${started.url}/v1/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x.txt', text: 'The lighthouse keeper logs the ships.' }),
    });
    expect(up.status).toBe(503);
    expect(((await up.json()) as { error: { message: string } }).error.message).toMatch(/read-only/u);
    const docs = (await (await fetch(`${started.url}/v1/documents`)).json()) as { total: number };
    expect(docs.total).toBe(2);
  }, 300_000);
});
