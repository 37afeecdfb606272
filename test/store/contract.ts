/**
 * The DocumentStore contract: every store implementation runs these same tests against a real backend.
 * Usage: describeStoreContract('sqlite', async () => ({ store, cleanup }))
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentMeta, DocumentRecord, Passage } from '../../src/documents/document.js';
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
  options: { meta?: DocumentMeta; source?: string; pages?: (number | null)[]; headings?: (string | undefined)[] } = {},
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
    source: options.source ?? name,
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
      expect(await store.findDocumentBySource('geology/volcanoes.txt')).toEqual(volcano.doc);
      const passages = await store.getPassages(volcano.doc.id);
      expect(passages).toEqual(volcano.passages);
      for (const p of passages) expect(volcano.text.slice(p.charStart, p.charEnd)).toBe(p.text);
      expect(await store.getDocument('nope')).toBeNull();
      expect(await store.findDocumentBySource('nope')).toBeNull();
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

    it('identity is the source: the same name from two sources is two documents, found by source or by name', async () => {
      const yaml = makeDoc('README.md', ['PyYAML is a YAML parser and emitter for Python.'], {
        source: '/usr/share/doc/python3-yaml/README.md',
      });
      const glib = makeDoc('README.md', ['GLib is the low-level core library of GNOME.'], {
        source: '/usr/share/doc/libglib2.0-0/README.md',
      });
      expect((await store.writeDocument(yaml.doc, yaml.passages)).status).toBe('created');
      expect(await store.writeDocument(glib.doc, glib.passages)).toEqual({ status: 'created', documentId: glib.doc.id, replacedIds: [] });
      expect(await store.counts()).toEqual({ documents: 2, passages: 2 });
      expect(await store.findDocumentBySource('/usr/share/doc/python3-yaml/README.md')).toEqual(yaml.doc);
      expect(await store.findDocumentBySource('/usr/share/doc/libglib2.0-0/README.md')).toEqual(glib.doc);
      expect(await store.findDocumentBySource('README.md')).toBeNull();
      expect(await store.findDocumentsByName('README.md')).toEqual([glib.doc, yaml.doc]);
      expect(await store.findDocumentsByName('nope.md')).toEqual([]);
      expect((await store.search('YAML parser', { topK: 5 }))[0]!.document).toMatchObject({ id: yaml.doc.id, source: yaml.doc.source });
      expect((await store.search('GNOME library', { topK: 5 }))[0]!.document.id).toBe(glib.doc.id);
      expect((await store.listDocuments()).map((d) => d.source)).toEqual([glib.doc.source, yaml.doc.source]);
      const bySource = await store.search('YAML GNOME', { topK: 5, filters: { sources: [glib.doc.source] } });
      expect(bySource.map((h) => h.document.id)).toEqual([glib.doc.id]);
      // a new text of one source replaces that document only
      const yaml2 = makeDoc('README.md', ['PyYAML 6 dropped Python 2 support.'], { source: yaml.doc.source });
      expect(await store.writeDocument(yaml2.doc, yaml2.passages)).toEqual({ status: 'replaced', documentId: yaml2.doc.id, replacedIds: [yaml.doc.id] });
      expect(await store.findDocumentsByName('README.md')).toEqual([glib.doc, yaml2.doc]);
      expect(await store.counts()).toEqual({ documents: 2, passages: 2 });
      expect(await store.deleteDocument(glib.doc.id)).toBe(true);
      expect(await store.findDocumentsByName('README.md')).toEqual([yaml2.doc]);
    });

    it('a new version under the same source replaces the old one and its passages', async () => {
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
      expect(hits[0]!.document).toEqual({ id: river.doc.id, name: river.doc.name, source: river.doc.source, meta: river.doc.meta });
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

    describe('typed metadata filters (the same semantics on every store)', () => {
      const docs = {
        a: makeDoc('a.txt', ['Granite is an igneous rock.'], {
          meta: { team: 'geo', year: 2021, score: 4.5, draft: false, published: '2021-06-01', tags: ['rock', 'field'] },
        }),
        b: makeDoc('b.txt', ['Basalt is an igneous rock too.'], {
          meta: { team: 'geo', year: 2023, score: 3, draft: true, published: '2023-01-15T12:00:00Z', tags: ['rock'] },
        }),
        c: makeDoc('c.txt', ['Marble is a metamorphic rock.'], {
          meta: { team: 'lab', year: '2023', published: 'soon', tags: [] },
        }),
        d: makeDoc('d.txt', ['Slate is a fine metamorphic rock.'], { meta: {} }),
      };
      const ids = (hits: { document: { name: string } }[]) => [...new Set(hits.map((h) => h.document.name[0]))].sort().join('');

      const cases: [string, Record<string, unknown>, string][] = [
        ['string eq', { team: 'geo' }, 'ab'],
        ['string eq operator', { team: { eq: 'lab' } }, 'c'],
        ['string in', { team: ['lab', 'nope'] }, 'c'],
        ['in operator, mixed types', { year: { in: [2021, '2023'] } }, 'ac'],
        ['number eq is numeric (3 = 3.0), never the string "3"', { score: 3.0 }, 'b'],
        ['number eq does not match a string', { year: 2023 }, 'b'],
        ['string eq does not match a number', { year: '2021' }, ''],
        ['boolean eq', { draft: false }, 'a'],
        ['boolean true', { draft: { eq: true } }, 'b'],
        ['number range', { year: { range: { gte: 2022 } } }, 'b'],
        ['number range both bounds, inclusive', { score: { range: { gte: 3, lte: 4.5 } } }, 'ab'],
        ['date eq is the same instant', { published: '2021-06-01T00:00:00Z' }, 'a'],
        ['date range', { published: { range: { gte: '2022-01-01', lte: '2023-12-31' } } }, 'b'],
        ['date range with an offset', { published: { range: { lte: '2023-01-15T13:00:00+02:00' } } }, 'a'],
        ['a non-date string is a string', { published: 'soon' }, 'c'],
        ['list values match any element', { tags: 'field' }, 'a'],
        ['exists', { tags: { exists: true } }, 'ab'],
        ['exists false (an empty list has no value)', { tags: { exists: false } }, 'cd'],
        ['exists on a key nobody has', { nope: { exists: true } }, ''],
        ['range on a key nobody has', { nope: { range: { gte: 1 } } }, ''],
        ['an empty list of alternatives matches nothing', { team: [] }, ''],
        ['keys AND together', { team: 'geo', draft: true }, 'b'],
      ];
      // One store for every case (setting up an Elasticsearch index per case would cost seconds each).
      it(`eq, in, range, exists over strings, numbers, booleans, dates and lists (${cases.length} cases)`, async () => {
        for (const d of Object.values(docs)) await store.writeDocument(d.doc, d.passages);
        for (const [what, meta, expected] of cases) {
          const hits = await store.search('rock', { topK: 20, filters: { meta } as never });
          expect(ids(hits), what).toBe(expected);
        }
      });

      it('refuses bad filters with bad_input naming the field, instead of ignoring them or failing', async () => {
        await store.writeDocument(docs.a.doc, docs.a.passages);
        const bad: [unknown, RegExp][] = [
          [{ meta: JSON.parse('{"__proto__": ["x"]}') }, /filters\.meta\.__proto__/],
          [{ meta: { 'a\\b': 'x' } }, /filters\.meta\.a\\b/],
          [{ meta: { 'a.b': 'x' } }, /filters\.meta\.a\.b/],
          [{ meta: Object.fromEntries(Array.from({ length: 999 }, (_, i) => [`k${i}`, 'v'])) }, /filters\.meta: at most 32 keys/],
          [{ docIds: Array.from({ length: 33_000 }, (_, i) => `id${i}`) }, /filters\.docIds: at most 1000 values/],
          [{ names: Array.from({ length: 200_000 }, (_, i) => `n${i}`) }, /filters\.names: at most 1000/],
          [{ meta: { year: { in: Array.from({ length: 5000 }, (_, i) => i) } } }, /filters\.meta\.year\.in: at most 1000/],
          [{ meta: { year: { range: { gte: 1, lte: '2020-01-01' } } } }, /must both be numbers or both dates/],
          [{ meta: { year: { range: { gte: 'soon' } } } }, /filters\.meta\.year\.range\.gte/],
          [{ meta: { year: { range: {} } } }, /needs gte, lte or both/],
          [{ meta: { year: { like: 'x' } } }, /filters\.meta\.year/],
          [{ meta: { year: { nested: { x: 1 } } } }, /filters\.meta\.year/],
          [{ meta: { year: null } }, /filters\.meta\.year/],
          [{ other: [] }, /filters\.other/],
        ];
        for (const [filters, message] of bad) {
          const err = await store.search('granite', { topK: 5, filters: filters as never }).catch((e: unknown) => e);
          expect(err, JSON.stringify(filters).slice(0, 80)).toMatchObject({ code: 'bad_input', message: expect.stringMatching(message) });
        }
      });
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

    it('rejects inconsistent writes: foreign passages, gaps in seq, ids that are not docId:seq, nested meta, no source', async () => {
      const [p0, p1, p2] = volcano.passages as [Passage, Passage, Passage];
      const bad: [DocumentRecord, Passage[]][] = [
        [volcano.doc, [{ ...p0, docId: 'other' }, p1, p2]],
        [volcano.doc, [p0, p2]],
        [volcano.doc, [p0, { ...p1, id: 'p1' }, p2]],
        [{ ...volcano.doc, meta: { n: { nested: 1 } as unknown as string } }, volcano.passages],
        [{ ...volcano.doc, meta: { n: Number.NaN } }, volcano.passages],
        [{ ...volcano.doc, source: '' }, volcano.passages],
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
