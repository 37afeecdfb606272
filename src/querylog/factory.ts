import type { Config } from '../config.js';
import { ElasticsearchQueryLog } from './elasticsearch.js';
import { SqliteQueryLog } from './sqlite.js';
import type { QueryLog, Retention } from './store.js';

/** The query log of the configured store kind (DOCQA_STORE): <dataDir>/querylog.sqlite or the index <esIndex>-queries. Not yet initialised. */
export function createQueryLog(config: Config): QueryLog {
  if (config.store === 'elasticsearch') return ElasticsearchQueryLog.fromConfig(config);
  return SqliteQueryLog.inDataDir(config.dataDir);
}

export function retentionOf(config: Config): Retention {
  return { maxAgeDays: config.queryLogRetentionDays, maxRows: config.queryLogMaxRows };
}
