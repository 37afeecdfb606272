/**
 * Issue 16: /metrics answered 503 for the whole Elasticsearch outage, because the docqa_store_* gauges called the
 * store at scrape time. Now the counts are cached: a scrape during an outage answers 200 with the last good counts
 * and their age, and the counts catch up when the store is back. Real Elasticsearch behind a TCP proxy that
 * refuses or swallows connections.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import { Metrics } from '../../src/observability/metrics.js';
import { makeDoc } from '../store/contract.js';
import { elasticsearchAvailable, ES_URL, testIndexPrefix } from '../helpers/elasticsearch.js';
import { tempServices } from '../helpers/services.js';
import { faultProxy, type FaultProxy } from './helpers/proxy.js';

const available = await elasticsearchAvailable('metrics during an Elasticsearch outage');

const sample = (text: string, name: string): number | null => {
  const m = new RegExp(`^${name} (\\S+)$`, 'mu').exec(text);
  return m ? (m[1] === '+Inf' ? Infinity : Number(m[1])) : null;
};

describe.runIf(available)('/metrics while Elasticsearch is down (real ES behind a fault proxy)', () => {
  let proxy: FaultProxy;
  let services: Awaited<ReturnType<typeof tempServices>>;
  beforeAll(async () => {
    proxy = await faultProxy(ES_URL);
    services = await tempServices({ store: 'elasticsearch', esUrl: proxy.url, esIndex: testIndexPrefix(), esTimeoutMs: 1500 });
  });
  afterAll(async () => {
    await proxy.restore();
    await services.store.drop();
    await services.cleanup();
    await proxy.close();
  });

  it('answers 200 with the last good counts during the outage, and catches up afterwards', async () => {
    const app = await services.httpApp();
    const a = makeDoc('a.txt', ['Photosynthesis turns light into chemical energy.', 'Chlorophyll absorbs light.']);
    await services.store.writeDocument(a.doc, a.passages);
    let res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(sample(res.text, 'docqa_store_documents')).toBe(1);
    expect(sample(res.text, 'docqa_store_passages')).toBe(2);

    for (const outage of ['refuse', 'hang'] as const) {
      if (outage === 'refuse') await proxy.refuse();
      else proxy.hang();
      expect((await request(app).get('/readyz')).status).toBe(503);
      const errorsBefore = sample((await request(app).get('/metrics')).text, 'docqa_store_count_errors_total') ?? 0;
      for (let i = 0; i < 3; i++) {
        res = await request(app).get('/metrics');
        expect(res.status, `${outage} scrape ${i}`).toBe(200);
        expect(sample(res.text, 'docqa_store_documents')).toBe(1);
        expect(sample(res.text, 'docqa_store_passages')).toBe(2);
        expect(sample(res.text, 'docqa_store_counts_age_seconds')).toBeGreaterThanOrEqual(0);
      }
      // the read that was running during the scrapes fails for good, counted
      await services.metrics.refreshStoreCounts();
      const errorsAfter = sample((await request(app).get('/metrics')).text, 'docqa_store_count_errors_total') ?? 0;
      expect(errorsAfter).toBeGreaterThan(errorsBefore);
      await proxy.restore();
    }

    const b = makeDoc('b.txt', ['The Rhine ends in the North Sea.']);
    await services.store.writeDocument(b.doc, b.passages);
    await services.metrics.refreshStoreCounts();
    res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(sample(res.text, 'docqa_store_documents')).toBe(2);
    expect(sample(res.text, 'docqa_store_passages')).toBe(3);
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('says the counts were never read (age +Inf) while the store never answered, and the scrape still succeeds', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.trackStoreCounts(() => Promise.reject(new UnavailableError('Elasticsearch at http://127.0.0.1:1 is unreachable')));
    const text = await metrics.registry.metrics();
    expect(sample(text, 'docqa_store_documents')).toBe(0);
    expect(sample(text, 'docqa_store_counts_age_seconds')).toBe(Infinity);
    await metrics.refreshStoreCounts();
    expect(sample(await metrics.registry.metrics(), 'docqa_store_count_errors_total')).toBeGreaterThanOrEqual(1);
  });
});
