/**
 * Issue 16: killing Elasticsearch (or docqa) mid-bulk left the passages of the unfinished write in the index for
 * good (19,500 in the fault probe): invisible, never deleted. Now a write puts its id marker in first, and
 * sweepOrphans() (run at the start of every ingest batch and server) deletes the passages that no committed
 * document owns once their write is older than the grace period. Real Elasticsearch; the mid-bulk fault is a
 * TCP proxy that drops the connection on the third bulk request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticsearchStore } from '../../src/store/elasticsearch/store.js';
import { idKey } from '../../src/store/elasticsearch/mappings.js';
import { toDocumentSource, toPassageSource } from '../../src/store/elasticsearch/records.js';
import { makeDoc } from '../store/contract.js';
import { elasticsearchAvailable } from '../helpers/elasticsearch.js';
import { esFaultFixture } from './helpers/es-fault.js';

const available = await elasticsearchAvailable('orphan passages after an interrupted Elasticsearch write');

const words = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `Passage ${i} of ${tag} says the turbine ${tag}${i} spins at ${i * 7} rpm.`);

describe.runIf(available)('orphan passages of interrupted Elasticsearch writes (real ES)', () => {
  const fx = esFaultFixture();
  const { raw, prefix, store, rawPassages } = fx;

  it('a write cut mid-bulk leaves invisible passages, which the sweep deletes once the write is older than the grace period', async () => {
    const flaky = new ElasticsearchStore({
      url: fx.proxy.url,
      index: prefix,
      bulkBatchSize: 5,
      retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10 },
    });
    const big = makeDoc('big.txt', words(60, 'alpha'));
    const cut = fx.proxy.refuseOn(/_bulk/u, 3);
    const failed = await flaky.writeDocument(big.doc, big.passages).then(
      () => null,
      (e: unknown) => e as Error,
    );
    await cut;
    expect(failed?.name).toBe('UnavailableError');
    await fx.proxy.restore();
    await flaky.close();

    const left = await rawPassages(big.doc.id);
    expect(left).toBe(10); // two batches of 5 made it before the cut: the orphans
    expect(await store.search('turbine alpha7', { topK: 5 })).toEqual([]);
    expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
    // within the grace period the write may still be running somewhere: kept
    expect(await store.sweepOrphans()).toEqual({ passages: 0, markers: 0 });
    expect(await rawPassages(big.doc.id)).toBe(10);
    expect(await store.sweepOrphans({ graceMs: 0 })).toEqual({ passages: 10, markers: 1 });
    expect(await rawPassages(big.doc.id)).toBe(0);
    // and the rerun writes it whole
    expect((await store.writeDocument(big.doc, big.passages)).status).toBe('created');
    expect(await rawPassages(big.doc.id)).toBe(60);
    expect((await store.getPassages(big.doc.id)).length).toBe(60);
    await store.deleteDocument(big.doc.id);
  });

  it('deletes passages without a marker and leftovers of a replaced version, keeps committed documents and running writes', async () => {
    const write = async (docs: { doc: ReturnType<typeof makeDoc>['doc']; passages: ReturnType<typeof makeDoc>['passages'] }, marker?: string) => {
      if (marker) {
        await raw.index({
          index: store.aliases.documents,
          id: idKey(docs.doc.id),
          document: { ...toDocumentSource(docs.doc, docs.passages.length, 'id'), createdAt: marker },
        });
      }
      await raw.bulk({
        index: store.aliases.passages,
        operations: docs.passages.flatMap((p) => [{ index: { _id: p.id } }, toPassageSource(p, docs.doc)]),
      });
    };
    const committed = makeDoc('a.txt', words(4, 'bravo'));
    await store.writeDocument(committed.doc, committed.passages);
    // killed mid-bulk by an older docqa (passages first, no marker)
    const noMarker = makeDoc('b.txt', words(7, 'charlie'));
    await write(noMarker);
    // replaced, then killed before the old version's leftovers were deleted
    const v1 = makeDoc('c.txt', words(5, 'delta'));
    const v2 = makeDoc('c.txt', words(3, 'echo'));
    await store.writeDocument(v1.doc, v1.passages);
    await store.writeDocument(v2.doc, v2.passages);
    await write(v1, new Date(Date.now() - 3_600_000).toISOString());
    // a write that started a moment ago (another process, still running)
    const running = makeDoc('d.txt', words(6, 'foxtrot'));
    await write(running, new Date().toISOString());

    expect(await store.sweepOrphans()).toEqual({ passages: 7 + 5, markers: 1 });
    expect(await rawPassages(noMarker.doc.id)).toBe(0);
    expect(await rawPassages(v1.doc.id)).toBe(0);
    expect(await rawPassages(running.doc.id)).toBe(6);
    expect(await rawPassages(committed.doc.id)).toBe(4);
    expect(await rawPassages(v2.doc.id)).toBe(3);
    expect(await store.counts()).toEqual({ documents: 2, passages: 7 });
    expect((await store.search('turbine bravo2', { topK: 1 }))[0]?.document.name).toBe('a.txt');
    // a second sweep finds nothing more; the running write completes normally
    expect(await store.sweepOrphans()).toEqual({ passages: 0, markers: 0 });
    expect((await store.writeDocument(running.doc, running.passages)).status).toBe('created');
    expect(await store.counts()).toEqual({ documents: 3, passages: 13 });
  });
});
