/**
 * The DocumentStore contract: every store implementation runs these same tests against a real backend.
 * Usage: describeStoreContract('sqlite', async () => ({ store, cleanup }))
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentRecord, Passage } from '../../src/documents/document.js';
import { passageId } from '../../src/documents/document.js';
import type { DocumentStore } from '../../src/store/store.js';

export interface StoreUnderTest {
  store: DocumentStore;
  cleanup: () => Promise<void>;
}

/** Builds a document and its passages from passage texts (joined by a blank line), with exact offsets. */
export function makeDoc(
  name: string,
  texts: string[],
  options: { meta?: Record<string, string>; pages?: (number | null)[]; headings?: (string | undefined)[] } = {},
): { doc: DocumentRecord; passages: Passage[]; text: string } {
  const text = texts.join('\n\n');
  const id = createHash('sha256').update(text).digest('hex');
  let cursor = 0;
  const passages = texts.map((t, seq): Passage => {
    const charStart = text.indexOf(t, cursor);
    cursor = charStart + t.length;
    const p: Passage = {
      id: passageId(id, seq),
      docId: id,
      text: t,
      charStart,
      charEnd: charStart + t.length,
      page: options.pages?.[seq] ?? null,
      seq,
    };
    const heading = options.headings?.[seq];
    if (heading !== undefined) p.heading = heading;
    return p;
  });
  const doc: DocumentRecord = {
    id,
    name,
    meta: options.meta ?? {},
    pageCount: new Set(options.pages?.filter((p) => p !== null)).size,
    passageCount: passages.length,
    charCount: text.length,
    createdAt: new Date('2026-01-02T03:04:05.000Z').toISOString(),
  };
  return { doc, passages, text };
}

export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: DocumentStore;

    beforeEach(async () => {
      sut = await open();
      store = sut.store;
      await store.init();
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    const volcano = makeDoc(
      'geology/volcanoes.txt',
      [
        'Mount Etna is an active stratovolcano on the east coast of Sicily, Italy.',
        'Its eruptions are frequent; lava flows have reached the town of Catania.',
        'The basalt around Etna is fertile, so vineyards cover its lower slopes.',
      ],
      { meta: { topic: 'geology', lang: 'en' }, pages: [1, 1, 2], headings: ['Etna', 'Etna', undefined] },
    );
    const river = makeDoc(
      'geography/rivers.md',
      [
        'The Danube flows through ten countries before reaching the Black Sea.',
        'Vienna, Budapest and Belgrade are capitals on the Danube.',
      ],
      { meta: { topic: 'geography', lang: 'en' } },
    );
    const music = makeDoc('music/opera.txt', ['Verdi wrote the opera Aida, first staged in Cairo in 1871.'], {
      meta: { topic: 'music', lang: 'it' },
    });

    async function writeAll() {
      for (const d of [volcano, river, music]) await store.writeDocument(d.doc, d.passages);
    }

    it('init is idempotent and the store answers ping', async () => {
      await store.init();
      expect(await store.ping()).toBe(true);
      expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
    });

    it('round-trips documents and passages exactly', async () => {
      const result = await store.writeDocument(volcano.doc, volcano.passages);
      expect(result).toEqual({ status: 'created', documentId: volcano.doc.id, replacedIds: [] });
      expect(await store.getDocument(volcano.doc.id)).toEqual(volcano.doc);
      expect(await store.findDocumentByName('geology/volcanoes.txt')).toEqual(volcano.doc);
      const passages = await store.getPassages(volcano.doc.id);
      expect(passages).toEqual(volcano.passages);
      for (const p of passages) expect(volcano.text.slice(p.charStart, p.charEnd)).toBe(p.text);
      expect(await store.getDocument('nope')).toBeNull();
      expect(await store.findDocumentByName('nope')).toBeNull();
      expect(await store.getPassages('nope')).toEqual([]);
      // a page by seq
      expect(await store.getPassages(volcano.doc.id, { offset: 1, limit: 1 })).toEqual(volcano.passages.slice(1, 2));
      expect(await store.getPassages(volcano.doc.id, { offset: 0, limit: 100 })).toEqual(volcano.passages);
      expect(await store.getPassages(volcano.doc.id, { offset: volcano.passages.length, limit: 5 })).toEqual([]);
    });

    it('keeps unicode text intact', async () => {
      const d = makeDoc('unicode.txt', ['Café Zürich — naïve façade 🌋 東京 «quoted»\ttab  two spaces', 'Ωmega ﬁnal']);
      await store.writeDocument(d.doc, d.passages);
      expect(await store.getPassages(d.doc.id)).toEqual(d.passages);
      const hits = await store.search('Zürich café', { topK: 5 });
      expect(hits.map((h) => h.passage.id)).toContain(d.passages[0]!.id);
    });

    it('writing the same content again is a no-op', async () => {
      await store.writeDocument(volcano.doc, volcano.passages);
      const again = await store.writeDocument(volcano.doc, volcano.passages);
      expect(again).toEqual({ status: 'unchanged', documentId: volcano.doc.id, replacedIds: [] });
      expect(await store.counts()).toEqual({ documents: 1, passages: 3 });
    });

    it('a new version under the same name replaces the old one and its passages', async () => {
      await store.writeDocument(volcano.doc, volcano.passages);
      const v2 = makeDoc('geology/volcanoes.txt', ['Vesuvius destroyed Pompeii in the year 79.']);
      const result = await store.writeDocument(v2.doc, v2.passages);
      expect(result).toEqual({ status: 'replaced', documentId: v2.doc.id, replacedIds: [volcano.doc.id] });
      expect(await store.getDocument(volcano.doc.id)).toBeNull();
      expect(await store.getPassages(volcano.doc.id)).toEqual([]);
      expect(await store.counts()).toEqual({ documents: 1, passages: 1 });
      expect(await store.search('Etna stratovolcano', { topK: 10 })).toEqual([]);
      const hits = await store.search('Pompeii', { topK: 10 });
      expect(hits.map((h) => h.passage.id)).toEqual([v2.passages[0]!.id]);
    });

    it('ranks by BM25: the passage with the rare query terms comes first, scores descending', async () => {
      await writeAll();
      const hits = await store.search('Which capitals lie on the Danube?', { topK: 10 });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits[0]!.passage.id).toBe(river.passages[1]!.id);
      expect(hits[0]!.document).toEqual({ id: river.doc.id, name: river.doc.name, meta: river.doc.meta });
      expect(hits[0]!.passage).toEqual(river.passages[1]);
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
      for (const h of hits) expect(h.score).toBeGreaterThan(0);
      // only passages that share a term with the query
      const ids = hits.map((h) => h.passage.id);
      expect(ids).not.toContain(music.passages[0]!.id);
    });

    it('respects topK', async () => {
      await writeAll();
      const all = await store.search('Etna Danube Verdi lava capitals vineyards', { topK: 10 });
      expect(all.length).toBeGreaterThanOrEqual(4);
      const two = await store.search('Etna Danube Verdi lava capitals vineyards', { topK: 2 });
      expect(two.map((h) => h.passage.id)).toEqual(all.slice(0, 2).map((h) => h.passage.id));
    });

    it('filters by document id, name and metadata, exactly', async () => {
      await writeAll();
      const q = 'Etna Danube Verdi opera lava capitals';
      const byId = await store.search(q, { topK: 10, filters: { docIds: [music.doc.id] } });
      expect(byId.map((h) => h.document.id)).toEqual([music.doc.id]);
      const byName = await store.search(q, { topK: 10, filters: { names: ['geography/rivers.md'] } });
      expect(new Set(byName.map((h) => h.document.id))).toEqual(new Set([river.doc.id]));
      const byMeta = await store.search(q, { topK: 10, filters: { meta: { topic: ['geology', 'music'] } } });
      expect(new Set(byMeta.map((h) => h.document.id))).toEqual(new Set([volcano.doc.id, music.doc.id]));
      const both = await store.search(q, { topK: 10, filters: { meta: { topic: ['geology', 'music'], lang: ['it'] } } });
      expect(both.map((h) => h.document.id)).toEqual([music.doc.id]);
      // exact: a prefix of a value does not match
      expect(await store.search(q, { topK: 10, filters: { meta: { topic: ['geo'] } } })).toEqual([]);
      expect(await store.search(q, { topK: 10, filters: { names: ['rivers.md'] } })).toEqual([]);
      expect(await store.search(q, { topK: 10, filters: { docIds: [] } })).toEqual([]);
    });

    it('survives queries with search-syntax characters and returns nothing for empty ones', async () => {
      await writeAll();
      for (const q of ['"Etna', 'Etna AND (lava OR', 'NOT Etna*', 'title:Etna^2 ~ -', "Etna's lava?!", 'a/b\\c{d}[e]']) {
        const hits = await store.search(q, { topK: 5 });
        expect(Array.isArray(hits)).toBe(true);
      }
      expect((await store.search("Etna's lava?!", { topK: 5 }))[0]!.document.id).toBe(volcano.doc.id);
      expect(await store.search('', { topK: 5 })).toEqual([]);
      expect(await store.search('?!  ...', { topK: 5 })).toEqual([]);
    });

    it('deletes a document with its passages', async () => {
      await writeAll();
      expect(await store.deleteDocument(volcano.doc.id)).toBe(true);
      expect(await store.deleteDocument(volcano.doc.id)).toBe(false);
      expect(await store.getDocument(volcano.doc.id)).toBeNull();
      expect(await store.getPassages(volcano.doc.id)).toEqual([]);
      expect(await store.search('Etna', { topK: 10 })).toEqual([]);
      expect(await store.counts()).toEqual({ documents: 2, passages: 3 });
    });

    it('lists documents by name with paging', async () => {
      await writeAll();
      const all = await store.listDocuments();
      expect(all.map((d) => d.name)).toEqual(['geography/rivers.md', 'geology/volcanoes.txt', 'music/opera.txt']);
      expect(all[1]).toEqual(volcano.doc);
      const page = await store.listDocuments({ limit: 1, offset: 1 });
      expect(page.map((d) => d.name)).toEqual(['geology/volcanoes.txt']);
    });

    it('rejects inconsistent writes: foreign passages, gaps in seq, ids that are not docId:seq, non-string meta', async () => {
      const [p0, p1, p2] = volcano.passages as [Passage, Passage, Passage];
      const bad: [DocumentRecord, Passage[]][] = [
        [volcano.doc, [{ ...p0, docId: 'other' }, p1, p2]],
        [volcano.doc, [p0, p2]],
        [volcano.doc, [p0, { ...p1, id: 'p1' }, p2]],
        [{ ...volcano.doc, meta: { n: 1 as unknown as string } }, volcano.passages],
      ];
      for (const [doc, passages] of bad) {
        await expect(store.writeDocument(doc, passages)).rejects.toMatchObject({ code: 'bad_input' });
      }
      expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
      // passages may come in any order: the store keeps them by seq
      await store.writeDocument(volcano.doc, [p2, p0, p1]);
      expect(await store.getPassages(volcano.doc.id)).toEqual(volcano.passages);
    });

    it('drop deletes everything; after init the store is empty and usable again', async () => {
      await writeAll();
      await store.drop();
      await store.init();
      expect(await store.counts()).toEqual({ documents: 0, passages: 0 });
      expect(await store.search('Etna', { topK: 5 })).toEqual([]);
      expect(await store.getDocument(volcano.doc.id)).toBeNull();
      expect(await store.listDocuments()).toEqual([]);
      expect((await store.writeDocument(volcano.doc, volcano.passages)).status).toBe('created');
      expect(await store.getPassages(volcano.doc.id)).toEqual(volcano.passages);
    });

    it('rejects a topK out of range', async () => {
      await writeAll();
      for (const topK of [0, -1, 1.5, 10_001]) {
        await expect(store.search('Etna', { topK })).rejects.toMatchObject({ code: 'bad_input' });
      }
    });
  });
}
