/**
 * Upgrading stores made by the first release (store schema 1: documents unique by name, string metadata) to schema 2
 * (unique by source, typed metadata). The fixtures in test/fixtures/store were written by that release's own code
 * (make-v1.mjs says how): its SQLite file as is, and its Elasticsearch templates and documents as a JSON dump.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type estypes } from '@elastic/elasticsearch';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ElasticsearchStore } from '../../src/store/elasticsearch/store.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { STORE_SCHEMA_VERSION, type DocumentStore } from '../../src/store/store.js';
import { ES_URL, elasticsearchAvailable, testIndexPrefix } from '../helpers/elasticsearch.js';
import { makeDoc } from './contract.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'store');

/** What every migrated store must hold: the release's three documents, each with its old name as its source. */
async function expectMigrated(store: DocumentStore): Promise<void> {
  const docs = await store.listDocuments();
  expect(docs.map((d) => [d.name, d.source])).toEqual([
    ['guide/README.md', 'guide/README.md'],
    ['notes/rivers.txt', 'notes/rivers.txt'],
    ['tesla.txt', 'tesla.txt'],
  ]);
  expect(docs[0]!.meta).toMatchObject({ team: 'geo', year: '2024', format: 'markdown' });
  expect(await store.counts()).toEqual({ documents: 3, passages: 3 });
  const hits = await store.search('Where does the Danube flow?', { topK: 3 });
  expect(hits[0]!.document).toMatchObject({ name: 'notes/rivers.txt', source: 'notes/rivers.txt' });
  expect(hits[0]!.passage.text).toBe('The Danube flows through ten countries before reaching the Black Sea.');
  // the passages are intact, offsets included
  for (const d of docs) {
    const passages = await store.getPassages(d.id);
    expect(passages.length).toBe(d.passageCount);
    expect(passages[0]!.charStart).toBe(0);
  }
  // old string metadata is typed by the new rules: an ISO date string is a date, "2024" stays a string
  const q = 'Danube volcanoes Tesla guide';
  const names = async (meta: Record<string, unknown>) =>
    (await store.search(q, { topK: 10, filters: { meta } as never })).map((h) => h.document.name).sort();
  expect(await names({ published: { range: { gte: '2024-01-01', lte: '2024-12-31' } } })).toEqual(['notes/rivers.txt']);
  expect(await names({ team: ['geo', 'water'] })).toEqual(['guide/README.md', 'notes/rivers.txt']);
  expect(await names({ year: '2024' })).toEqual(['guide/README.md']);
  expect(await names({ year: 2024 })).toEqual([]);
  expect(await names({ team: { exists: false } })).toEqual(['tesla.txt']);
  // and identity by source works on the upgraded store: another README.md is another document
  const other = makeDoc('README.md', ['The other guide is about glaciers.'], { source: 'other/README.md' });
  const again = makeDoc('README.md', ['The guide now explains volcanoes and calderas.'], { source: 'guide/README.md' });
  expect((await store.writeDocument(other.doc, other.passages)).status).toBe('created');
  expect((await store.writeDocument(again.doc, again.passages)).status).toBe('replaced');
  expect((await store.listDocuments()).map((d) => d.source)).toEqual([
    'guide/README.md',
    'other/README.md',
    'notes/rivers.txt',
    'tesla.txt',
  ]);
  expect(await store.counts()).toEqual({ documents: 4, passages: 4 });
}

describe('SQLite store: schema 1 -> 2', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const copyFixture = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-migrate-'));
    dirs.push(dir);
    const file = path.join(dir, 'docqa.sqlite');
    fs.copyFileSync(path.join(FIXTURES, 'docqa-v1.sqlite'), file);
    return file;
  };

  it('the fixture is a schema 1 store: no user_version, names unique, no source column', () => {
    // a copy: opening a WAL database, even read-only, creates files beside it
    const db = new Database(copyFixture(), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    const columns = (db.prepare('PRAGMA table_info(documents)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain('source');
    db.close();
  });

  it('upgrades in place on open, keeps every document and passage, and then works as schema 2', async () => {
    const file = copyFixture();
    const store = new SqliteStore(file);
    await store.init();
    expect(store.schemaVersion()).toBe(STORE_SCHEMA_VERSION);
    await expectMigrated(store);
    await store.close();
    // opening again does not migrate again
    const reopened = new SqliteStore(file);
    await reopened.init();
    expect(await reopened.counts()).toEqual({ documents: 4, passages: 4 });
    await reopened.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('refuses a store of a newer schema instead of guessing', async () => {
    const file = copyFixture();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    const store = new SqliteStore(file);
    await expect(store.init()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/schema 99, newer/) });
  });
});

const available = await elasticsearchAvailable('Elasticsearch migration tests');

interface Dump {
  prefix: string;
  templates: Record<'passages' | 'documents', estypes.IndicesIndexTemplate>;
  indices: Record<'passages' | 'documents', { _id: string; _source: object }[]>;
}

describe.skipIf(!available)('Elasticsearch store: schema 1 -> 2', () => {
  const raw = new Client({ node: ES_URL });
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) {
      const store = new ElasticsearchStore({ url: ES_URL, index: prefix });
      await store.drop().catch(() => undefined);
      await store.close();
    }
    await raw.close();
  });

  /** Recreates the release's indices under a fresh prefix from the dump: its templates, its documents. */
  async function loadFixture(): Promise<string> {
    const dump = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'elasticsearch-v1.json'), 'utf8')) as Dump;
    const prefix = testIndexPrefix();
    prefixes.push(prefix);
    for (const kind of ['passages', 'documents'] as const) {
      const t = dump.templates[kind];
      await raw.indices.putIndexTemplate({
        name: `${prefix}-${kind}`,
        index_patterns: [`${prefix}-${kind}-*`],
        priority: t.priority,
        _meta: t._meta,
        template: t.template,
      });
      const index = `${prefix}-${kind}-000001`;
      await raw.indices.create({ index, aliases: { [`${prefix}-${kind}`]: { is_write_index: true } } });
      await raw.bulk({
        refresh: true,
        operations: dump.indices[kind].flatMap((d) => [{ index: { _index: index, _id: d._id } }, d._source]),
      });
    }
    return prefix;
  }

  it('upgrades on init: new generations with schema 2 mappings swapped in, every record and passage kept', async () => {
    const prefix = await loadFixture();
    const before = await raw.indices.getMapping({ index: `${prefix}-passages` });
    expect(before[`${prefix}-passages-000001`]!.mappings._meta).toMatchObject({ docqa: { schema: 1 } });
    const store = new ElasticsearchStore({ url: ES_URL, index: prefix, timeoutMs: 30_000 });
    await store.init();
    const aliases = await raw.indices.getAlias({ name: `${prefix}-*` });
    expect(Object.keys(aliases).sort()).toEqual([`${prefix}-documents-000002`, `${prefix}-passages-000002`]);
    const after = await raw.indices.getMapping({ index: `${prefix}-passages` });
    expect(after[`${prefix}-passages-000002`]!.mappings._meta).toMatchObject({ docqa: { schema: STORE_SCHEMA_VERSION } });
    await expectMigrated(store);
    await store.close();
    // a second process opening the upgraded store does not migrate again
    const second = new ElasticsearchStore({ url: ES_URL, index: prefix, timeoutMs: 30_000 });
    await second.init();
    expect(Object.keys(await raw.indices.getAlias({ name: `${prefix}-*` })).sort()).toEqual([
      `${prefix}-documents-000002`,
      `${prefix}-passages-000002`,
    ]);
    expect(await second.counts()).toEqual({ documents: 4, passages: 4 });
    await second.close();
  });
});
