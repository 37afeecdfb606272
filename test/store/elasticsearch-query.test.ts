/** The pure parts of the Elasticsearch store: filters, write checks, index names (no server needed). */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { concreteIndex, documentKey, generationOf, idKey } from '../../src/store/elasticsearch/mappings.js';
import { filterClauses, searchQuery } from '../../src/store/elasticsearch/query.js';
import { CHECK_SLICE, checkTopK, checkWrite } from '../../src/store/validate.js';
import { makeDoc } from './contract.js';

describe('filterClauses', () => {
  it('turns each filter into an exact term filter, an empty list into match_none', () => {
    expect(filterClauses({ docIds: ['a', 'b'], names: [], meta: { topic: ['geo'], lang: ['en', 'it'] } })).toEqual([
      { terms: { docId: ['a', 'b'] } },
      { match_none: {} },
      { terms: { 'metaString.topic': ['geo'] } },
      { terms: { 'metaString.lang': ['en', 'it'] } },
    ]);
  });

  it('queries each type in its own field: numbers, booleans, dates (as instants), ranges, exists', () => {
    expect(
      filterClauses({
        meta: {
          year: { in: [2021, '2021', true] },
          day: '2024-03-01',
          score: { range: { gte: 1, lte: 2 } },
          when: { range: { lte: '2024-03-01T00:00:00+01:00' } },
          tags: { exists: false },
        },
      }),
    ).toEqual([
      {
        bool: {
          should: [
            { terms: { 'metaString.year': ['2021'] } },
            { terms: { 'metaBoolean.year': ['true'] } },
            { terms: { 'metaNumber.year': [2021] } },
          ],
          minimum_should_match: 1,
        },
      },
      { range: { 'metaDate.day': { gte: Date.UTC(2024, 2, 1), lte: Date.UTC(2024, 2, 1), format: 'epoch_millis' } } },
      { range: { 'metaNumber.score': { gte: 1, lte: 2 } } },
      { range: { 'metaDate.when': { lte: Date.UTC(2024, 1, 29, 23), format: 'epoch_millis' } } },
      { bool: { must_not: [{ term: { metaKeys: 'tags' } }] } },
    ]);
    expect(filterClauses(undefined)).toEqual([]);
  });

  it('rejects malformed filters, naming the field', () => {
    const bad = (filters: unknown) => () => filterClauses(filters as never);
    expect(bad({ names: 'a.txt' })).toThrow(BadInputError);
    expect(bad({ docIds: [1] })).toThrow(/filters.docIds/);
    expect(bad({ meta: { topic: { in: 'geo' } } })).toThrow(/filters.meta.topic.in/);
    expect(bad({ meta: { '': ['x'] } })).toThrow(/metadata key/);
    expect(bad({ meta: ['x'] })).toThrow(/filters.meta/);
  });
});

describe('searchQuery', () => {
  it('is a plain match (OR) over the passage text, so no query syntax is interpreted', () => {
    expect(searchQuery(['etna', 'lava'], { names: ['a'] })).toEqual({
      bool: {
        must: [{ match: { text: { query: 'etna lava', operator: 'or' } } }],
        filter: [{ terms: { name: ['a'] } }],
      },
    });
  });
});

describe('checkTopK', () => {
  it('accepts 1..10000 integers only', () => {
    expect(checkTopK(10)).toBe(10);
    for (const k of [0, -1, 1.5, 10_001, Number.NaN, '3']) expect(() => checkTopK(k)).toThrow(BadInputError);
  });
});

describe('checkWrite', () => {
  const d = makeDoc('a.txt', ['one', 'two', 'three']);

  it('returns the passages in seq order', async () => {
    const shuffled = [d.passages[2]!, d.passages[0]!, d.passages[1]!];
    await expect(checkWrite(d.doc, shuffled)).resolves.toEqual(d.passages);
  });

  it('rejects gaps in seq, foreign passages and ids that are not docId:seq', async () => {
    await expect(checkWrite(d.doc, [d.passages[0]!, d.passages[2]!])).rejects.toThrow(/seqs must be 0..1/);
    await expect(checkWrite(d.doc, [{ ...d.passages[0]!, docId: 'x' }])).rejects.toThrow(/belongs to x/);
    await expect(checkWrite(d.doc, [{ ...d.passages[0]!, id: 'p0' }])).rejects.toThrow(/must be/);
    await expect(checkWrite({ ...d.doc, meta: { n: [{}] as unknown as string } }, d.passages)).rejects.toThrow(/meta.n/);
    await expect(checkWrite({ ...d.doc, source: '' }, d.passages)).rejects.toThrow(/source/);
    const withId = (id: string) => [{ ...d.passages[0]!, id }, ...d.passages.slice(1)];
    for (const id of [`${d.doc.id}:00`, `${d.doc.id}:`, `${d.doc.id}:0a`, `${d.doc.id}0`, `x${d.doc.id}:0`, `${d.doc.id}:-0`]) {
      await expect(checkWrite(d.doc, withId(id)), id).rejects.toThrow(/must be/);
    }
  });

  it('checks a document of more passages than one slice, keeping an ordered array as it is', async () => {
    const texts = Array.from({ length: CHECK_SLICE + 3 }, (_, i) => `passage ${i}`);
    const big = makeDoc('big.txt', texts);
    await expect(checkWrite(big.doc, big.passages)).resolves.toBe(big.passages);
    const wrong = big.passages.map((p) => (p.seq === CHECK_SLICE + 1 ? { ...p, id: `${big.doc.id}:${CHECK_SLICE + 2}` } : p));
    await expect(checkWrite(big.doc, wrong)).rejects.toThrow(`must be ${big.doc.id}:${CHECK_SLICE + 1}`);
  });
});

describe('index names', () => {
  it('numbers generations behind an alias and keys records by hashed name and by id', () => {
    expect(concreteIndex('docqa-passages', 2)).toBe('docqa-passages-000002');
    expect(generationOf('docqa-passages', 'docqa-passages-000002')).toBe(2);
    expect(generationOf('docqa-passages', 'docqa-passages-x')).toBeNull();
    expect(documentKey('a.txt')).toMatch(/^[0-9a-f]{64}$/);
    expect(idKey('abc')).toBe('id:abc');
  });
});
