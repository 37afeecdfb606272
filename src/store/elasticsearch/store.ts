/**
 * The Elasticsearch DocumentStore: passages in one index (BM25 over `text`), document records in another, both
 * behind aliases (design and failure behaviour: docs/elasticsearch.md).
 *
 * Atomic visibility without transactions. Elasticsearch has no multi-document transaction, so the documents index
 * is a commit log keyed by document *source* (its identity): the record under sha256(source) says which document id
 * currently owns that source, and how many passages it has. A passage is visible only when
 *
 *     record(source of the passage).id === passage.docId  &&  passage.seq < record.passageCount
 *
 * A write puts all passages in first (invisible: no record points at them), refreshes the passage index (so that all
 * of them are searchable before any is visible), writes an id marker ('id:' + id, a realtime lookup from id to source)
 * and then commits with one single-document index of the source record. A replacement under the same source is that
 * same single write, so readers switch from the old document to the new one at once, never seeing both or half of
 * either; the old passages and marker are deleted afterwards. A crash before the commit leaves invisible passages
 * that a rewrite of the same content overwrites (same ids); a crash after it leaves invisible leftovers of the old
 * version, deleted by the next write or delete of that document. Search checks visibility with one realtime
 * multi-get of the records of its hits; lookups by id are realtime gets (marker, then its source record).
 *
 * init() upgrades indices of an older schema (indices.ts: migrateIndices).
 *
 * Every search sets allow_partial_search_results: false. On a cluster that lost every copy of a shard (a node died
 * with replicas 0, or mid-failover), Elasticsearch would otherwise answer 200 with the hits of the shards left:
 * answers, lists and counts silently missing documents. Now such a request fails, and the caller gets a 503.
 *
 * The documents index is only refreshed when this store object lists or counts after having written to it (and at
 * init and close), so writes do not pay for a refresh each; another running process sees new records in list/counts
 * within the index's refresh interval (1 s by default), and at once everywhere else (search, get by id or name).
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { CONFIG_DEFAULTS, type Config } from '../../config.js';
import type { DocumentRecord, Passage } from '../../documents/document.js';
import {
  BulkWriteError,
  DEFAULT_BULK_BATCH,
  DEFAULT_RETRY,
  bulkWrite,
  type BulkOperation,
  type BulkOptions,
  type RetryPolicy,
} from './bulk.js';
import { UnavailableError } from '../../errors.js';
import { connectionOptions, createClient, errorType, toStoreError, type ConnectionOptions } from './client.js';
import { dropIndices, ensureIndices, rebuildPassages, type RebuildResult } from './indices.js';
import { documentKey, idKey, indexNames, type IndexLayout, type IndexNames } from './mappings.js';
import { searchQuery } from './query.js';
import { MAX_RESULT_WINDOW, checkTopK, checkWrite } from '../validate.js';
import {
  toDocument,
  toDocumentSource,
  toPassage,
  toPassageSource,
  type DocumentSource,
  type PassageSource,
} from './records.js';
import { queryTerms } from '../query.js';
import type { DocumentStore, ListOptions, PassagePage, SearchHit, SearchOptions, StoreCounts, WriteResult } from '../store.js';

export { BulkWriteError } from './bulk.js';

/** Unset options take the config's defaults (esIndex, esTimeoutMs, esAnalyzer, esShards, esReplicas in src/config.ts). */
export interface ElasticsearchStoreOptions extends Omit<ConnectionOptions, 'timeoutMs'> {
  /** Prefix of the aliases, indices and templates (`<index>-passages`, `<index>-documents`). */
  index?: string;
  timeoutMs?: number;
  /** Analyzer of the passage text: 'standard', or e.g. 'english' where analysis-common is installed. */
  analyzer?: string;
  /** Primary shards of new indices (esShards). */
  shards?: number;
  /** Replicas: a number or an auto-expand range such as '0-1' (esReplicas); applied to the live indices at set-up. */
  replicas?: string;
  /** Bulk operations per request and approximate bytes per request (DEFAULT_BULK_BATCH in bulk.ts). */
  bulkBatchSize?: number;
  bulkMaxBytes?: number;
  /** Retries of bulk requests and items answered 429 or 5xx. */
  retry?: RetryPolicy;
  /** How long a write that has not committed may still be running; older ones are swept (esOrphanGraceMs). */
  orphanGraceMs?: number;
}

/**
 * A write whose marker is older than this and that has not committed is taken for dead, and sweepOrphans()
 * deletes its passages (esOrphanGraceMs in src/config.ts). Far above the time one document's write takes
 * (seconds, even for 20,000 passages).
 */
export const ORPHAN_GRACE_MS = CONFIG_DEFAULTS.esOrphanGraceMs;

interface RecordHit {
  record: DocumentSource;
  seqNo: number;
  primaryTerm: number;
}

/** How many times a commit is retried when another writer changed the same name in between. */
const COMMIT_ATTEMPTS = 5;
/** The commit records (the id markers are lookups only). */
const SOURCE_RECORDS: estypes.QueryDslQueryContainer = { term: { kind: 'source' } };
/** Page size of scans (passages of a document, document lists, deletions). */
const SCAN_PAGE = 1000;

export class ElasticsearchStore implements DocumentStore {
  readonly kind = 'elasticsearch' as const;
  readonly url: string;
  readonly prefix: string;
  readonly analyzer: string;
  readonly layout: IndexLayout;
  private readonly client: Client;
  private readonly names: IndexNames;
  private readonly bulk: BulkOptions;
  private ready: Promise<void> | null = null;
  /** The documents index has writes that list/counts (searches) may not see yet. */
  private documentsDirty = false;
  private readonly orphanGraceMs: number;

  constructor(options: ElasticsearchStoreOptions) {
    this.url = options.url;
    this.prefix = options.index ?? CONFIG_DEFAULTS.esIndex;
    this.analyzer = options.analyzer ?? CONFIG_DEFAULTS.esAnalyzer;
    this.layout = { shards: options.shards ?? CONFIG_DEFAULTS.esShards, replicas: options.replicas ?? CONFIG_DEFAULTS.esReplicas };
    this.client = createClient({ ...options, timeoutMs: options.timeoutMs ?? CONFIG_DEFAULTS.esTimeoutMs });
    this.names = indexNames(this.prefix);
    this.bulk = {
      batchSize: options.bulkBatchSize ?? DEFAULT_BULK_BATCH.operations,
      maxBatchBytes: options.bulkMaxBytes ?? DEFAULT_BULK_BATCH.bytes,
      retry: options.retry ?? DEFAULT_RETRY,
      url: this.url,
      requireAlias: true,
    };
    this.orphanGraceMs = options.orphanGraceMs ?? ORPHAN_GRACE_MS;
  }

  static fromConfig(config: Config): ElasticsearchStore {
    return new ElasticsearchStore({
      ...connectionOptions(config),
      index: config.esIndex,
      analyzer: config.esAnalyzer,
      shards: config.esShards,
      replicas: config.esReplicas,
      orphanGraceMs: config.esOrphanGraceMs,
    });
  }

  /** The aliases the store reads and writes through. */
  get aliases(): { passages: string; documents: string } {
    return { passages: this.names.passagesAlias, documents: this.names.documentsAlias };
  }

  async init(): Promise<void> {
    this.ready = null;
    await this.ensureReady();
    // A store opened right after another process wrote lists and counts what that process committed.
    this.documentsDirty = true;
    await this.op('refresh', () => this.refreshDocumentsIfDirty());
  }

  /** Runs the index set-up once; again after a failure, or after the indices vanished (server wiped). */
  private ensureReady(): Promise<void> {
    if (!this.ready) {
      this.ready = ensureIndices(this.client, this.prefix, this.analyzer, this.layout, this.bulk).then(() => undefined);
      this.ready.catch(() => {
        this.ready = null;
      });
    }
    return this.ready;
  }

  /** Runs one store operation: set-up first, errors mapped to docqa errors. */
  private async op<T>(action: string, fn: () => Promise<T>): Promise<T> {
    await this.ensureReady();
    try {
      return await fn();
    } catch (err) {
      // The indices vanished (a wiped or replaced server): set them up again on the next call.
      const gone = (e: unknown) =>
        errorType(e) === 'index_not_found_exception' ||
        (e instanceof BulkWriteError && e.items.some((i) => i.type === 'index_not_found_exception'));
      if (gone(err)) this.ready = null;
      throw toStoreError(err, action, this.url);
    }
  }

  async writeDocument(doc: DocumentRecord, passages: Passage[]): Promise<WriteResult> {
    const sorted = await checkWrite(doc, passages);
    return this.op(`write document ${doc.source}`, async () => {
      if (await this.committedRecord(doc.id)) return { status: 'unchanged', documentId: doc.id, replacedIds: [] };
      // The marker goes first, stamped with the time this write started: passages that no committed record owns
      // are an interrupted write's, and sweepOrphans() tells a running write (fresh marker) from a dead one.
      await this.client.index({
        index: this.names.documentsAlias,
        id: idKey(doc.id),
        document: { ...toDocumentSource(doc, sorted.length, 'id'), createdAt: new Date().toISOString() },
        require_alias: true,
      });
      await this.writePassages(doc, sorted);
      const outcome = await this.commit(doc, sorted.length);
      if (outcome.status === 'unchanged') return outcome;
      for (const old of outcome.replacedIds) await this.deleteLeftovers(old);
      return outcome;
    });
  }

  /** Step 1 of a write: passages in, stale leftovers of an earlier interrupted write of this id out, refresh. */
  private async writePassages(doc: DocumentRecord, passages: Passage[]): Promise<void> {
    const ops: BulkOperation[] = passages.map((p) => ({
      action: 'index',
      id: p.id,
      document: toPassageSource(p, doc),
    }));
    for (let attempt = 1; ; attempt++) {
      await bulkWrite(this.client, this.names.passagesAlias, ops, this.bulk);
      await this.refreshPassages();
      await this.deletePassagesWhere({
        bool: { filter: [{ term: { docId: doc.id } }, { range: { seq: { gte: passages.length } } }] },
      });
      // All of them must be there before the commit makes them visible (a sweep of a write it took for dead
      // could have removed some): never a half-visible document.
      const { count } = await this.client.count({ index: this.names.passagesAlias, query: { term: { docId: doc.id } } });
      if (count === passages.length) return;
      if (attempt >= COMMIT_ATTEMPTS) {
        throw new UnavailableError(
          `Elasticsearch at ${this.url}: ${count} of the ${passages.length} passages of ${doc.name} are in the index after ${attempt} attempts`,
        );
      }
    }
  }

  /**
   * Deletes the passages of writes that never committed (a process or Elasticsearch killed mid-write) and of
   * documents that lost their name (replaced or deleted, then killed before their leftovers were deleted):
   * passages whose document id no committed record carries, unless the id's marker says a write of it started
   * less than `graceMs` ago (it may still be running). Each passage is deleted only if it is still the version
   * read here, and only while the id's marker is the one read here: a write of the same id that starts meanwhile
   * keeps its passages (see deleteOrphanPassages), and checks them before it commits. Returns how many passages and markers it deleted. Runs at the start of an ingest and of a server.
   */
  async sweepOrphans(options: { graceMs?: number } = {}): Promise<{ passages: number; markers: number }> {
    const graceMs = options.graceMs ?? this.orphanGraceMs;
    return this.op('sweep orphan passages', async () => {
      await this.refreshPassages();
      const cutoff = Date.now() - graceMs;
      let passages = 0;
      let markers = 0;
      let after: Record<string, estypes.FieldValue> | undefined;
      for (;;) {
        const res = await this.client.search({
          index: this.names.passagesAlias,
          allow_partial_search_results: false,
          size: 0,
          aggs: {
            ids: { composite: { size: SCAN_PAGE, sources: [{ docId: { terms: { field: 'docId' } } }], ...(after ? { after } : {}) } },
          },
        });
        const agg = res.aggregations?.ids as estypes.AggregationsCompositeAggregate | undefined;
        const buckets = (agg?.buckets ?? []) as estypes.AggregationsCompositeBucket[];
        const ids = buckets.map((b) => String(b.key.docId));
        if (ids.length === 0) break;
        for (const orphan of await this.orphanIds(ids, cutoff)) {
          const swept = await this.deleteOrphanPassages(orphan.id, orphan.marker);
          passages += swept.deleted;
          if (orphan.marker && !swept.interrupted) {
            const gone = await this.client.delete(
              { index: this.names.documentsAlias, id: idKey(orphan.id), if_seq_no: orphan.marker.seqNo, if_primary_term: orphan.marker.primaryTerm },
              { ignore: [404, 409] },
            );
            if (gone.result === 'deleted') markers++;
          }
        }
        if (!agg?.after_key || ids.length < SCAN_PAGE) break;
        after = agg.after_key as Record<string, estypes.FieldValue>;
      }
      return { passages, markers };
    });
  }

  /** Which of these document ids are orphans: not committed, and no write of them started within the grace period. */
  private async orphanIds(
    ids: string[],
    cutoff: number,
  ): Promise<{ id: string; marker: { seqNo: number; primaryTerm: number } | null }[]> {
    const markers = await this.client.mget<DocumentSource>({ index: this.names.documentsAlias, ids: ids.map(idKey) });
    const found = markers.docs.map((d) => d as estypes.GetGetResult<DocumentSource>).map((d) => (d.found && d._source ? d : null));
    const names = new Map<string, DocumentSource | null>();
    await this.loadRecords(
      found.flatMap((m) => (m ? [m._source!.name] : [])),
      names,
    );
    const out: { id: string; marker: { seqNo: number; primaryTerm: number } | null }[] = [];
    ids.forEach((id, i) => {
      const marker = found[i];
      if (!marker) return void out.push({ id, marker: null });
      const source = marker._source!;
      if (names.get(source.name)?.id === id) return; // committed
      if (Date.parse(source.createdAt) > cutoff) return; // a write that may still be running
      out.push({ id, marker: { seqNo: marker._seq_no!, primaryTerm: marker._primary_term! } });
    });
    return out;
  }

  /**
   * Deletes the passages of one orphan id, each only if unchanged since it was read. Before each page of deletions
   * the id's marker is read again: a write of the id that started after the orphan decision has replaced it (a
   * write puts its marker in before any passage), and then the sweep stops at once. Without that check a sweep that
   * had read a dead write's marker went on deleting, page after page, passages that a new write of the same id had
   * just put in (versions it read after they were written), even after that write had committed: a half-visible
   * document (test/reliability/sweep-race.test.ts). Passages read before the check were read before any such write
   * began, so their conditional deletes cannot touch its versions.
   */
  private async deleteOrphanPassages(
    docId: string,
    marker: { seqNo: number; primaryTerm: number } | null,
  ): Promise<{ deleted: number; interrupted: boolean }> {
    let deleted = 0;
    const seen = new Set<string>();
    for (;;) {
      const res = await this.client.search({
        index: this.names.passagesAlias,
        allow_partial_search_results: false,
        size: SCAN_PAGE,
        query: { term: { docId } },
        _source: false,
        seq_no_primary_term: true,
        track_total_hits: false,
      });
      // a passage rewritten in between (conflict) stays: stop once a page holds nothing new
      const hits = res.hits.hits.filter((h) => !seen.has(h._id!));
      if (hits.length === 0) return { deleted, interrupted: false };
      if (await this.markerChanged(docId, marker)) return { deleted, interrupted: true };
      for (const h of hits) seen.add(h._id!);
      const { conflicts } = await bulkWrite(
        this.client,
        this.names.passagesAlias,
        hits.map((h) => ({ action: 'delete', id: h._id!, ifSeqNo: h._seq_no!, ifPrimaryTerm: h._primary_term! })),
        this.bulk,
      );
      deleted += hits.length - conflicts;
      await this.refreshPassages();
    }
  }

  /** Whether the id marker of `docId` is no longer the version the sweep read (null: it had none). */
  private async markerChanged(docId: string, read: { seqNo: number; primaryTerm: number } | null): Promise<boolean> {
    const now = await this.getRecord(idKey(docId));
    if (!now) return read !== null;
    return read === null || now._seq_no !== read.seqNo || now._primary_term !== read.primaryTerm;
  }

  /**
   * Step 2: the record under the document's source, written in one request with optimistic concurrency control
   * against the record read just before (so two writers of the same source cannot both think they replaced it).
   */
  private async commit(doc: DocumentRecord, passageCount: number): Promise<WriteResult> {
    const key = documentKey(doc.source);
    for (let attempt = 1; ; attempt++) {
      const current = await this.recordByKey(key);
      if (current?.record.id === doc.id) return { status: 'unchanged', documentId: doc.id, replacedIds: [] };
      try {
        await this.client.index({
          index: this.names.documentsAlias,
          id: key,
          document: toDocumentSource(doc, passageCount, 'source'),
          require_alias: true,
          ...(current ? { if_seq_no: current.seqNo, if_primary_term: current.primaryTerm } : { op_type: 'create' }),
        });
      } catch (err) {
        if (errorType(err) === 'version_conflict_engine_exception' && attempt < COMMIT_ATTEMPTS) continue;
        throw err;
      }
      this.documentsDirty = true;
      return current
        ? { status: 'replaced', documentId: doc.id, replacedIds: [current.record.id] }
        : { status: 'created', documentId: doc.id, replacedIds: [] };
    }
  }

  async search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    const topK = checkTopK(options.topK);
    const terms = queryTerms(query);
    const body = searchQuery(terms, options.filters); // checks the filters, even when there is nothing to search
    if (terms.length === 0) return [];
    return this.op('search', async () => {
      const hits: SearchHit[] = [];
      const records = new Map<string, DocumentSource | null>();
      // Over-fetch a little: hits of uncommitted or replaced documents are dropped below.
      const size = Math.min(MAX_RESULT_WINDOW, topK + 10);
      for (let from = 0; hits.length < topK && from < MAX_RESULT_WINDOW; from += size) {
        const res = await this.client.search<PassageSource>({
          index: this.names.passagesAlias,
          allow_partial_search_results: false,
          from,
          size: Math.min(size, MAX_RESULT_WINDOW - from),
          query: body,
          sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }],
          track_scores: true,
          track_total_hits: false,
        });
        const page = res.hits.hits;
        await this.loadRecords(
          page.map((h) => h._source!.source),
          records,
        );
        for (const h of page) {
          const source = h._source!;
          const record = records.get(source.source);
          if (!record || record.id !== source.docId || source.seq >= record.passageCount) continue;
          hits.push({
            passage: toPassage(source),
            score: h._score ?? 0,
            document: { id: record.id, name: record.name, source: record.source, meta: record.meta ?? {} },
          });
          if (hits.length === topK) break;
        }
        if (page.length < size) break;
      }
      return hits;
    });
  }

  /** Realtime multi-get of the records of the given sources into `into` (null where a source has none). */
  private async loadRecords(sources: string[], into: Map<string, DocumentSource | null>): Promise<void> {
    const missing = [...new Set(sources)].filter((n) => !into.has(n));
    if (missing.length === 0) return;
    const res = await this.client.mget<DocumentSource>({
      index: this.names.documentsAlias,
      ids: missing.map(documentKey),
    });
    missing.forEach((source, i) => {
      const doc = res.docs[i] as estypes.GetGetResult<DocumentSource>;
      into.set(source, doc.found && doc._source ? doc._source : null);
    });
  }

  async getDocument(id: string): Promise<DocumentRecord | null> {
    return this.op('get document', async () => {
      const hit = await this.committedRecord(id);
      return hit ? toDocument(hit.record) : null;
    });
  }

  async findDocumentBySource(source: string): Promise<DocumentRecord | null> {
    return this.op('find document by source', async () => {
      const hit = await this.recordByKey(documentKey(source));
      return hit && hit.record.source === source ? toDocument(hit.record) : null;
    });
  }

  async findDocumentsByName(name: string): Promise<DocumentRecord[]> {
    return this.op('find documents by name', async () => {
      const out: DocumentRecord[] = [];
      await this.refreshDocumentsIfDirty();
      const query = { bool: { filter: [SOURCE_RECORDS, { term: { name } }] } };
      await this.scan<DocumentSource>(this.names.documentsAlias, query, [{ source: 'asc' }], (hits) => {
        for (const h of hits) out.push(toDocument(h._source!));
        return true;
      });
      return out;
    });
  }

  async listDocuments(options: ListOptions = {}): Promise<DocumentRecord[]> {
    const offset = Math.max(0, options.offset ?? 0);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    return this.op('list documents', async () => {
      const out: DocumentRecord[] = [];
      let skipped = 0;
      await this.refreshDocumentsIfDirty();
      await this.scan<DocumentSource>(this.names.documentsAlias, SOURCE_RECORDS, [{ name: 'asc' }, { source: 'asc' }], (hits) => {
        for (const h of hits) {
          if (skipped < offset) {
            skipped++;
            continue;
          }
          if (out.length >= limit) return false;
          out.push(toDocument(h._source!));
        }
        return out.length < limit;
      });
      return out;
    });
  }

  async getPassages(docId: string, page?: PassagePage): Promise<Passage[]> {
    return this.op('get passages', async () => {
      const hit = await this.committedRecord(docId);
      if (!hit) return [];
      const out: Passage[] = [];
      const visible = {
        bool: {
          filter: [
            { term: { docId } },
            {
              range: {
                seq: {
                  gte: page?.offset ?? 0,
                  lt: Math.min(hit.record.passageCount, page ? page.offset + page.limit : Infinity),
                },
              },
            },
          ],
        },
      };
      await this.scan<PassageSource>(this.names.passagesAlias, visible, [{ seq: 'asc' }, { id: 'asc' }], (hits) => {
        for (const h of hits) out.push(toPassage(h._source!));
        return true;
      });
      return out;
    });
  }

  async deleteDocument(id: string): Promise<boolean> {
    return this.op('delete document', async () => {
      for (let attempt = 1; ; attempt++) {
        const hit = await this.committedRecord(id);
        if (!hit) return false;
        try {
          await this.client.delete({
            index: this.names.documentsAlias,
            id: documentKey(hit.record.source),
            if_seq_no: hit.seqNo,
            if_primary_term: hit.primaryTerm,
          });
        } catch (err) {
          if (errorType(err) === 'version_conflict_engine_exception' && attempt < COMMIT_ATTEMPTS) continue;
          if ((err as { statusCode?: number }).statusCode === 404 && errorType(err) === undefined) return false;
          throw err;
        }
        this.documentsDirty = true;
        await this.deleteLeftovers(id);
        return true;
      }
    });
  }

  async counts(): Promise<StoreCounts> {
    return this.op('count', async () => {
      await this.refreshDocumentsIfDirty();
      const res = await this.client.search({
        index: this.names.documentsAlias,
        allow_partial_search_results: false,
        query: SOURCE_RECORDS,
        size: 0,
        track_total_hits: true,
        aggs: { passages: { sum: { field: 'passageCount' } } },
      });
      const total = res.hits.total;
      const documents = typeof total === 'number' ? total : (total?.value ?? 0);
      const sum = res.aggregations?.passages as estypes.AggregationsSumAggregate | undefined;
      return { documents, passages: Math.round(sum?.value ?? 0) };
    });
  }

  async ping(): Promise<boolean> {
    try {
      return await this.client.indices.existsAlias(
        { name: this.names.documentsAlias },
        { requestTimeout: 5_000, maxRetries: 0 },
      );
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // Make what this store committed visible to other processes' list/counts now rather than at the next refresh.
    await this.refreshDocumentsIfDirty().catch(() => undefined);
    await this.client.close();
  }

  /** Rebuilds the passage index with the configured analyzer and swaps the alias (see indices.ts). */
  async rebuildPassages(): Promise<RebuildResult> {
    try {
      return await rebuildPassages(this.client, this.prefix, this.analyzer, this.layout, this.bulk);
    } catch (err) {
      throw toStoreError(err, 'rebuild passages', this.url);
    }
  }

  /** Deletes this store's indices, aliases and templates; the next operation (or init) sets them up again, empty. */
  async drop(): Promise<void> {
    this.ready = null;
    this.documentsDirty = false;
    await dropIndices(this.client, this.prefix, this.url);
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  /** Realtime get from the documents index; null when the document is missing (a missing *index* throws). */
  private async getRecord(id: string): Promise<estypes.GetGetResult<DocumentSource> | null> {
    try {
      const res = await this.client.get<DocumentSource>({ index: this.names.documentsAlias, id });
      return res.found && res._source ? res : null;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404 && errorType(err) === undefined) return null;
      throw err;
    }
  }

  private async recordByKey(key: string): Promise<RecordHit | null> {
    const res = await this.getRecord(key);
    if (!res) return null;
    return { record: res._source!, seqNo: res._seq_no!, primaryTerm: res._primary_term! };
  }

  /** The committed record of a document id: its marker gives the source, and the record of that source the id. */
  private async committedRecord(id: string): Promise<RecordHit | null> {
    const marker = await this.getRecord(idKey(id));
    if (!marker) return null;
    const hit = await this.recordByKey(documentKey(marker._source!.source));
    return hit?.record.id === id ? hit : null;
  }

  private async refreshDocumentsIfDirty(): Promise<void> {
    if (!this.documentsDirty) return;
    this.documentsDirty = false;
    await this.client.indices.refresh({ index: this.names.documentsAlias });
  }

  /**
   * Pages through every hit of a query in `sort` order (search_after); `onPage` returns false to stop. `sort` must
   * order the hits totally by their own fields (end it with a unique one): a `_doc` tie-breaker is the Lucene doc
   * number, which a segment merge between two pages renumbers, and search_after then repeated a hit (the server
   * kill harness saw a passage of a two-page document twice while other uploads were being written).
   */
  private async scan<T>(
    index: string,
    query: estypes.QueryDslQueryContainer,
    sort: estypes.SortCombinations[],
    onPage: (hits: estypes.SearchHit<T>[]) => boolean,
  ): Promise<void> {
    let after: estypes.SortResults | undefined;
    for (;;) {
      const res = await this.client.search<T>({
        index,
        allow_partial_search_results: false,
        size: SCAN_PAGE,
        query,
        sort,
        track_total_hits: false,
        ...(after ? { search_after: after } : {}),
      });
      const hits = res.hits.hits;
      if (hits.length === 0 || !onPage(hits) || hits.length < SCAN_PAGE) return;
      after = hits[hits.length - 1]!.sort;
    }
  }

  private async refreshPassages(): Promise<void> {
    await this.client.indices.refresh({ index: this.names.passagesAlias });
  }

  /** After a document lost its source (replaced or deleted): its marker and passages go. */
  private async deleteLeftovers(docId: string): Promise<void> {
    await this.client.delete({ index: this.names.documentsAlias, id: idKey(docId) }, { ignore: [404] });
    await this.deletePassagesWhere({ term: { docId } });
  }

  /** Deletes every passage a query matches (the test distribution has no delete-by-query), then refreshes. */
  private async deletePassagesWhere(query: estypes.QueryDslQueryContainer): Promise<void> {
    for (;;) {
      const res = await this.client.search({
        index: this.names.passagesAlias,
        allow_partial_search_results: false,
        size: SCAN_PAGE,
        query,
        _source: false,
        track_total_hits: false,
      });
      const ids = res.hits.hits.map((h) => h._id!);
      if (ids.length === 0) return;
      await bulkWrite(
        this.client,
        this.names.passagesAlias,
        ids.map((id) => ({ action: 'delete', id })),
        this.bulk,
      );
      await this.refreshPassages();
    }
  }
}
