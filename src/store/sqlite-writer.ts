/**
 * Who runs the passage transactions of the SQLite store's big writes and deletes (staged writes and purges,
 * sqlite.ts): the main thread between two yields (InlinePassageWriter), or a worker thread with a connection of its
 * own on the same file (WorkerPassageWriter). SQLite stalls inside single statements: a WAL checkpoint at a commit,
 * an FTS5 segment flush or merge inside an insert take 25-50 ms each (bench/sqlite-stalls.ts), however small the
 * transaction. On the worker's connection they happen off the event loop; in WAL mode the main connection's reads
 * never wait for them, and its writes (bookkeeping, small documents) wait at most one chunk's transaction.
 *
 * The main thread still decides everything that makes a document visible or invisible (staged_writes, purges, the
 * document row), in its own small transactions: the writer only inserts passages that no document row owns yet and
 * deletes passages whose document row is gone, one chunk per request, so a crash (or a kill) between two requests
 * leaves what the store's sweep already handles.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Passage } from '../documents/document.js';
import { errorMessage, UnavailableError } from '../errors.js';

/** The compiled worker script next to this module (dist/store/sqlite-writer-worker.js). */
export const WRITER_WORKER_SCRIPT = new URL('./sqlite-writer-worker.js', import.meta.url);

export interface PassageWriter {
  /** 'worker' when the transactions run off the main thread. */
  readonly thread: 'main' | 'worker';
  /**
   * Inserts passages of a staged write (no document row yet) in one transaction, and marks the write as alive
   * (staged_writes.touched_at). Stops early, after at least `min` passages, once the transaction has run
   * `sliceMs`; returns how many it inserted.
   */
  insert(docId: string, passages: Passage[], min: number, sliceMs: number): Promise<number>;
  /**
   * Deletes at most `limit` passages of a document in `purges` whose document row is gone, in one statement
   * (none once its purges row is gone); returns how many, and how long the statement took.
   */
  purge(docId: string, limit: number): Promise<{ deleted: number; ms: number }>;
  close(): Promise<void>;
}

/** A failure of the writer's statement, with SQLite's error code (SQLITE_FULL, SQLITE_READONLY, ...) kept. */
export interface WriterError {
  message: string;
  code?: string;
}

export type WriterRequest =
  | { id: number; op: 'insert'; docId: string; passages: Passage[]; min: number; sliceMs: number }
  | { id: number; op: 'purge'; docId: string; limit: number };

/** `value`: passages inserted or deleted; `ms`: how long a purge's DELETE took (it sizes the next one), 0 for an insert. */
export type WriterReply = { id: number; ok: true; value: number; ms: number } | { id: number; ok: false; error: WriterError };

/** Inserts one passage (a prepared statement bound to `db`): the writers' chunks and the store's one-transaction writes. */
export function insertPassage(db: Database.Database): (p: Passage) => void {
  const insert = db.prepare(
    `INSERT INTO passages (id, doc_id, seq, text, char_start, char_end, page, heading)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (p) => void insert.run(p.id, p.docId, p.seq, p.text, p.charStart, p.charEnd, p.page, p.heading ?? null);
}

/** The statements both writers run, bound to one connection. */
export class PassageStatements {
  private readonly insertRow: (p: Passage) => void;
  private readonly touch: Database.Statement;
  private readonly deleteRows: Database.Statement;
  private readonly insertChunk: Database.Transaction<(docId: string, passages: Passage[], min: number, sliceMs: number) => number>;

  constructor(db: Database.Database) {
    this.insertRow = insertPassage(db);
    this.touch = db.prepare('UPDATE staged_writes SET touched_at = ? WHERE doc_id = ?');
    this.deleteRows = db.prepare(
      `DELETE FROM passages WHERE rowid IN (
         SELECT rowid FROM passages WHERE doc_id = ? AND EXISTS (SELECT 1 FROM purges WHERE doc_id = ?)
           AND NOT EXISTS (SELECT 1 FROM documents WHERE id = ?) LIMIT ?)`,
    );
    this.insertChunk = db.transaction((docId: string, passages: Passage[], min: number, sliceMs: number): number => {
      const started = performance.now();
      let n = 0;
      while (n < passages.length) {
        this.insertRow(passages[n++]!);
        if (n >= min && performance.now() - started >= sliceMs) break;
      }
      this.touch.run(Date.now(), docId);
      return n;
    });
  }

  /** Runs with foreign keys off: the passages' document row does not exist yet (see withoutForeignKeys). */
  insert(docId: string, passages: Passage[], min: number, sliceMs: number): number {
    return this.insertChunk.immediate(docId, passages, min, sliceMs);
  }

  purge(docId: string, limit: number): { deleted: number; ms: number } {
    const started = performance.now();
    const deleted = this.deleteRows.run(docId, docId, docId, limit).changes;
    return { deleted, ms: performance.now() - started };
  }
}

/** The passage transactions on the store's own connection, on the main thread (`:memory:` stores, no compiled worker). */
export class InlinePassageWriter implements PassageWriter {
  readonly thread = 'main' as const;
  private statements: PassageStatements | null = null;

  constructor(
    private readonly db: Database.Database,
    /** Runs a transaction with foreign keys off (sqlite.ts: the pragma is per connection, set around it). */
    private readonly withoutForeignKeys: <T>(fn: () => T) => T,
  ) {}

  private get run(): PassageStatements {
    return (this.statements ??= new PassageStatements(this.db));
  }

  async insert(docId: string, passages: Passage[], min: number, sliceMs: number): Promise<number> {
    return this.withoutForeignKeys(() => this.run.insert(docId, passages, min, sliceMs));
  }

  async purge(docId: string, limit: number): Promise<{ deleted: number; ms: number }> {
    return this.run.purge(docId, limit);
  }

  async close(): Promise<void> {}
}

interface Pending {
  resolve(reply: WriterReply & { ok: true }): void;
  reject(err: unknown): void;
}

/**
 * The passage transactions in a worker thread (sqlite-writer-worker.js) with its own connection (foreign keys off:
 * it only writes passages without a document row). One request at a time per store; the worker starts on the first
 * one, is unreferenced while idle (it never keeps a process alive), and is replaced if it dies (its request fails
 * with an UnavailableError; the chunk's transaction rolled back).
 */
export class WorkerPassageWriter implements PassageWriter {
  readonly thread = 'worker' as const;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly script: URL = WRITER_WORKER_SCRIPT,
  ) {}

  /** Whether the compiled worker script exists (not when running from the TypeScript sources, as in tests). */
  static available(script: URL = WRITER_WORKER_SCRIPT): boolean {
    return fs.existsSync(fileURLToPath(script));
  }

  async insert(docId: string, passages: Passage[], min: number, sliceMs: number): Promise<number> {
    return (await this.request({ op: 'insert', docId, passages, min, sliceMs })).value;
  }

  async purge(docId: string, limit: number): Promise<{ deleted: number; ms: number }> {
    const reply = await this.request({ op: 'purge', docId, limit });
    return { deleted: reply.value, ms: reply.ms };
  }

  private request(message: Omit<WriterRequest, 'id'> & Partial<Record<string, unknown>>): Promise<WriterReply & { ok: true }> {
    if (this.closed) return Promise.reject(new UnavailableError(`the SQLite store ${this.file} is closed`));
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...message, id } as WriterRequest);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(fileURLToPath(this.script), { workerData: { file: this.file } });
    worker.on('message', (reply: WriterReply) => {
      const job = this.pending.get(reply.id);
      if (!job) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) job.resolve(reply);
      else job.reject(Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {}));
    });
    const fail = (why: string) => {
      if (this.worker === worker) this.worker = null;
      for (const job of this.pending.values()) {
        job.reject(new UnavailableError(`the SQLite writer thread of ${this.file} ${why}; the write was rolled back, retry`));
      }
      this.pending.clear();
    };
    worker.on('error', (err) => fail(`failed: ${errorMessage(err)}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    worker.unref();
    return (this.worker = worker);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
