import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UnavailableError, errorMessage } from '../errors.js';
import type { FeedbackRecord, QueryRecord, Verdict } from './record.js';
import { retentionCutoff, type AddResult, type FeedbackWrite, type QueryLog, type QueryLogQuery, type Retention, type VerdictCount } from './store.js';

// Times are ISO 8601 UTC strings of one length (Date#toISOString), so they compare as text.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS queries (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  time TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS queries_time ON queries(time);
CREATE TABLE IF NOT EXISTS feedback (
  query_id TEXT PRIMARY KEY REFERENCES queries(id) ON DELETE CASCADE,
  time TEXT NOT NULL,
  verdict TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_time ON feedback(time);
`;

interface Row {
  record: string;
  feedback: string | null;
}

function toRecord(row: Row): QueryRecord {
  const record = JSON.parse(row.record) as QueryRecord;
  record.feedback = row.feedback === null ? null : (JSON.parse(row.feedback) as FeedbackRecord);
  return record;
}

/** The query log in its own SQLite file (<dataDir>/querylog.sqlite), apart from the document store. */
export class SqliteQueryLog implements QueryLog {
  readonly kind = 'sqlite' as const;
  private db: Database.Database | null = null;

  /** `file` is a path, or ':memory:'. */
  constructor(private readonly file: string) {}

  static inDataDir(dataDir: string): SqliteQueryLog {
    return new SqliteQueryLog(path.join(dataDir, 'querylog.sqlite'));
  }

  async init(): Promise<void> {
    this.open();
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    try {
      if (this.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
      const db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      this.db = db;
      return db;
    } catch (err) {
      throw new UnavailableError(`cannot open the query log at ${this.file}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async add(record: QueryRecord): Promise<AddResult> {
    const { feedback: _feedback, ...rest } = record;
    const { changes } = this.open()
      .prepare('INSERT OR IGNORE INTO queries (id, time, model_name, model_version, record) VALUES (?, ?, ?, ?, ?)')
      .run(record.id, record.time, record.model.name, record.model.version, JSON.stringify(rest));
    return changes > 0 ? 'added' : 'duplicate';
  }

  async get(id: string): Promise<QueryRecord | null> {
    const row = this.open()
      .prepare('SELECT q.record, f.record AS feedback FROM queries q LEFT JOIN feedback f ON f.query_id = q.id WHERE q.id = ?')
      .get(id) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  async setFeedback(id: string, feedback: FeedbackRecord): Promise<FeedbackWrite> {
    const db = this.open();
    const write = db.transaction((): FeedbackWrite => {
      if (!db.prepare('SELECT 1 FROM queries WHERE id = ?').get(id)) return 'not_found';
      const existed = db.prepare('SELECT 1 FROM feedback WHERE query_id = ?').get(id) !== undefined;
      db.prepare(
        `INSERT INTO feedback (query_id, time, verdict, record) VALUES (?, ?, ?, ?)
         ON CONFLICT(query_id) DO UPDATE SET time = excluded.time, verdict = excluded.verdict, record = excluded.record`,
      ).run(id, feedback.time, feedback.verdict, JSON.stringify(feedback));
      return existed ? 'replaced' : 'created';
    });
    return write.immediate();
  }

  private where(query: Omit<QueryLogQuery, 'limit' | 'order'>): { clause: string; params: string[] } {
    const parts: string[] = [];
    const params: string[] = [];
    if (query.since) {
      parts.push('q.time >= ?');
      params.push(query.since.toISOString());
    }
    if (query.until) {
      parts.push('q.time < ?');
      params.push(query.until.toISOString());
    }
    if (query.judged) parts.push('f.query_id IS NOT NULL');
    return { clause: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  async list(query: QueryLogQuery): Promise<QueryRecord[]> {
    const { clause, params } = this.where(query);
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    const rows = this.open()
      .prepare(
        `SELECT q.record, f.record AS feedback FROM queries q LEFT JOIN feedback f ON f.query_id = q.id
         ${clause} ORDER BY q.time ${order}, q.seq ${order} LIMIT ?`,
      )
      .all(...params, query.limit) as Row[];
    return rows.map(toRecord);
  }

  async count(query: Omit<QueryLogQuery, 'limit' | 'order'> = {}): Promise<number> {
    const { clause, params } = this.where(query);
    const row = this.open()
      // the join only when it filters: a plain count is the scrape's, keep it cheap
      .prepare(`SELECT count(*) AS n FROM queries q ${query.judged ? 'LEFT JOIN feedback f ON f.query_id = q.id' : ''} ${clause}`)
      .get(...params) as { n: number };
    return row.n;
  }

  async verdictCounts(since: Date): Promise<VerdictCount[]> {
    const rows = this.open()
      .prepare(
        `SELECT q.model_name AS model, q.model_version AS version, f.verdict AS verdict, count(*) AS count
         FROM feedback f JOIN queries q ON q.id = f.query_id
         WHERE f.time >= ? GROUP BY q.model_name, q.model_version, f.verdict ORDER BY 1, 2, 3`,
      )
      .all(since.toISOString()) as { model: string; version: string; verdict: Verdict; count: number }[];
    return rows;
  }

  async prune(retention: Retention, now: Date): Promise<number> {
    const db = this.open();
    const cutoff = retentionCutoff(retention, now);
    const run = db.transaction((): number => {
      let deleted = 0;
      if (cutoff) deleted += db.prepare('DELETE FROM queries WHERE time < ?').run(cutoff.toISOString()).changes;
      if (retention.maxRows > 0) {
        deleted += db
          .prepare(
            `DELETE FROM queries WHERE seq IN (
               SELECT seq FROM queries ORDER BY time DESC, seq DESC LIMIT -1 OFFSET ?)`,
          )
          .run(retention.maxRows).changes;
      }
      return deleted;
    });
    return run.immediate();
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
