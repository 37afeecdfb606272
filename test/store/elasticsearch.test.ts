/**
 * The Elasticsearch store against a real server (see test/helpers/elasticsearch.ts). Each store gets its own random index prefix and drops its indices afterwards.
 */
import net from 'node:net';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError } from '../../src/errors.js';
import { ElasticsearchStore, type ElasticsearchStoreOptions } from '../../src/store/elasticsearch/store.js';
import { documentKey, idKey } from '../../src/store/elasticsearch/mappings.js';
import { toDocumentSource, toPassageSource } from '../../src/store/elasticsearch/records.js';
import { ES_URL, elasticsearchAvailable, testIndexPrefix } from '../helpers/elasticsearch.js';
import { describeStoreContract, makeDoc } from './contract.js';

const available = await elasticsearchAvailable('Elasticsearch store tests');

const stores: ElasticsearchStore[] = [];

const prefix = testIndexPrefix;

function openStore(options: Partial<ElasticsearchStoreOptions> = {}): ElasticsearchStore {
  const store = new ElasticsearchStore({ url: ES_URL, index: prefix(), timeoutMs: 30_000, ...options });
  stores.push(store);
  return store;
}

/** A raw client, for looking behind the store's back (and for simulating crashes). */
const raw = new Client({ node: ES_URL });

afterAll(async () => {
  for (const s of stores) {
    const cleanup = new ElasticsearchStore({ url: ES_URL, index: s.prefix, analyzer: s.analyzer });
    await cleanup.drop().catch(() => undefined);
    await cleanup.close();
    await s.close().catch(() => undefined);
  }
  await raw.close();
});

describe.skipIf(!available)('ElasticsearchStore against a real server', () => {
  describeStoreContract('elasticsearch', async () => {
    const store = openStore();
    return {
      store,
      cleanup: async () => {
        await store.drop();
        await store.close();
      },
    };
  });

  describe('index design', () => {
    it('puts the aliases in front of generation-1 indices with strict mappings', async () => {
      const store = openStore();
      await store.init();
      const aliases = await raw.indices.getAlias({ name: `${store.prefix}-*` });
      expect(aliases).toEqual({
        [`${store.prefix}-passages-000001`]: { aliases: { [`${store.prefix}-passages`]: { is_write_index: true } } },
        [`${store.prefix}-documents-000001`]: { aliases: { [`${store.prefix}-documents`]: { is_write_index: true } } },
      });
      const mapping = await raw.indices.getMapping({ index: store.aliases.passages });
      const { mappings } = mapping[`${store.prefix}-passages-000001`]!;
      expect(mappings.dynamic).toBe('strict');
      expect(mappings.properties).toMatchObject({
        docId: { type: 'keyword' },
        name: { type: 'keyword' },
        source: { type: 'keyword' },
        meta: { type: 'object', enabled: false },
        metaString: { type: 'flattened' },
        metaBoolean: { type: 'flattened' },
        metaKeys: { type: 'keyword' },
        text: { type: 'text', analyzer: 'standard' },
        page: { type: 'integer' },
        charStart: { type: 'integer' },
        seq: { type: 'integer' },
      });
      const template = await raw.indices.getIndexTemplate({ name: `${store.prefix}-passages` });
      expect(template.index_templates[0]!.index_template.index_patterns).toEqual([`${store.prefix}-passages-*`]);
    });

    it('reopens an existing index: a new store object sees what an earlier one wrote', async () => {
      const first = openStore();
      await first.init();
      const d = makeDoc('reopen.txt', ['Photosynthesis turns light into chemical energy.'], { meta: { k: 'v' } });
      await first.writeDocument(d.doc, d.passages);
      await first.close();
      const second = openStore({ index: first.prefix });
      await second.init();
      expect(await second.counts()).toEqual({ documents: 1, passages: 1 });
      expect(await second.getDocument(d.doc.id)).toEqual(d.doc);
      const hits = await second.search('photosynthesis', { topK: 3 });
      expect(hits.map((h) => h.passage)).toEqual([d.passages[0]]);
    });

    it('refuses an analyzer the server does not have, naming the setting', async () => {
      const store = openStore({ analyzer: 'no_such_analyzer' });
      const err = await store.init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/DOCQA_ES_ANALYZER/);
    });

    it('detects an analyzer change on reopen, and rebuilds behind the alias without losing passages', async () => {
      const first = openStore();
      await first.init();
      const d = makeDoc('rebuild.txt', ['The Rhine flows into the North Sea.', 'Cologne lies on the Rhine.']);
      await first.writeDocument(d.doc, d.passages);
      const changed = openStore({ index: first.prefix, analyzer: 'simple' });
      await expect(changed.init()).rejects.toThrow(/built with the "standard" analyzer/);
      const result = await changed.rebuildPassages();
      expect(result).toEqual({
        from: `${first.prefix}-passages-000001`,
        to: `${first.prefix}-passages-000002`,
        passages: 2,
      });
      await changed.init();
      const aliases = await raw.indices.getAlias({ name: changed.aliases.passages });
      expect(Object.keys(aliases)).toEqual([`${first.prefix}-passages-000002`]);
      expect((await changed.search('Cologne', { topK: 5 })).map((h) => h.passage)).toEqual([d.passages[1]]);
      expect(await changed.getPassages(d.doc.id)).toEqual(d.passages);
    });
  });

  describe('writes', () => {
    it('indexes a document in more than one bulk batch', async () => {
      const store = openStore({ bulkBatchSize: 3 });
      await store.init();
      const texts = Array.from({ length: 10 }, (_, i) => `Passage number ${i} mentions token${i} once.`);
      const d = makeDoc('batched.txt', texts);
      expect(await store.writeDocument(d.doc, d.passages)).toMatchObject({ status: 'created' });
      expect(await store.getPassages(d.doc.id)).toEqual(d.passages);
      expect((await store.search('token7', { topK: 3 })).map((h) => h.passage.id)).toEqual([d.passages[7]!.id]);
      expect(await store.counts()).toEqual({ documents: 1, passages: 10 });
    });

    it('reports the item Elasticsearch refused and leaves the document invisible', async () => {
      const store = openStore();
      await store.init();
      // A keyword longer than Lucene's 32766-byte term limit is refused per item ("immense term").
      const longName = 'n'.repeat(40_000);
      const d = makeDoc(longName, ['Some text about glaciers.', 'More text about fjords.']);
      const err = await store.writeDocument(d.doc, d.passages).catch((e: unknown) => e);
      // the write's id marker (written first since issue 16) is the first item refused: a clean bad_input naming why
      expect(err).toMatchObject({ code: 'bad_input' });
      expect((err as Error).message).toMatch(/document_parsing_exception/u);
      expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
      // the passages alone are refused item by item (what a bulk write reports)
      const bulk = await raw.bulk({
        index: store.aliases.passages,
        operations: d.passages.flatMap((p) => [{ index: { _id: p.id } }, toPassageSource(p, d.doc)]),
      });
      expect(bulk.items.map((i) => i.index?.error?.type)).toEqual(d.passages.map(() => 'document_parsing_exception'));
      expect(await store.search('glaciers', { topK: 3 })).toEqual([]);
    });

    it('a crash between passages and commit leaves nothing visible, and rewriting the document repairs it', async () => {
      const store = openStore();
      await store.init();
      const d = makeDoc('crash.txt', ['Saturn has a prominent ring system.', 'Titan is the largest moon of Saturn.']);
      // what writeDocument does before its commit: passages written and refreshed, no record
      await raw.bulk({
        index: store.aliases.passages,
        refresh: true,
        operations: d.passages.flatMap((p) => [{ index: { _id: p.id } }, toPassageSource(p, d.doc)]),
      });
      expect(await store.search('Saturn', { topK: 5 })).toEqual([]);
      expect(await store.getDocument(d.doc.id)).toBeNull();
      expect(await store.getPassages(d.doc.id)).toEqual([]);
      expect(await store.counts()).toEqual({ documents: 0, passages: 0 });

      expect(await store.writeDocument(d.doc, d.passages)).toEqual({
        status: 'created',
        documentId: d.doc.id,
        replacedIds: [],
      });
      expect((await store.search('Titan', { topK: 5 })).map((h) => h.passage)).toEqual([d.passages[1]]);
      expect(await store.getPassages(d.doc.id)).toEqual(d.passages);
    });

    it('deletes leftovers of an interrupted write with more passages when the document is rewritten', async () => {
      const store = openStore();
      await store.init();
      const d = makeDoc('strays.txt', ['Oslo is the capital of Norway.', 'Bergen is known for rain.']);
      // an interrupted earlier write of the same content split into four passages
      const stray = { ...d.passages[1]!, id: `${d.doc.id}:3`, seq: 3, text: 'Tromso sees the northern lights.' };
      await raw.bulk({
        index: store.aliases.passages,
        refresh: true,
        operations: [...d.passages, stray].flatMap((p) => [{ index: { _id: p.id } }, toPassageSource(p, d.doc)]),
      });
      await store.writeDocument(d.doc, d.passages);
      expect(await store.search('Tromso northern lights', { topK: 5 })).toEqual([]);
      const left = await raw.count({ index: store.aliases.passages, query: { term: { docId: d.doc.id } } });
      expect(left.count).toBe(2);
    });

    it('switches a name to its new document in one step: leftovers of the old one stay invisible', async () => {
      const store = openStore();
      await store.init();
      const v1 = makeDoc('switch.txt', ['Version one talks about copper.']);
      const v2 = makeDoc('switch.txt', ['Version two talks about zinc.']);
      await store.writeDocument(v1.doc, v1.passages);
      // a replacement that crashed right after its commit: v2 committed, v1's passages not yet deleted
      await raw.bulk({
        index: store.aliases.passages,
        refresh: true,
        operations: v2.passages.flatMap((p) => [{ index: { _id: p.id } }, toPassageSource(p, v2.doc)]),
      });
      await raw.index({
        index: store.aliases.documents,
        id: idKey(v2.doc.id),
        document: toDocumentSource(v2.doc, v2.passages.length, 'id'),
      });
      await raw.index({
        index: store.aliases.documents,
        id: documentKey('switch.txt'),
        document: toDocumentSource(v2.doc, v2.passages.length, 'source'),
        refresh: true,
      });
      expect(await store.search('copper', { topK: 5 })).toEqual([]);
      expect(await store.getPassages(v1.doc.id)).toEqual([]);
      expect((await store.search('zinc', { topK: 5 })).map((h) => h.document.id)).toEqual([v2.doc.id]);
      expect(await store.findDocumentBySource('switch.txt')).toEqual(v2.doc);
      expect(await store.getDocument(v2.doc.id)).toEqual(v2.doc);
      expect(await store.getDocument(v1.doc.id)).toBeNull();
      expect(await store.counts()).toEqual({ documents: 1, passages: 1 });
      // writing v1 again replaces v2 and deletes every passage of it
      await store.writeDocument(v1.doc, v1.passages);
      const left = await raw.count({ index: store.aliases.passages, query: { term: { docId: v2.doc.id } } });
      expect(left.count).toBe(0);
    });

    it('rejects malformed filters and topK as bad input', async () => {
      const store = openStore();
      await store.init();
      const bad = { meta: { topic: { like: 'geology' } } } as never;
      await expect(store.search('x', { topK: 3, filters: bad })).rejects.toMatchObject({ code: 'bad_input' });
      await expect(store.search('x', { topK: 0 })).rejects.toMatchObject({ code: 'bad_input' });
      await expect(store.search('x', { topK: 2.5 })).rejects.toMatchObject({ code: 'bad_input' });
    });
  });

  describe('when Elasticsearch is down', () => {
    it('fails init with an UnavailableError that names the URL, and ping says false', async () => {
      const port = await freePort();
      const store = openStore({ url: `http://127.0.0.1:${port}`, maxRetries: 0 });
      const err = await store.init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toContain(`http://127.0.0.1:${port}`);
      expect(await store.ping()).toBe(false);
    });

    it('answers UnavailableError while the server is away and recovers without a restart', async () => {
      const proxy = await TcpProxy.start(new URL(ES_URL));
      const store = openStore({ url: `http://127.0.0.1:${proxy.port}`, maxRetries: 0 });
      await store.init();
      const d = makeDoc('outage.txt', ['Lighthouses guide ships at night.']);
      await store.writeDocument(d.doc, d.passages);

      await proxy.stop();
      await expect(store.search('lighthouses', { topK: 3 })).rejects.toBeInstanceOf(UnavailableError);
      await expect(store.counts()).rejects.toMatchObject({ code: 'unavailable' });
      expect(await store.ping()).toBe(false);

      await proxy.listen();
      expect(await store.ping()).toBe(true);
      expect((await store.search('lighthouses', { topK: 3 })).map((h) => h.passage)).toEqual(d.passages);
      await proxy.stop();
    });
  });

  describe('when the indices vanish (server wiped)', () => {
    it('reports unavailable once, then sets the indices up again by itself', async () => {
      const store = openStore();
      await store.init();
      const d = makeDoc('wiped.txt', ['Glaciers carve U-shaped valleys.']);
      await store.writeDocument(d.doc, d.passages);
      await raw.indices.delete({ index: `${store.prefix}-passages-000001,${store.prefix}-documents-000001` });

      await expect(store.search('glaciers', { topK: 3 })).rejects.toMatchObject({ code: 'unavailable' });
      expect(await store.search('glaciers', { topK: 3 })).toEqual([]);
      expect(await store.writeDocument(d.doc, d.passages)).toMatchObject({ status: 'created' });
      expect((await store.search('glaciers', { topK: 3 })).map((h) => h.passage)).toEqual(d.passages);
    });
  });

  describe('cluster layout (DOCQA_ES_SHARDS, DOCQA_ES_REPLICAS)', () => {
    const settingsOf = async (alias: string) => {
      const res = await raw.indices.getSettings({ index: alias, flat_settings: true });
      return Object.values(res).map((v) => {
        const s = v.settings as Record<string, string>;
        return {
          shards: s['index.number_of_shards'],
          replicas: s['index.number_of_replicas'],
          auto: s['index.auto_expand_replicas'] ?? 'false',
        };
      });
    };

    it('creates new indices with the configured shards and replicas, and applies a replica change to the live ones', async () => {
      const first = openStore({ shards: 2, replicas: '0' });
      await first.init();
      const d = makeDoc('layout.txt', ['Glaciers carve valleys.', 'Moraines mark where they stopped.', 'Ice flows downhill.']);
      await first.writeDocument(d.doc, d.passages);
      for (const alias of Object.values(first.aliases)) {
        expect(await settingsOf(alias)).toEqual([{ shards: '2', replicas: '0', auto: 'false' }]);
      }
      await first.close();
      // the default layout again (a one-node server: 0-1 expands to 0 replicas); shards stay, they are fixed
      const second = openStore({ index: first.prefix });
      await second.init();
      for (const alias of Object.values(second.aliases)) {
        expect(await settingsOf(alias)).toEqual([{ shards: '2', replicas: '0', auto: '0-1' }]);
      }
      expect(await second.counts()).toEqual({ documents: 1, passages: 3 });
      expect((await second.search('moraines', { topK: 3 })).map((h) => h.passage)).toEqual([d.passages[1]]);
      const template = await raw.indices.getIndexTemplate({ name: `${first.prefix}-passages` });
      expect(template.index_templates[0]!.index_template.template?.settings).toMatchObject({
        index: { number_of_shards: '1', auto_expand_replicas: '0-1' },
      });
    });

    it('goes on with the next node of a comma-separated DOCQA_ES_URL when the first does not answer', async () => {
      const dead = `http://127.0.0.1:${await freePort()}`;
      const store = openStore({ url: `${dead},${ES_URL}` });
      await store.init();
      const d = makeDoc('two-nodes.txt', ['Basalt is a volcanic rock.']);
      for (let i = 0; i < 3; i++) {
        expect((await store.search('basalt', { topK: 1 })).length).toBe(i === 0 ? 0 : 1);
        if (i === 0) await store.writeDocument(d.doc, d.passages);
      }
      expect(await store.counts()).toEqual({ documents: 1, passages: 1 });
    });
  });

  describe('connection settings', () => {
    it('names an unreadable CA file at construction', () => {
      expect(() => new ElasticsearchStore({ url: ES_URL, caFile: '/nonexistent/ca.pem' })).toThrow(
        /DOCQA_ES_CA_FILE/,
      );
    });

    it('sends basic auth (accepted by a server without security)', async () => {
      const store = openStore({ username: 'elastic', password: 'changeme' });
      await store.init();
      expect(await store.ping()).toBe(true);
    });
  });
});


async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP forwarder in front of the real server, to take it away and bring it back on the same port. */
class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly port: number,
    private readonly target: URL,
  ) {}

  static async start(target: URL): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.listen();
    return proxy;
  }

  async listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || 80), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
