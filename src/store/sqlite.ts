import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DocumentMeta, DocumentRecord, Passage } from '../documents/document.js';
import { CONFIG_DEFAULTS } from '../config.js';
import { metaValues } from '../documents/metadata.js';
import { DocqaError, InsufficientStorageError, UnavailableError, errorMessage } from '../errors.js';
import { normalizeFilters, typedValue, type NormalizedFilters } from './filters.js';
import { queryTerms } from './query.js';
import { checkTopK, checkWrite } from './validate.js';
import { yieldToEventLoop } from '../util/event-loop.js';
import { InlinePassageWriter, insertPassage, WorkerPassageWriter, type PassageWriter } from './sqlite-writer.js';
import type {
  DocumentStore,
  ListOptions,
  SearchHit,
  PassagePage,
  SearchOptions,
  StoreCounts,
  WriteResult,
} from './store.js';
import { STORE_SCHEMA_VERSION } from './store.js';

/**
 * One row per metadata value (a list gives one row per element), typed as metadata.ts says: strings in `str`;
 * numbers, booleans (0/1) and dates (epoch ms) in `num`. Filters are EXISTS subqueries over it (filters.ts).
 */
const META_SCHEMA = `
CREATE TABLE IF NOT EXISTS document_meta (
  doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  type TEXT NOT NULL,
  str TEXT,
  num REAL
);
CREATE INDEX IF NOT EXISTS document_meta_doc ON document_meta(doc_id);
CREATE INDEX IF NOT EXISTS document_meta_str ON document_meta(key, type, str);
CREATE INDEX IF NOT EXISTS document_meta_num ON document_meta(key, type, num);
`;

/**
 * Schema 1 -> 2: documents get a unique `source` (their old unique name: what identified them until then) and the
 * name loses its uniqueness (a table rebuild: SQLite cannot drop a constraint); document_meta is filled from the
 * metadata JSON. One transaction: a crash leaves schema 1, and the next open migrates again.
 */
const MIGRATE_1_TO_2 = `
CREATE TABLE documents_v2 (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  meta TEXT NOT NULL DEFAULT '{}',
  page_count INTEGER NOT NULL,
  passage_count INTEGER NOT NULL,
  char_count INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
INSERT INTO documents_v2 (id, source, name, meta, page_count, passage_count, char_count, created_at)
  SELECT id, name, name, meta, page_count, passage_count, char_count, created_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_v2 RENAME TO documents;
CREATE INDEX documents_name ON documents(name, source);
${META_SCHEMA}
`;

/** The tables of schema 2 (STORE_SCHEMA_VERSION), kept in `PRAGMA user_version`. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  meta TEXT NOT NULL DEFAULT '{}',
  page_count INTEGER NOT NULL,
  passage_count INTEGER NOT NULL,
  char_count INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_name ON documents(name, source);
CREATE TABLE IF NOT EXISTS passages (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  text TEXT NOT NULL,
  char_start INTEGER NOT NULL,
  char_end INTEGER NOT NULL,
  page INTEGER,
  heading TEXT
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
  text, content='passages', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
  INSERT INTO passages_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
  INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
${META_SCHEMA}
`;

/**
 * Writes and deletes of big documents in chunks (SqliteStore.writeDocument, deleteDocument). What a reader sees is
 * decided by the `documents` row alone: search joins every passage to its document, so passages whose document row
 * does not exist (yet, or any more) are invisible. A staged write inserts its passages in short transactions, then
 * makes the document visible in one small one (its row and metadata); a delete removes the row first (the document
 * is gone at once) and then its passages, in chunks. `staged_writes` names the writes in progress (which process, last
 * chunk), `purges` the documents whose passages are being deleted: while either has rows, search takes the join path
 * (exact). A write killed midway leaves its row in `staged_writes`; sweepOrphans() purges it once its process is gone.
 * Plain tables beside schema 2 (created on open), so older docqa versions read the store as before.
 */
const STAGING_SCHEMA = `
CREATE TABLE IF NOT EXISTS staged_writes (
  doc_id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  touched_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS purges (
  doc_id TEXT PRIMARY KEY
);
`;

export interface SqliteStoreOptions {
  /**
   * Documents of more passages than this are written and deleted in transactions of this many passages, with the
   * event loop free in between (storeWriteChunk); smaller ones in one transaction.
   */
  writeChunk?: number;
  /**
   * A chunk's transaction also ends once it has run this long (storeWriteSliceMs), and delete chunks are sized to
   * take about this long: the event loop is never held much longer, whatever the passages' size or the machine's load.
   */
  sliceMs?: number;
  /** A staged write whose process cannot be checked (another host) is taken for dead after this long without a chunk. */
  staleWriteMs?: number;
  /**
   * Where the passage transactions of staged writes and purges run (storeWriteThread): 'worker' (default) a worker
   * thread with its own connection, when the compiled worker script exists and the store is a file; 'main' the
   * event loop, between yields.
   */
  writeThread?: 'main' | 'worker';
  /** The writer worker script (tests pass the compiled one: their sources have none beside them). */
  writerScript?: URL;
}

/**
 * The fewest passages a chunk holds (unless writeChunk is smaller), however long it takes: every transaction costs
 * a commit and an FTS5 segment, and on a loaded machine sliceMs of wall time can be a handful of passages (measured:
 * without this floor, a 45 MB upload took 3x and its DELETE 8x the time of one transaction, at load 20 on 2 cores).
 */
export const MIN_CHUNK = 100;

/** A staged write from another host is taken for dead after this long without a chunk (like ORPHAN_GRACE_MS). */
export const STALE_WRITE_MS = 10 * 60_000;

/**
 * Staged writes running in this process, by store file and document id (every SqliteStore object of the file shares
 * it): a second write of the same document waits for the first, and a sweep leaves them alone.
 */
const STAGING = new Map<string, Promise<unknown>>();
const stagingKey = (file: string, docId: string) => `${path.resolve(file)}\0${docId}`;

/** Whether a process of this host is alive (EPERM: it is, but not ours). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface DocumentRow {
  id: string;
  source: string;
  name: string;
  meta: string;
  page_count: number;
  passage_count: number;
  char_count: number;
  created_at: string;
}

interface PassageRow {
  id: string;
  doc_id: string;
  seq: number;
  text: string;
  char_start: number;
  char_end: number;
  page: number | null;
  heading: string | null;
}

function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    meta: JSON.parse(row.meta) as DocumentMeta,
    pageCount: row.page_count,
    passageCount: row.passage_count,
    charCount: row.char_count,
    createdAt: row.created_at,
  };
}

function toPassage(row: PassageRow): Passage {
  const passage: Passage = {
    id: row.id,
    docId: row.doc_id,
    text: row.text,
    charStart: row.char_start,
    charEnd: row.char_end,
    page: row.page,
    seq: row.seq,
  };
  if (row.heading !== null) passage.heading = row.heading;
  return passage;
}

/**
 * The embedded store: one SQLite file with an FTS5 index over passage text, ranked with FTS5's bm25().
 * A document is visible whole or not at all: a small one is written in one transaction, a big one in chunks that stay
 * invisible until its row is committed (staged writes, above; their chunks in the writer thread, sqlite-writer.ts).
 */
export class SqliteStore implements DocumentStore {
  readonly kind = 'sqlite' as const;
  private db: Database.Database | null = null;
  private readonly writeChunk: number;
  private readonly staleWriteMs: number;
  private readonly sliceMs: number;
  private readonly writeThread: 'main' | 'worker';
  private readonly writerScript: URL | undefined;
  private passageWriter: PassageWriter | null = null;
  /** Whether the staging tables exist (not in a read-only snapshot of an older store). */
  private hasStaging = false;
  /** Chunked transactions run so far (writes and purges): lets tests see that a big write yielded. */
  chunkedTransactions = 0;

  /** `file` is a path, or ':memory:'. */
  constructor(
    private readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.writeChunk = Math.max(1, options.writeChunk ?? CONFIG_DEFAULTS.storeWriteChunk);
    this.staleWriteMs = options.staleWriteMs ?? STALE_WRITE_MS;
    this.sliceMs = options.sliceMs ?? CONFIG_DEFAULTS.storeWriteSliceMs;
    this.writeThread = options.writeThread ?? CONFIG_DEFAULTS.storeWriteThread;
    this.writerScript = options.writerScript;
  }

  /** Who runs the passage transactions of staged writes and purges (sqlite-writer.ts): chosen on first use. */
  private writer(db: Database.Database): PassageWriter {
    if (this.passageWriter) return this.passageWriter;
    const worker = this.writeThread === 'worker' && this.file !== ':memory:' && WorkerPassageWriter.available(this.writerScript);
    return (this.passageWriter = worker
      ? new WorkerPassageWriter(this.file, this.writerScript)
      : new InlinePassageWriter(db, (fn) => withoutForeignKeys(db, fn)));
  }

  /** Where the last staged write's or purge's passage transactions ran ('main' before any). */
  get writerThread(): 'main' | 'worker' {
    return this.passageWriter?.thread ?? 'main';
  }

  static inDataDir(dataDir: string, options: SqliteStoreOptions = {}): SqliteStore {
    return new SqliteStore(path.join(dataDir, 'docqa.sqlite'), options);
  }

  async init(): Promise<void> {
    this.open();
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    let db: Database.Database | undefined;
    try {
      if (this.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
      db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      migrate(db, this.file);
      db.exec(STAGING_SCHEMA);
      this.hasStaging = true;
      db.pragma('foreign_keys = ON');
      this.db = db;
      return db;
    } catch (err) {
      db?.close();
      if (err instanceof DocqaError) throw err; // a store of a newer schema
      if (this.file !== ':memory:' && fs.existsSync(this.file) && !writable(path.dirname(path.resolve(this.file)))) {
        return (this.db = this.openReadOnly());
      }
      throw this.storageError(err, 'open') ?? new UnavailableError(`cannot open the SQLite store at ${this.file}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Set when the store's folder is read-only: reads work on a snapshot, writes fail with a clear UnavailableError. */
  private readOnly = false;

  /**
   * A store in a read-only folder (a read-only mount, a backup): SQLite cannot open a WAL database there, even
   * read-only, because it cannot create the shared-memory file beside it. docqa reads a snapshot of the file
   * instead (in memory, as a rollback-journal database), so read-only commands work. An unfinished write-ahead log
   * beside it would hold committed data the snapshot lacks: then it refuses, naming the file.
   */
  private openReadOnly(): Database.Database {
    const wal = `${this.file}-wal`;
    if (fs.existsSync(wal) && fs.statSync(wal).size > 0) {
      throw new UnavailableError(
        `cannot open the SQLite store at ${this.file}: its folder is read-only and ${wal} holds writes not yet merged into it; ` +
          'open it once with write access (any docqa command) to merge them',
      );
    }
    try {
      const bytes = fs.readFileSync(this.file);
      // bytes 18-19 of the header: 2 = WAL, 1 = rollback journal (an in-memory database cannot be in WAL mode)
      if (bytes.length >= 20) bytes[18] = bytes[19] = 1;
      let db = new Database(bytes, { readonly: true });
      if (schemaVersion(db) < STORE_SCHEMA_VERSION) {
        // an older store: its snapshot is upgraded in memory (the file stays as it is until opened with write access)
        db.close();
        db = new Database(bytes);
        migrate(db, this.file);
      }
      db.prepare('SELECT count(*) FROM documents').get();
      const staging = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('staged_writes', 'purges')");
      this.hasStaging = (staging.get() as { n: number }).n === 2;
      this.readOnly = true;
      return db;
    } catch (err) {
      if (err instanceof DocqaError) throw err;
      throw new UnavailableError(`cannot open the SQLite store at ${this.file} (read-only folder): ${errorMessage(err)}`, { cause: err });
    }
  }

  /** A write's failure caused by where the store lives (full disk, read-only files), as a typed error; else null. */
  private storageError(err: unknown, action: string): Error | null {
    const code = (err as { code?: string })?.code ?? '';
    const dir = this.file === ':memory:' ? null : path.dirname(path.resolve(this.file));
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || (code.startsWith('SQLITE_IOERR') && dir !== null && diskFull(dir))) {
      return new InsufficientStorageError(
        `cannot ${action}: the disk holding the SQLite store ${this.file} is full (${code === 'SQLITE_FULL' || code === 'ENOSPC' ? code : `ENOSPC: ${code}`}); free some space and retry`,
        { cause: err },
      );
    }
    if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || (this.readOnly && code !== '')) {
      return new UnavailableError(`cannot ${action}: the SQLite store ${this.file} is read-only (${code || 'read-only folder'})`, { cause: err });
    }
    return null;
  }

  /** Runs a write, turning a full disk or read-only files into typed errors that name the cause. */
  private writing<T>(action: string, fn: () => T): T {
    if (this.readOnly) {
      throw new UnavailableError(`cannot ${action}: the SQLite store ${this.file} is read-only (its folder is not writable)`);
    }
    try {
      return fn();
    } catch (err) {
      throw this.storageError(err, action) ?? err;
    }
  }

  /** writing() for the writer's asynchronous transactions. */
  private async writingAsync<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.storageError(err, action) ?? err;
    }
  }

  /** The store's schema version (STORE_SCHEMA_VERSION once opened). */
  schemaVersion(): number {
    return schemaVersion(this.open());
  }

  async writeDocument(doc: DocumentRecord, passages: Passage[]): Promise<WriteResult> {
    const sorted = await checkWrite(doc, passages);
    const db = this.open();
    if (sorted.length > this.writeChunk && !this.readOnly) return this.stagedWrite(db, doc, sorted);
    const write = db.transaction((): WriteResult => {
      const existing = db.prepare('SELECT id FROM documents WHERE id = ?').get(doc.id) as { id: string } | undefined;
      if (existing) return { status: 'unchanged', documentId: doc.id, replacedIds: [] };
      const sameSource = db.prepare('SELECT id FROM documents WHERE source = ?').all(doc.source) as { id: string }[];
      const del = db.prepare('DELETE FROM documents WHERE id = ?');
      for (const old of sameSource) del.run(old.id);
      insertDocument(db, doc, passages.length);
      const insert = insertPassage(db);
      for (const p of sorted) insert(p);
      return {
        status: sameSource.length > 0 ? 'replaced' : 'created',
        documentId: doc.id,
        replacedIds: sameSource.map((r) => r.id),
      };
    });
    return this.writing(`write ${doc.source}`, () => write.immediate());
  }

  /**
   * A big document: its passages in transactions of writeChunk passages (invisible: no document row yet), with the
   * event loop free between them, then its row in one small transaction (visible at once, whole). A document of the
   * same source it replaces disappears in that same transaction; its passages are purged afterwards, in chunks.
   */
  private async stagedWrite(db: Database.Database, doc: DocumentRecord, sorted: Passage[]): Promise<WriteResult> {
    const key = stagingKey(this.file, doc.id);
    let before = STAGING.get(key);
    while (before) {
      await before.catch(() => undefined);
      before = STAGING.get(key);
    }
    const run = this.stagedWriteNow(db, doc, sorted);
    STAGING.set(key, run);
    try {
      return await run;
    } finally {
      if (STAGING.get(key) === run) STAGING.delete(key);
    }
  }

  private async stagedWriteNow(db: Database.Database, doc: DocumentRecord, sorted: Passage[]): Promise<WriteResult> {
    const action = `write ${doc.source}`;
    const begin = db.transaction((): 'unchanged' | 'purge first' | 'staged' => {
      if (db.prepare('SELECT 1 FROM documents WHERE id = ?').get(doc.id)) return 'unchanged';
      const other = db.prepare('SELECT doc_id, pid, host, touched_at FROM staged_writes WHERE doc_id = ?').get(doc.id) as
        | (StagedRow & { doc_id: string })
        | undefined;
      if (other) {
        if (this.writeAlive(other)) {
          throw new UnavailableError(
            `cannot ${action}: process ${other.pid} on ${other.host} is writing the same document into ${this.file}; retry when it is done`,
          );
        }
        // a dead write of the same document: its passages go before ours arrive (same passage ids)
        db.prepare('DELETE FROM staged_writes WHERE doc_id = ?').run(doc.id);
        db.prepare('INSERT OR IGNORE INTO purges (doc_id) VALUES (?)').run(doc.id);
      }
      if (db.prepare('SELECT 1 FROM purges WHERE doc_id = ?').get(doc.id)) return 'purge first';
      db.prepare('INSERT INTO staged_writes (doc_id, pid, host, touched_at) VALUES (?, ?, ?, ?)').run(doc.id, process.pid, os.hostname(), Date.now());
      return 'staged';
    });
    let state = this.writing(action, () => begin.immediate());
    if (state === 'purge first') {
      await this.purge(doc.id);
      state = this.writing(action, () => begin.immediate());
    }
    if (state === 'unchanged') return { status: 'unchanged', documentId: doc.id, replacedIds: [] };
    if (state !== 'staged') throw new UnavailableError(`cannot ${action}: its leftovers are being deleted by another process; retry`);
    try {
      const writer = this.writer(db);
      // a transaction of at most writeChunk passages; on the main thread also no more (after MIN_CHUNK) once it has
      // run sliceMs; in the writer thread the chunk whole (it holds no event loop, and fewer commits cost less)
      const sliceMs = writer.thread === 'main' ? this.sliceMs : Number.POSITIVE_INFINITY;
      const min = Math.min(this.writeChunk, MIN_CHUNK);
      for (let from = 0; from < sorted.length; ) {
        await yieldToEventLoop();
        const chunk = sorted.slice(from, from + this.writeChunk);
        from += await this.writingAsync(action, () => writer.insert(doc.id, chunk, min, sliceMs));
        this.chunkedTransactions++;
      }
      const commit = db.transaction((): WriteResult => {
        const sameSource = db.prepare('SELECT id FROM documents WHERE source = ?').all(doc.source) as { id: string }[];
        for (const old of sameSource) hideDocument(db, old.id);
        insertDocument(db, doc, sorted.length);
        db.prepare('DELETE FROM staged_writes WHERE doc_id = ?').run(doc.id);
        return { status: sameSource.length > 0 ? 'replaced' : 'created', documentId: doc.id, replacedIds: sameSource.map((r) => r.id) };
      });
      await yieldToEventLoop();
      const result = this.writing(action, () => withoutForeignKeys(db, () => commit.immediate()));
      for (const old of result.replacedIds) await this.purge(old);
      return result;
    } catch (err) {
      // the passages written so far are invisible; they go now if the store lets us, else at the next sweep
      try {
        const abandon = db.transaction(() => {
          db.prepare('DELETE FROM staged_writes WHERE doc_id = ?').run(doc.id);
          db.prepare('INSERT OR IGNORE INTO purges (doc_id) VALUES (?)').run(doc.id);
        });
        abandon.immediate();
        await this.purge(doc.id);
      } catch {
        /* swept later */
      }
      throw err;
    }
  }

  /** Whether a staged write may still be running: its process is alive (this host), or it wrote a chunk lately. */
  private writeAlive(row: StagedRow & { doc_id: string }): boolean {
    // this process's own rows are alive only while STAGING holds them (a row of the same pid is an earlier process's)
    if (row.host === os.hostname()) return row.pid === process.pid ? STAGING.has(stagingKey(this.file, row.doc_id)) : processAlive(row.pid);
    return Date.now() - row.touched_at < this.staleWriteMs;
  }

  /**
   * Deletes the passages of a document listed in `purges` (whose row is gone), writeChunk at a time with the event
   * loop free in between, then its `purges` row. Deletes nothing once the row is gone (another process finished the
   * purge and may be writing the same document again).
   */
  private async purge(docId: string): Promise<number> {
    const db = this.open();
    const writer = this.writer(db);
    let deleted = 0;
    // one DELETE cannot stop halfway: its size follows the time the last one took, to take about sliceMs
    const floor = Math.min(this.writeChunk, MIN_CHUNK);
    let limit = floor;
    for (;;) {
      await yieldToEventLoop();
      const { deleted: n, ms } = await this.writingAsync(`delete ${docId}`, () => writer.purge(docId, limit));
      this.chunkedTransactions++;
      deleted += n;
      if (n === 0) break;
      limit = Math.max(floor, Math.min(this.writeChunk, Math.round((limit * this.sliceMs) / Math.max(ms, 0.5))));
    }
    this.writing(`delete ${docId}`, () => db.prepare('DELETE FROM purges WHERE doc_id = ?').run(docId));
    return deleted;
  }

  /** Whether passages without a document row may exist (a staged write or a purge in progress, or interrupted). */
  private unsettled(db: Database.Database): boolean {
    if (!this.hasStaging) return false;
    return db.prepare('SELECT EXISTS (SELECT 1 FROM staged_writes) OR EXISTS (SELECT 1 FROM purges) AS n').pluck().get() === 1;
  }

  async search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    const topK = checkTopK(options.topK);
    const db = this.open();
    const { clause, params } = filterClause(normalizeFilters(options.filters));
    const terms = queryTerms(query);
    if (terms.length === 0) return [];
    const match = terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
    // Without filters, FTS5 ranks on its own and only the top k rows are joined (much faster on large stores);
    // with filters the join must come first.
    // Passages of staged writes and purges have no document row: the join drops them, the fast path would count them.
    const ranked = clause || this.unsettled(db)
      ? `SELECT passages_fts.rowid AS rowid, bm25(passages_fts) AS rank
         FROM passages_fts
         JOIN passages p ON p.rowid = passages_fts.rowid
         JOIN documents d ON d.id = p.doc_id
         WHERE passages_fts MATCH ? ${clause}
         ORDER BY rank LIMIT ?`
      : `SELECT rowid, rank FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?`;
    const rows = db
      .prepare(
        `SELECT p.id, p.doc_id, p.seq, p.text, p.char_start, p.char_end, p.page, p.heading,
                d.name AS doc_name, d.source AS doc_source, d.meta AS doc_meta, f.rank AS rank
         FROM (${ranked}) f
         JOIN passages p ON p.rowid = f.rowid
         JOIN documents d ON d.id = p.doc_id
         ORDER BY f.rank, p.id`,
      )
      .all(match, ...params, topK) as (PassageRow & { doc_name: string; doc_source: string; doc_meta: string; rank: number })[];
    return rows.map((row) => ({
      passage: toPassage(row),
      score: -row.rank,
      document: {
        id: row.doc_id,
        name: row.doc_name,
        source: row.doc_source,
        meta: JSON.parse(row.doc_meta) as DocumentMeta,
      },
    }));
  }

  async getDocument(id: string): Promise<DocumentRecord | null> {
    const row = this.open().prepare('SELECT * FROM documents WHERE id = ?').get(id) as DocumentRow | undefined;
    return row ? toDocument(row) : null;
  }

  async findDocumentBySource(source: string): Promise<DocumentRecord | null> {
    const row = this.open().prepare('SELECT * FROM documents WHERE source = ?').get(source) as DocumentRow | undefined;
    return row ? toDocument(row) : null;
  }

  async findDocumentsByName(name: string): Promise<DocumentRecord[]> {
    const rows = this.open()
      .prepare('SELECT * FROM documents WHERE name = ? ORDER BY source')
      .all(name) as DocumentRow[];
    return rows.map(toDocument);
  }

  async listDocuments(options: ListOptions = {}): Promise<DocumentRecord[]> {
    const rows = this.open()
      .prepare('SELECT * FROM documents ORDER BY name, source LIMIT ? OFFSET ?')
      .all(options.limit ?? -1, options.offset ?? 0) as DocumentRow[];
    return rows.map(toDocument);
  }

  async getPassages(docId: string, page?: PassagePage): Promise<Passage[]> {
    const rows = this.open()
      .prepare('SELECT * FROM passages WHERE doc_id = ? ORDER BY seq LIMIT ? OFFSET ?')
      .all(docId, page?.limit ?? -1, page?.offset ?? 0) as PassageRow[];
    return rows.map(toPassage);
  }

  /**
   * A big document (more than writeChunk passages) disappears at once (its row and metadata, one small transaction),
   * then its passages are deleted in chunks with the event loop free in between; a small one in one transaction.
   */
  async deleteDocument(id: string): Promise<boolean> {
    const db = this.open();
    const row = db.prepare('SELECT passage_count FROM documents WHERE id = ?').get(id) as { passage_count: number } | undefined;
    if (!row) return false;
    if (row.passage_count <= this.writeChunk || this.readOnly) {
      const result = this.writing(`delete ${id}`, () => db.prepare('DELETE FROM documents WHERE id = ?').run(id));
      return result.changes > 0;
    }
    const hide = db.transaction(() => (db.prepare('SELECT 1 FROM documents WHERE id = ?').get(id) ? (hideDocument(db, id), true) : false));
    if (!this.writing(`delete ${id}`, () => withoutForeignKeys(db, () => hide.immediate()))) return false;
    await this.purge(id);
    return true;
  }

  async counts(): Promise<StoreCounts> {
    const db = this.open();
    const documents = (db.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n;
    // while passages without a document exist (staged writes, purges), count what readers see
    const passages = this.unsettled(db)
      ? (db.prepare('SELECT coalesce(sum(passage_count), 0) AS n FROM documents').get() as { n: number }).n
      : (db.prepare('SELECT count(*) AS n FROM passages').get() as { n: number }).n;
    return { documents, passages };
  }

  /**
   * Deletes what interrupted writes left: staged writes whose process is gone (or, from another host, silent for
   * staleWriteMs), and unfinished purges, in chunks. `markers`: staged writes given up.
   */
  async sweepOrphans(): Promise<{ passages: number; markers: number }> {
    const db = this.open();
    if (this.readOnly || !this.hasStaging) return { passages: 0, markers: 0 };
    const staged = db.prepare('SELECT doc_id, pid, host, touched_at FROM staged_writes').all() as (StagedRow & { doc_id: string })[];
    let markers = 0;
    for (const row of staged) {
      if (this.writeAlive(row)) continue;
      const giveUp = db.transaction(() => {
        const changes = db.prepare('DELETE FROM staged_writes WHERE doc_id = ? AND touched_at = ?').run(row.doc_id, row.touched_at).changes;
        if (changes > 0) db.prepare('INSERT OR IGNORE INTO purges (doc_id) VALUES (?)').run(row.doc_id);
        return changes;
      });
      markers += this.writing('sweep leftovers', () => giveUp.immediate());
    }
    let passages = 0;
    for (const { doc_id } of db.prepare('SELECT doc_id FROM purges').all() as { doc_id: string }[]) {
      if (!STAGING.has(stagingKey(this.file, doc_id))) passages += await this.purge(doc_id);
    }
    return { passages, markers };
  }

  async ping(): Promise<boolean> {
    try {
      this.open().prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async drop(): Promise<void> {
    await this.close();
    if (this.file === ':memory:') return;
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) fs.rmSync(f, { force: true });
  }

  async close(): Promise<void> {
    const writer = this.passageWriter;
    this.passageWriter = null;
    await writer?.close();
    this.db?.close();
    this.db = null;
  }
}

interface StagedRow {
  pid: number;
  host: string;
  touched_at: number;
}

/** Inserts a document's row and metadata rows. */
function insertDocument(db: Database.Database, doc: DocumentRecord, passageCount: number): void {
  db.prepare(
    `INSERT INTO documents (id, source, name, meta, page_count, passage_count, char_count, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(doc.id, doc.source, doc.name, JSON.stringify(doc.meta), doc.pageCount, passageCount, doc.charCount, doc.createdAt);
  insertMeta(db, doc.id, doc.meta);
}

/**
 * Removes a document from every read (its row and metadata) and queues its passages for purge(). Runs with foreign
 * keys off (withoutForeignKeys): the cascade would delete all its passages in this transaction.
 */
function hideDocument(db: Database.Database, id: string): void {
  db.prepare('DELETE FROM document_meta WHERE doc_id = ?').run(id);
  db.prepare('DELETE FROM documents WHERE id = ?').run(id);
  db.prepare('INSERT OR IGNORE INTO purges (doc_id) VALUES (?)').run(id);
}

/**
 * Runs `fn` (a transaction) with foreign keys off: passages of a staged write have no document row yet, and a
 * hidden document's passages are deleted later, not by the cascade. The pragma cannot change inside a transaction,
 * so it is set around it; synchronous, so no other call on this connection runs in between.
 */
function withoutForeignKeys<T>(db: Database.Database, fn: () => T): T {
  db.pragma('foreign_keys = OFF');
  try {
    return fn();
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

/** Whether this process may create files in `dir` (false on a read-only mount, also for root). */
function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether the file system holding `dir` has (almost) no space left for this process. */
function diskFull(dir: string): boolean {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

function schemaVersion(db: Database.Database): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > 0) return version;
  // The first release did not set user_version: a store with a documents table and no version is schema 1.
  const hasDocuments = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'documents'").get();
  return hasDocuments ? 1 : 0;
}

/** Creates schema 2, or upgrades schema 1 to it; refuses a store made by a newer docqa. */
function migrate(db: Database.Database, file: string): void {
  const upgrade = db.transaction(() => {
    // Read again inside the write lock: another process may have migrated meanwhile.
    const version = schemaVersion(db);
    if (version > STORE_SCHEMA_VERSION) {
      throw new UnavailableError(
        `the SQLite store at ${file} has schema ${version}, newer than this docqa's ${STORE_SCHEMA_VERSION}: upgrade docqa`,
      );
    }
    if (version === STORE_SCHEMA_VERSION) return;
    if (version === 1) {
      db.exec(MIGRATE_1_TO_2);
      const rows = db.prepare('SELECT id, meta FROM documents').all() as { id: string; meta: string }[];
      for (const row of rows) insertMeta(db, row.id, JSON.parse(row.meta) as DocumentMeta);
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
  });
  if (schemaVersion(db) === STORE_SCHEMA_VERSION) return;
  // The table rebuild needs foreign keys off (DROP TABLE documents would cascade to every passage otherwise);
  // the pragma is a no-op inside a transaction, so it is set around it.
  db.pragma('foreign_keys = OFF');
  upgrade.immediate();
  const broken = db.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) throw new UnavailableError(`the SQLite store at ${file} failed its foreign key check after migration`);
}

/** The document_meta rows of a document's metadata. */
function insertMeta(db: Database.Database, docId: string, meta: DocumentMeta): void {
  const insert = db.prepare('INSERT INTO document_meta (doc_id, key, type, str, num) VALUES (?, ?, ?, ?, ?)');
  for (const [key, value] of Object.entries(meta)) {
    for (const v of metaValues(value)) {
      const t = typedValue(v);
      if (t.type === 'string') insert.run(docId, key, t.type, t.value, null);
      else insert.run(docId, key, t.type, null, t.type === 'boolean' ? (t.value ? 1 : 0) : t.value);
    }
  }
}

/**
 * SQL conditions on `d` (documents) for normalized filters. Lists travel as one JSON parameter read with json_each,
 * so no filter size reaches SQLite's variable or expression-depth limits (the sizes are bounded in filters.ts too).
 */
function filterClause(filters: NormalizedFilters): { clause: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const inList = (column: string, values: string[]) => {
    if (values.length === 0) {
      parts.push('0');
      return;
    }
    parts.push(`${column} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(values));
  };
  if (filters.docIds) inList('d.id', filters.docIds);
  if (filters.names) inList('d.name', filters.names);
  if (filters.sources) inList('d.source', filters.sources);
  for (const c of filters.meta) {
    if (c.op === 'exists') {
      parts.push(`${c.exists ? '' : 'NOT '}EXISTS (SELECT 1 FROM document_meta m WHERE m.doc_id = d.id AND m.key = ?)`);
      params.push(c.key);
      continue;
    }
    if (c.op === 'range') {
      const bounds = [
        ...(c.gte !== undefined ? ['m.num >= ?'] : []),
        ...(c.lte !== undefined ? ['m.num <= ?'] : []),
      ];
      parts.push(`EXISTS (SELECT 1 FROM document_meta m WHERE m.doc_id = d.id AND m.key = ? AND m.type = ? AND ${bounds.join(' AND ')})`);
      params.push(c.key, c.type, ...(c.gte !== undefined ? [c.gte] : []), ...(c.lte !== undefined ? [c.lte] : []));
      continue;
    }
    if (c.values.length === 0) {
      parts.push('0');
      continue;
    }
    const alternatives: string[] = [];
    const typed: unknown[] = [];
    for (const type of ['string', 'number', 'boolean', 'date'] as const) {
      const values = c.values.filter((v) => v.type === type).map((v) => (typeof v.value === 'boolean' ? (v.value ? 1 : 0) : v.value));
      if (values.length === 0) continue;
      alternatives.push(`(m.type = ? AND m.${type === 'string' ? 'str' : 'num'} IN (SELECT value FROM json_each(?)))`);
      typed.push(type, JSON.stringify(values));
    }
    parts.push(`EXISTS (SELECT 1 FROM document_meta m WHERE m.doc_id = d.id AND m.key = ? AND (${alternatives.join(' OR ')}))`);
    params.push(c.key, ...typed);
  }
  return { clause: parts.map((p) => `AND ${p}`).join(' '), params };
}
