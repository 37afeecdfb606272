import type { FeedbackRecord, QueryRecord, Verdict } from './record.js';

/** Which records: asked in [since, until), at most `limit` of them, oldest first unless `order` is 'desc'. */
export interface QueryLogQuery {
  since?: Date;
  until?: Date;
  limit: number;
  order?: 'asc' | 'desc';
  /** Only asks that have feedback. */
  judged?: boolean;
}

/** Feedback given since some time, counted per model version and verdict. */
export interface VerdictCount {
  model: string;
  version: string;
  verdict: Verdict;
  count: number;
}

/** How long records are kept: whichever limit is hit first deletes the oldest records (0 = no such limit). */
export interface Retention {
  maxAgeDays: number;
  maxRows: number;
}

/** 'duplicate': a record with that id exists already (a client reused its X-Request-Id); nothing was written. */
export type AddResult = 'added' | 'duplicate';

export type FeedbackWrite = 'created' | 'replaced' | 'not_found';

/**
 * Where the query log lives: the embedded SQLite file (sqlite.ts) or an Elasticsearch index (elasticsearch.ts).
 * Both pass test/querylog/contract.ts. A record's feedback is one per ask: writing it again replaces it.
 */
export interface QueryLog {
  readonly kind: 'sqlite' | 'elasticsearch';
  /** Creates the table/index when missing; throws UnavailableError when the store cannot be reached. */
  init(): Promise<void>;
  add(record: QueryRecord): Promise<AddResult>;
  get(id: string): Promise<QueryRecord | null>;
  setFeedback(id: string, feedback: FeedbackRecord): Promise<FeedbackWrite>;
  list(query: QueryLogQuery): Promise<QueryRecord[]>;
  count(query?: Omit<QueryLogQuery, 'limit' | 'order'>): Promise<number>;
  /** Feedback given at or after `since` (by the feedback's time), per model version and verdict. */
  verdictCounts(since: Date): Promise<VerdictCount[]>;
  /** Deletes what the retention no longer keeps (with its feedback); returns how many records went. */
  prune(retention: Retention, now: Date): Promise<number>;
  ping(): Promise<boolean>;
  /** Deletes the whole log (tests, scratch stores). */
  drop(): Promise<void>;
  close(): Promise<void>;
}

/** The oldest time the retention keeps, or null when age is no limit. */
export function retentionCutoff(retention: Retention, now: Date): Date | null {
  if (retention.maxAgeDays <= 0) return null;
  return new Date(now.getTime() - retention.maxAgeDays * 86_400_000);
}
