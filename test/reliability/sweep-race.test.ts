/**
 * Issue 16, "sweep-vs-write race untested": the orphan sweep (run at the start of every ingest batch and server)
 * deletes the passages of writes it takes for dead, while another process may be writing the same document. The
 * sweep must never delete passages of a document being written. Elasticsearch, real server: the sweep's first
 * deletion request is held back by a TCP proxy while a write of the same document runs to its commit, so the
 * interleaving is the same in every run. SQLite writes are transactions and have nothing to sweep: the same race
 * through the Ingestor is checked there too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticsearchStore } from '../../src/store/elasticsearch/store.js';
import { idKey } from '../../src/store/elasticsearch/mappings.js';
import { toDocumentSource, toPassageSource } from '../../src/store/elasticsearch/records.js';
import { makeDoc } from '../store/contract.js';
import { elasticsearchAvailable } from '../helpers/elasticsearch.js';
import { tempServices } from '../helpers/services.js';
import { esFaultFixture } from './helpers/es-fault.js';

const available = await elasticsearchAvailable('the orphan sweep racing a write (Elasticsearch)');

const words = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `Passage ${i} of ${tag} says the rotor ${tag}${i} turns at ${i * 3} rpm.`);

describe.runIf(available)('the orphan sweep racing a write of the same document (real Elasticsearch)', () => {
  const fx = esFaultFixture();
  const { raw, prefix, store, rawPassages } = fx;

  /** What a dead write of `doc` left: its first `n` passages, and (unless null) a marker stamped an hour ago. */
  const deadWrite = async (d: ReturnType<typeof makeDoc>, n: number, marker: boolean) => {
    if (marker) {
      await raw.index({
        index: store.aliases.documents,
        id: idKey(d.doc.id),
        document: { ...toDocumentSource(d.doc, d.passages.length, 'id'), createdAt: new Date(Date.now() - 3_600_000).toISOString() },
      });
    }
    await raw.bulk({
      index: store.aliases.passages,
      operations: d.passages.slice(0, n).flatMap((p) => [{ index: { _id: p.id } }, toPassageSource(p, d.doc)]),
    });
  };

  it.each([
    ['a dead write with a marker', true, 'alpha'],
    ['passages without a marker (an older docqa)', false, 'bravo'],
  ])('leftovers of %s: a write of the same document during the sweep commits whole and stays whole', async (_label, marker, tag) => {
    const d = makeDoc(`${tag}.txt`, words(60, tag));
    await deadWrite(d, 10, marker);
    const sweeper = new ElasticsearchStore({ url: fx.proxy.url, index: prefix });
    // the sweep has read the dead write's marker and passages and decided to delete them; its first deletion
    // request is held back while the document is written again, whole, and committed
    const hold = fx.proxy.holdOn(/_bulk/u, 1);
    const sweeping = sweeper.sweepOrphans();
    await hold.held;
    expect((await store.writeDocument(d.doc, d.passages)).status).toBe('created');
    expect(await rawPassages(d.doc.id)).toBe(60);
    hold.release();
    const swept = await sweeping;
    await sweeper.close();

    // the held deletions hit newer versions (conflicts), and the sweep stopped when it saw the new marker
    expect(swept).toEqual({ passages: 0, markers: 0 });
    expect(await rawPassages(d.doc.id)).toBe(60);
    expect((await store.getPassages(d.doc.id)).map((p) => p.seq)).toEqual([...Array(60).keys()]);
    expect((await store.getDocument(d.doc.id))?.passageCount).toBe(60);
    expect((await store.search(`rotor ${tag}42`, { topK: 1 }))[0]?.passage.seq).toBe(42);
    // a later sweep has nothing to delete: the document is committed
    expect(await store.sweepOrphans({ graceMs: 0 })).toEqual({ passages: 0, markers: 0 });
    expect(await rawPassages(d.doc.id)).toBe(60);
  });

  it('a sweep that runs to its end before the write still deletes the leftovers, and the write then commits whole', async () => {
    const d = makeDoc('charlie.txt', words(30, 'charlie'));
    await deadWrite(d, 12, true);
    expect(await store.sweepOrphans()).toEqual({ passages: 12, markers: 1 });
    expect(await rawPassages(d.doc.id)).toBe(0);
    expect((await store.writeDocument(d.doc, d.passages)).status).toBe('created');
    expect((await store.getPassages(d.doc.id)).length).toBe(30);
  });
});

describe('the orphan sweep racing a write (SQLite)', () => {
  it('a sweep during a chunked ingest leaves the live write alone and the document whole', async () => {
    // 2-passage chunks: the write spans many transactions with the event loop free between them, so the sweep
    // (which purges staged writes of dead processes) runs while this process's write is staged
    const services = await tempServices({ storeWriteChunk: 2 });
    try {
      expect(services.store.sweepOrphans).toBeTypeOf('function');
      const text = words(3000, 'delta').join('\n\n');
      // sweep again and again for as long as the ingest runs (its chunks leave the event loop free in between)
      let done = false;
      const ingest = services.ingestor.ingest({ data: Buffer.from(text), name: 'delta.txt' }).finally(() => (done = true));
      const swept: { passages: number; markers: number }[] = [];
      while (!done) {
        swept.push(await services.ingestor.sweepOrphans());
        await new Promise((r) => setImmediate(r));
      }
      const outcome = await ingest;
      expect(swept.length).toBeGreaterThan(1);
      expect(swept.every((x) => x.passages === 0 && x.markers === 0)).toBe(true);
      expect(outcome.status).toBe('created');
      const doc = (await services.store.listDocuments())[0]!;
      expect(doc.passageCount).toBeGreaterThan(4);
      expect((await services.store.getPassages(doc.id)).map((p) => p.seq)).toEqual([...Array(doc.passageCount).keys()]);
      expect(await services.store.counts()).toEqual({ documents: 1, passages: doc.passageCount });
    } finally {
      await services.cleanup();
    }
  });
});
