/** The Elasticsearch query log against a real server (test/helpers/elasticsearch.ts), each test under a fresh prefix. */
import { describe } from 'vitest';
import { ElasticsearchQueryLog } from '../../src/querylog/elasticsearch.js';
import { ES_URL, elasticsearchAvailable, testIndexPrefix } from '../helpers/elasticsearch.js';
import { describeQueryLogContract } from './contract.js';

const available = await elasticsearchAvailable('Elasticsearch query log tests');

describe.skipIf(!available)('ElasticsearchQueryLog against a real server', () => {
  describeQueryLogContract('elasticsearch', async () => {
    const log = new ElasticsearchQueryLog({ url: ES_URL, index: testIndexPrefix(), timeoutMs: 30_000 });
    return {
      log,
      async cleanup() {
        await log.drop();
        await log.close();
      },
    };
  });
});
