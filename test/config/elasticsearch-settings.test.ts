/** DOCQA_ES_SHARDS, DOCQA_ES_REPLICAS and a DOCQA_ES_URL of several nodes: validation and the index settings made of them. */
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, esNodeUrls, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { indexSettings, replicaSettings } from '../../src/store/elasticsearch/mappings.js';

describe('Elasticsearch cluster settings', () => {
  it('defaults to one shard and replicas 0-1 (green on one node, one replica from two nodes on)', () => {
    expect(CONFIG_DEFAULTS.esShards).toBe(1);
    expect(CONFIG_DEFAULTS.esReplicas).toBe('0-1');
    expect(indexSettings({ shards: CONFIG_DEFAULTS.esShards, replicas: CONFIG_DEFAULTS.esReplicas })).toEqual({
      number_of_shards: 1,
      auto_expand_replicas: '0-1',
    });
  });

  it('takes a fixed number of replicas or an auto-expand range', () => {
    const fixed = loadConfig({ DOCQA_ES_SHARDS: '3', DOCQA_ES_REPLICAS: '1' });
    expect([fixed.esShards, fixed.esReplicas]).toEqual([3, '1']);
    expect(indexSettings({ shards: 3, replicas: '1' })).toEqual({ number_of_shards: 3, number_of_replicas: 1 });
    // on a live index a fixed number must also turn auto-expansion off
    expect(replicaSettings('1')).toEqual({ number_of_replicas: 1, auto_expand_replicas: 'false' });
    expect(loadConfig({ DOCQA_ES_REPLICAS: '0-all' }).esReplicas).toBe('0-all');
    expect(loadConfig({}, { esReplicas: 2 }).esReplicas).toBe('2');
    expect(indexSettings({ shards: 2, replicas: '1-all' })).toEqual({ number_of_shards: 2, auto_expand_replicas: '1-all' });
  });

  it.each([
    ['DOCQA_ES_REPLICAS', 'two'],
    ['DOCQA_ES_REPLICAS', '2-1'],
    ['DOCQA_ES_REPLICAS', '-1'],
    ['DOCQA_ES_REPLICAS', '0-'],
    ['DOCQA_ES_SHARDS', '0'],
    ['DOCQA_ES_SHARDS', '1.5'],
    ['DOCQA_ES_SHARDS', '129'],
    ['DOCQA_ES_URL', 'http://127.0.0.1:9250,not a url'],
    ['DOCQA_ES_URL', 'ftp://127.0.0.1:9250'],
    ['DOCQA_ES_URL', ','],
  ])('refuses %s=%s, naming the setting', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`invalid setting ${name}`));
  });

  it('takes several comma-separated node URLs', () => {
    const config = loadConfig({ DOCQA_ES_URL: 'http://127.0.0.1:9250, http://127.0.0.1:9251,http://127.0.0.1:9252' });
    expect(esNodeUrls(config.esUrl)).toEqual(['http://127.0.0.1:9250', 'http://127.0.0.1:9251', 'http://127.0.0.1:9252']);
  });
});
