import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DocumentMeta, DocumentRecord, Passage } from '../documents/document.js';
import { InsufficientStorageError, UnavailableError, errorMessage } from '../errors.js';
import { queryTerms } from './query.js';
import { checkTopK, checkWrite } from './validate.js';
import type {
  DocumentStore,
  ListOptions,
  SearchFilters,
  SearchHit,
  PassagePage,
  SearchOptions,
  StoreCounts,
  WriteResult,
} from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  meta TEXT NOT NULL DEFAULT '{}',
  page_count INTEGER NOT NULL,
  passage_count INTEGER NOT NULL,
  char_count INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
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
`;

interface DocumentRow {
  id: string;
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
 * Each document is written in one transaction, so a crash leaves either all of it or none.
 */
export class SqliteStore implements DocumentStore {
  readonly kind = 'sqlite' as const;
  private db: Database.Database | null = null;

  /** `file` is a path, or ':memory:'. */
  constructor(private readonly file: string) {}

  static inDataDir(dataDir: string): SqliteStore {
    return new SqliteStore(path.join(dataDir, 'docqa.sqlite'));
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
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      this.db = db;
      return db;
    } catch (err) {
      db?.close();
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
      const db = new Database(bytes, { readonly: true });
      db.prepare('SELECT count(*) FROM documents').get();
      this.readOnly = true;
      return db;
    } catch (err) {
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

  async writeDocument(doc: DocumentRecord, passages: Passage[]): Promise<WriteResult> {
    const sorted = checkWrite(doc, passages);
    const db = this.open();
    const write = db.transaction((): WriteResult => {
      const existing = db.prepare('SELECT id FROM documents WHERE id = ?').get(doc.id) as { id: string } | undefined;
      if (existing) return { status: 'unchanged', documentId: doc.id, replacedIds: [] };
      const sameName = db.prepare('SELECT id FROM documents WHERE name = ?').all(doc.name) as { id: string }[];
      const del = db.prepare('DELETE FROM documents WHERE id = ?');
      for (const old of sameName) del.run(old.id);
      db.prepare(
        `INSERT INTO documents (id, name, meta, page_count, passage_count, char_count, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        doc.id,
        doc.name,
        JSON.stringify(doc.meta),
        doc.pageCount,
        passages.length,
        doc.charCount,
        doc.createdAt,
      );
      const insert = db.prepare(
        `INSERT INTO passages (id, doc_id, seq, text, char_start, char_end, page, heading)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const p of sorted) {
        insert.run(p.id, p.docId, p.seq, p.text, p.charStart, p.charEnd, p.page, p.heading ?? null);
      }
      return {
        status: sameName.length > 0 ? 'replaced' : 'created',
        documentId: doc.id,
        replacedIds: sameName.map((r) => r.id),
      };
    });
    return this.writing(`write ${doc.name}`, () => write.immediate());
  }

  async search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    const topK = checkTopK(options.topK);
    const db = this.open();
    const terms = queryTerms(query);
    if (terms.length === 0) return [];
    const match = terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
    const { clause, params } = filterClause(options.filters);
    // Without filters, FTS5 ranks on its own and only the top k rows are joined (much faster on large stores);
    // with filters the join must come first.
    const ranked = clause
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
                d.name AS doc_name, d.meta AS doc_meta, f.rank AS rank
         FROM (${ranked}) f
         JOIN passages p ON p.rowid = f.rowid
         JOIN documents d ON d.id = p.doc_id
         ORDER BY f.rank, p.id`,
      )
      .all(match, ...params, topK) as (PassageRow & { doc_name: string; doc_meta: string; rank: number })[];
    return rows.map((row) => ({
      passage: toPassage(row),
      score: -row.rank,
      document: { id: row.doc_id, name: row.doc_name, meta: JSON.parse(row.doc_meta) as DocumentMeta },
    }));
  }

  async getDocument(id: string): Promise<DocumentRecord | null> {
    const row = this.open().prepare('SELECT * FROM documents WHERE id = ?').get(id) as DocumentRow | undefined;
    return row ? toDocument(row) : null;
  }

  async findDocumentByName(name: string): Promise<DocumentRecord | null> {
    const row = this.open().prepare('SELECT * FROM documents WHERE name = ?').get(name) as DocumentRow | undefined;
    return row ? toDocument(row) : null;
  }

  async listDocuments(options: ListOptions = {}): Promise<DocumentRecord[]> {
    const rows = this.open()
      .prepare('SELECT * FROM documents ORDER BY name LIMIT ? OFFSET ?')
      .all(options.limit ?? -1, options.offset ?? 0) as DocumentRow[];
    return rows.map(toDocument);
  }

  async getPassages(docId: string, page?: PassagePage): Promise<Passage[]> {
    const rows = this.open()
      .prepare('SELECT * FROM passages WHERE doc_id = ? ORDER BY seq LIMIT ? OFFSET ?')
      .all(docId, page?.limit ?? -1, page?.offset ?? 0) as PassageRow[];
    return rows.map(toPassage);
  }

  async deleteDocument(id: string): Promise<boolean> {
    const db = this.open();
    const result = this.writing(`delete ${id}`, () => db.prepare('DELETE FROM documents WHERE id = ?').run(id));
    return result.changes > 0;
  }

  async counts(): Promise<StoreCounts> {
    const db = this.open();
    const documents = (db.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n;
    const passages = (db.prepare('SELECT count(*) AS n FROM passages').get() as { n: number }).n;
    return { documents, passages };
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
    this.db?.close();
    this.db = null;
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

function filterClause(filters: SearchFilters | undefined): { clause: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const inList = (column: string, values: string[]) => {
    parts.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  if (filters?.docIds) {
    if (filters.docIds.length === 0) parts.push('0');
    else inList('p.doc_id', filters.docIds);
  }
  if (filters?.names) {
    if (filters.names.length === 0) parts.push('0');
    else inList('d.name', filters.names);
  }
  for (const [key, values] of Object.entries(filters?.meta ?? {})) {
    if (values.length === 0) {
      parts.push('0');
      continue;
    }
    parts.push(`json_extract(d.meta, ?) IN (${values.map(() => '?').join(', ')})`);
    params.push(`$."${key.replace(/"/g, '')}"`, ...values);
  }
  return { clause: parts.map((p) => `AND ${p}`).join(' '), params };
}
