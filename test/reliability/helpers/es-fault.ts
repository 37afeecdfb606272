/**
 * The fixture of the Elasticsearch fault tests (es-orphans, sweep-race): a store on a fresh random index prefix of
 * the real server, a raw client to look behind the store, and a TCP fault proxy in front of the server. Call it in
 * a describe block: it registers the beforeAll/afterAll that set them up and take them down.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll } from 'vitest';
import { ElasticsearchStore } from '../../../src/store/elasticsearch/store.js';
import { ES_URL, testIndexPrefix } from '../../helpers/elasticsearch.js';
import { faultProxy, type FaultProxy } from './proxy.js';

export interface EsFaultFixture {
  raw: Client;
  prefix: string;
  store: ElasticsearchStore;
  /** Set in beforeAll. */
  proxy: FaultProxy;
  /** Passages of `docId` in the index, visible or not (after a refresh). */
  rawPassages(docId: string): Promise<number>;
}

export function esFaultFixture(): EsFaultFixture {
  const raw = new Client({ node: ES_URL });
  const prefix = testIndexPrefix();
  const store = new ElasticsearchStore({ url: ES_URL, index: prefix });
  const fx: EsFaultFixture = {
    raw,
    prefix,
    store,
    proxy: undefined as unknown as FaultProxy,
    async rawPassages(docId: string) {
      await raw.indices.refresh({ index: store.aliases.passages });
      return (await raw.count({ index: store.aliases.passages, query: { term: { docId } } })).count;
    },
  };
  beforeAll(async () => {
    await store.init();
    fx.proxy = await faultProxy(ES_URL);
  });
  afterAll(async () => {
    await store.drop();
    await store.close();
    await raw.close();
    await fx.proxy?.close();
  });
  return fx;
}
