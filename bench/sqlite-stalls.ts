/**
 * Where the event loop's longest waits during a big SQLite write come from (docs/performance.md, "Where the
 * remaining stalls come from"): the store's schema (src/store/sqlite.ts), dev-b paragraphs inserted as passages in
 * transactions of --chunk, on one connection in this thread, as the store's staged writes do; each SQLite setting a
 * fresh database, side by side in one run. Prints each transaction's p50 / p99 / max and the commit's max: a
 * transaction longer than DOCQA_STORE_WRITE_SLICE_MS is time the event loop cannot get back between two inserts.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/sqlite-stalls.js [--passages 20000] [--chunk 100]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { squadDir } from '../src/data/fetch.js';
import { SCHEMA } from '../src/store/sqlite.js';

const { values: args } = parseArgs({
  options: { passages: { type: 'string', default: '20000' }, chunk: { type: 'string', default: '100' }, data: { type: 'string', default: 'data' } },
});
const total = Number(args.passages);
const chunk = Number(args.chunk);
const devB = JSON.parse(fs.readFileSync(path.join(squadDir(args.data), 'squad-v1.1-dev-b.json'), 'utf8')) as { data: { paragraphs: { context: string }[] }[] };
const texts = devB.data.flatMap((a) => a.paragraphs.map((p) => p.context));

interface Variant {
  name: string;
  chunk?: number;
  setup?: (db: Database.Database) => void;
}
const fts = (db: Database.Database, command: string, value: number) => db.exec(`INSERT INTO passages_fts(passages_fts, rank) VALUES ('${command}', ${value})`);
const variants: Variant[] = [
  { name: "docqa's (FTS5 defaults, WAL auto-checkpoint 1,000 pages)" },
  { name: 'no WAL auto-checkpoint (`wal_autocheckpoint=0`)', setup: (db) => db.pragma('wal_autocheckpoint = 0') },
  { name: 'no WAL auto-checkpoint, no FTS5 automerge', setup: (db) => (db.pragma('wal_autocheckpoint = 0'), fts(db, 'automerge', 0)) },
  { name: `transactions of ${Math.max(1, Math.round(chunk / 4))} passages (docqa's settings)`, chunk: Math.max(1, Math.round(chunk / 4)) },
  { name: 'FTS5 `hashsize` 64 KiB (default 1 MiB)', setup: (db) => fts(db, 'hashsize', 65536) },
];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
console.log(`${total} dev-b passages, transactions of ${chunk} unless said; each row a fresh database`);
console.log('| SQLite setting (same inserts) | transaction p50 ms | p99 ms | max ms | commit max ms | total s |');
console.log('|---|---|---|---|---|---|');
for (const v of variants) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-stalls-'));
  const db = new Database(path.join(dir, 'store.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    v.setup?.(db);
    db.prepare(`INSERT INTO documents (id, source, name, page_count, passage_count, char_count, created_at) VALUES ('d', 'd', 'd', 0, ?, 0, '')`).run(total);
    const insert = db.prepare('INSERT INTO passages (id, doc_id, seq, text, char_start, char_end, page, heading) VALUES (?, ?, ?, ?, 0, 0, NULL, NULL)');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const size = v.chunk ?? chunk;
    const txn: number[] = [];
    const commits: number[] = [];
    const started = performance.now();
    for (let from = 0; from < total; from += size) {
      const t0 = performance.now();
      begin.run();
      for (let i = from; i < Math.min(total, from + size); i++) insert.run(`d:${i}`, 'd', i, texts[i % texts.length]!);
      const t1 = performance.now();
      commit.run();
      const t2 = performance.now();
      txn.push(t2 - t0);
      commits.push(t2 - t1);
    }
    const seconds = (performance.now() - started) / 1000;
    txn.sort((a, b) => a - b);
    console.log(`| ${v.name} | ${pct(txn, 50).toFixed(1)} | ${pct(txn, 99).toFixed(1)} | ${txn.at(-1)!.toFixed(1)} | ${Math.max(...commits).toFixed(1)} | ${seconds.toFixed(2)} |`);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
