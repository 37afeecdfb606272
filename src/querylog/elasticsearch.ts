/**
 * The query log in Elasticsearch: one index `<esIndex>-queries`, one Lucene document per ask (_id = the ask id),
 * its feedback a field of that document. Explicit ("strict") mappings; answers and request settings are kept in
 * _source only. Reads that search (list, count, precision, retention) refresh the index first when this process
 * wrote since its last refresh, so a process reads its own writes; init() refreshes too, so a new process (the CLI)
 * sees what the server wrote.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { CONFIG_DEFAULTS, type Config } from '../config.js';
import { connectionOptions, createClient, errorType, toStoreError, type ConnectionOptions } from '../store/elasticsearch/client.js';
import { indexSettings } from '../store/elasticsearch/mappings.js';
import type { FeedbackRecord, QueryRecord, Verdict } from './record.js';
import { retentionCutoff, type AddResult, type FeedbackWrite, type QueryLog, type QueryLogQuery, type Retention, type VerdictCount } from './store.js';

const KEYWORD: estypes.MappingProperty = { type: 'keyword' };
const STORED_ONLY: estypes.MappingProperty = { type: 'keyword', index: false, doc_values: false };
const DOUBLE: estypes.MappingProperty = { type: 'double' };

export const QUERY_LOG_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    id: KEYWORD,
    time: { type: 'date' },
    question: STORED_ONLY,
    questionSha256: KEYWORD,
    questionLength: { type: 'integer' },
    answers: { type: 'object', enabled: false },
    noAnswer: {
      properties: {
        chosen: { type: 'boolean' },
        reason: STORED_ONLY,
        minConfidence: DOUBLE,
        bestConfidence: DOUBLE,
        calibrated: { type: 'boolean' },
      },
    },
    model: { properties: { name: KEYWORD, version: KEYWORD, sha256: KEYWORD } },
    timings: { properties: { retrieveMs: DOUBLE, readMs: DOUBLE, totalMs: DOUBLE } },
    retrieved: { type: 'integer' },
    request: { type: 'object', enabled: false },
    feedback: {
      properties: {
        verdict: KEYWORD,
        answerIndex: { type: 'integer' },
        correctAnswer: STORED_ONLY,
        comment: STORED_ONLY,
        time: { type: 'date' },
      },
    },
  },
};

/** Page size of scans (list, retention). */
const SCAN_PAGE = 1000;

export interface ElasticsearchQueryLogOptions extends Omit<ConnectionOptions, 'timeoutMs'> {
  /** The store's prefix (DOCQA_ES_INDEX): the log is the index `<index>-queries`. */
  index?: string;
  timeoutMs?: number;
  /** Replicas of the log's index (esReplicas: a number or an auto-expand range); it always has one shard. */
  replicas?: string;
}

export class ElasticsearchQueryLog implements QueryLog {
  readonly kind = 'elasticsearch' as const;
  readonly url: string;
  readonly index: string;
  private readonly client: Client;
  private readonly replicas: string;
  private dirty = false;

  constructor(options: ElasticsearchQueryLogOptions) {
    this.url = options.url;
    this.index = `${options.index ?? CONFIG_DEFAULTS.esIndex}-queries`;
    this.replicas = options.replicas ?? CONFIG_DEFAULTS.esReplicas;
    this.client = createClient({ ...options, timeoutMs: options.timeoutMs ?? CONFIG_DEFAULTS.esTimeoutMs });
  }

  static fromConfig(config: Config): ElasticsearchQueryLog {
    return new ElasticsearchQueryLog({
      ...connectionOptions(config),
      index: config.esIndex,
      replicas: config.esReplicas,
    });
  }

  private async op<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err, `query log: ${action}`, this.url);
    }
  }

  async init(): Promise<void> {
    await this.op(`create index ${this.index}`, async () => {
      if (await this.client.indices.exists({ index: this.index })) return;
      try {
        await this.client.indices.create({
          index: this.index,
          settings: indexSettings({ shards: 1, replicas: this.replicas }),
          mappings: QUERY_LOG_MAPPINGS,
          wait_for_active_shards: 1,
        });
      } catch (err) {
        // another process got there first: fine
        if (errorType(err) !== 'resource_already_exists_exception') throw err;
      }
    });
    this.dirty = true;
  }

  private async refreshIfDirty(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.client.indices.refresh({ index: this.index });
  }

  async add(record: QueryRecord): Promise<AddResult> {
    return this.op('record an ask', async () => {
      try {
        await this.client.index({ index: this.index, id: record.id, op_type: 'create', document: record });
      } catch (err) {
        if (errorType(err) === 'version_conflict_engine_exception') return 'duplicate';
        throw err;
      }
      this.dirty = true;
      return 'added';
    });
  }

  async get(id: string): Promise<QueryRecord | null> {
    return this.op('read an ask', async () => {
      // GET by id is realtime: no refresh needed
      const res = await this.client.get<QueryRecord>({ index: this.index, id }, { ignore: [404] });
      return res.found && res._source ? { ...res._source, feedback: res._source.feedback ?? null } : null;
    });
  }

  async setFeedback(id: string, feedback: FeedbackRecord): Promise<FeedbackWrite> {
    return this.op('store feedback', async () => {
      for (let attempt = 0; ; attempt++) {
        const res = await this.client.get<QueryRecord>({ index: this.index, id, _source_includes: ['feedback'] }, { ignore: [404] });
        if (!res.found) return 'not_found';
        const existed = res._source?.feedback !== undefined && res._source?.feedback !== null;
        try {
          // optimistic concurrency: two posts on one ask at once cannot both say 'created'
          await this.client.update({ index: this.index, id, doc: { feedback }, if_seq_no: res._seq_no, if_primary_term: res._primary_term });
        } catch (err) {
          const type = errorType(err);
          if (type === 'document_missing_exception') return 'not_found';
          if (type === 'version_conflict_engine_exception' && attempt < 5) continue;
          throw err;
        }
        this.dirty = true;
        return existed ? 'replaced' : 'created';
      }
    });
  }

  private filter(query: Omit<QueryLogQuery, 'limit' | 'order'>): estypes.QueryDslQueryContainer {
    const filter: estypes.QueryDslQueryContainer[] = [];
    if (query.since || query.until) {
      filter.push({ range: { time: { ...(query.since ? { gte: query.since.toISOString() } : {}), ...(query.until ? { lt: query.until.toISOString() } : {}) } } });
    }
    if (query.judged) filter.push({ exists: { field: 'feedback.verdict' } });
    return { bool: { filter } };
  }

  async list(query: QueryLogQuery): Promise<QueryRecord[]> {
    return this.op('list asks', async () => {
      await this.refreshIfDirty();
      const order = query.order === 'desc' ? 'desc' : 'asc';
      const records: QueryRecord[] = [];
      let after: estypes.FieldValue[] | undefined;
      while (records.length < query.limit) {
        const res = await this.client.search<QueryRecord>({
          index: this.index,
          size: Math.min(SCAN_PAGE, query.limit - records.length),
          query: this.filter(query),
          sort: [{ time: { order } }, { id: { order } }],
          track_total_hits: false,
          ...(after ? { search_after: after } : {}),
        });
        const hits = res.hits.hits;
        for (const h of hits) records.push({ ...h._source!, feedback: h._source!.feedback ?? null });
        if (hits.length === 0 || hits.length < SCAN_PAGE) break;
        after = hits[hits.length - 1]!.sort;
      }
      return records;
    });
  }

  async count(query: Omit<QueryLogQuery, 'limit' | 'order'> = {}): Promise<number> {
    return this.op('count asks', async () => {
      await this.refreshIfDirty();
      return (await this.client.count({ index: this.index, query: this.filter(query) })).count;
    });
  }

  async verdictCounts(since: Date): Promise<VerdictCount[]> {
    return this.op('count feedback', async () => {
      await this.refreshIfDirty();
      type Bucket = { key: string; doc_count: number };
      type Agg = { buckets: (Bucket & { versions: { buckets: (Bucket & { verdicts: { buckets: Bucket[] } })[] } })[] };
      const res = await this.client.search({
        index: this.index,
        size: 0,
        query: { range: { 'feedback.time': { gte: since.toISOString() } } },
        aggs: {
          models: {
            terms: { field: 'model.name', size: 100 },
            aggs: {
              versions: {
                terms: { field: 'model.version', size: 100 },
                aggs: { verdicts: { terms: { field: 'feedback.verdict', size: 10 } } },
              },
            },
          },
        },
      });
      const counts: VerdictCount[] = [];
      for (const m of (res.aggregations?.models as Agg | undefined)?.buckets ?? []) {
        for (const v of m.versions.buckets) {
          for (const d of v.verdicts.buckets) counts.push({ model: m.key, version: v.key, verdict: d.key as Verdict, count: d.doc_count });
        }
      }
      return counts;
    });
  }

  /**
   * Deletes the oldest records, a page at a time: those asked before the cutoff, then those beyond maxRows (by
   * search and bulk delete: the reindex module's _delete_by_query is not in every distribution).
   */
  async prune(retention: Retention, now: Date): Promise<number> {
    return this.op('apply the retention', async () => {
      await this.refreshIfDirty();
      let deleted = 0;
      const cutoff = retentionCutoff(retention, now);
      for (;;) {
        let size = 0;
        let query: estypes.QueryDslQueryContainer = { match_all: {} };
        if (cutoff) {
          query = { range: { time: { lt: cutoff.toISOString() } } };
          size = Math.min(SCAN_PAGE, (await this.client.count({ index: this.index, query })).count);
        }
        if (size === 0 && retention.maxRows > 0) {
          query = { match_all: {} };
          size = Math.min(SCAN_PAGE, (await this.client.count({ index: this.index })).count - retention.maxRows);
        }
        if (size <= 0) break;
        const res = await this.client.search({
          index: this.index,
          size,
          query,
          _source: false,
          sort: [{ time: { order: 'asc' } }, { id: { order: 'asc' } }],
          track_total_hits: false,
        });
        const ids = res.hits.hits.map((h) => h._id!);
        if (ids.length === 0) break;
        const bulk = await this.client.bulk({ refresh: true, operations: ids.map((id) => ({ delete: { _index: this.index, _id: id } })) });
        const gone = bulk.items.filter((i) => i.delete?.status === 200).length;
        deleted += gone;
        if (gone === 0) break;
      }
      return deleted;
    });
  }

  async ping(): Promise<boolean> {
    try {
      return await this.client.indices.exists({ index: this.index });
    } catch {
      return false;
    }
  }

  async drop(): Promise<void> {
    await this.op(`delete index ${this.index}`, () => this.client.indices.delete({ index: this.index }, { ignore: [404] }));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
