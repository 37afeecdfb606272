import type { Config } from '../config.js';
import { ElasticsearchStore } from './elasticsearch/store.js';
import { SqliteStore } from './sqlite.js';
import type { DocumentStore } from './store.js';

/** The store the config names (DOCQA_STORE), not yet initialised. */
export function createStore(config: Config): DocumentStore {
  if (config.store === 'elasticsearch') {
    return ElasticsearchStore.fromConfig(config);
  }
  return SqliteStore.inDataDir(config.dataDir, {
    writeChunk: config.storeWriteChunk || Number.POSITIVE_INFINITY,
    sliceMs: config.storeWriteSliceMs,
    writeThread: config.storeWriteThread,
  });
}
