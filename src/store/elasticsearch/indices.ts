/** Creating, checking and rebuilding the store's indices (templates, aliases, generations). */
import type { Client, estypes } from '@elastic/elasticsearch';
import { ConfigError, UnavailableError } from '../../errors.js';
import { bulkWrite, type BulkOptions } from './bulk.js';
import { errorType, toStoreError } from './client.js';
import {
  concreteIndex,
  documentsTemplate,
  generationOf,
  indexNames,
  passagesTemplate,
  replicaSettings,
  type IndexLayout,
  type IndexNames,
} from './mappings.js';
import { indexedMeta, type DocumentSource, type PassageSource } from './records.js';
import { SCHEMA_VERSION } from './mappings.js';

async function call<T>(what: string, url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err, what, url);
  }
}

/** The concrete indices an alias points to (normally exactly one). */
export async function aliasTargets(client: Client, alias: string, url: string): Promise<string[]> {
  const exists = await call(`check alias ${alias}`, url, () => client.indices.existsAlias({ name: alias }));
  if (!exists) return [];
  const res = await call(`read alias ${alias}`, url, () => client.indices.getAlias({ name: alias }));
  return Object.keys(res).sort();
}

/** The analyzer the passage text of the live index was built with, or null when there is no index yet. */
async function liveAnalyzer(client: Client, names: IndexNames, url: string): Promise<string | null> {
  const targets = await aliasTargets(client, names.passagesAlias, url);
  if (targets.length === 0) return null;
  const res = await call('read the passage mapping', url, () =>
    client.indices.getMapping({ index: names.passagesAlias }),
  );
  const mapping = res[targets[0]!]?.mappings.properties?.text as { analyzer?: string } | undefined;
  return mapping?.analyzer ?? 'standard';
}

async function putTemplate(client: Client, request: estypes.IndicesPutIndexTemplateRequest, url: string) {
  try {
    await client.indices.putIndexTemplate(request);
  } catch (err) {
    const mapped = toStoreError(err, `put index template ${request.name}`, url);
    if (mapped.message.includes('analyzer')) {
      throw new ConfigError(
        `invalid setting DOCQA_ES_ANALYZER (esAnalyzer): Elasticsearch at ${url} refused it: ${mapped.message} ` +
          `(the test distribution has only the built-in analyzers such as "standard"; "english" needs analysis-common)`,
      );
    }
    throw mapped;
  }
}

async function createGeneration(client: Client, alias: string, generation: number, url: string, asAlias: boolean) {
  const index = concreteIndex(alias, generation);
  try {
    await client.indices.create({
      index,
      ...(asAlias ? { aliases: { [alias]: { is_write_index: true } } } : {}),
      wait_for_active_shards: 1,
    });
  } catch (err) {
    // Another process got there first: fine.
    if (errorType(err) !== 'resource_already_exists_exception') throw toStoreError(err, `create index ${index}`, url);
  }
  return index;
}

/** The schema version in the mapping _meta of the index behind an alias; null when there is no index. */
async function liveSchema(client: Client, alias: string, url: string): Promise<number | null> {
  const targets = await aliasTargets(client, alias, url);
  if (targets.length === 0) return null;
  const res = await call(`read the mapping of ${alias}`, url, () => client.indices.getMapping({ index: alias }));
  const meta = res[targets[0]!]?.mappings._meta as { docqa?: { schema?: number } } | undefined;
  return meta?.docqa?.schema ?? 1;
}

/**
 * Makes sure both templates and both aliases exist (creating generation 1 behind each alias when missing), and
 * upgrades indices of an older schema (migrateIndices). Throws ConfigError when the live passage index was built
 * with another analyzer than the configured one: that needs rebuildPassages(), not a silent mismatch between index
 * and query analysis.
 */
export async function ensureIndices(
  client: Client,
  prefix: string,
  analyzer: string,
  layout: IndexLayout,
  bulk: BulkOptions,
): Promise<IndexNames> {
  const { url } = bulk;
  const names = indexNames(prefix);
  const live = await liveAnalyzer(client, names, url);
  if (live !== null && live !== analyzer) {
    throw new ConfigError(
      `invalid setting DOCQA_ES_ANALYZER (esAnalyzer): the index ${names.passagesAlias} was built with the ` +
        `"${live}" analyzer, not "${analyzer}"; keep "${live}" or rebuild the index (docs/elasticsearch.md)`,
    );
  }
  const schemas = [await liveSchema(client, names.passagesAlias, url), await liveSchema(client, names.documentsAlias, url)];
  const newer = schemas.find((v) => v !== null && v > SCHEMA_VERSION);
  if (newer !== undefined) {
    throw new UnavailableError(
      `Elasticsearch at ${url}: the indices ${prefix}-* have schema ${newer}, newer than this docqa's ${SCHEMA_VERSION}: upgrade docqa`,
    );
  }
  await putTemplate(client, passagesTemplate(prefix, analyzer, layout), url);
  await putTemplate(client, documentsTemplate(prefix, layout), url);
  if (schemas[0] !== null && schemas[1] !== null && (schemas[0] < SCHEMA_VERSION || schemas[1] < SCHEMA_VERSION)) {
    await migrateIndices(client, prefix, bulk);
  }
  for (const alias of [names.passagesAlias, names.documentsAlias]) {
    if ((await aliasTargets(client, alias, url)).length > 0) continue;
    await createGeneration(client, alias, 1, url, true);
    if ((await aliasTargets(client, alias, url)).length === 0) {
      throw new UnavailableError(
        `Elasticsearch at ${url}: could not put the alias ${alias} in place (an index of that name may exist)`,
      );
    }
  }
  for (const alias of [names.passagesAlias, names.documentsAlias]) await applyReplicas(client, alias, layout.replicas, url);
  return names;
}

/**
 * Brings the replica setting of the indices behind an alias to the configured one (replicas are a dynamic setting,
 * unlike the number of shards, which only a new index generation changes). Does nothing when they already match.
 */
export async function applyReplicas(client: Client, alias: string, replicas: string, url: string): Promise<void> {
  const wanted = replicaSettings(replicas);
  const res = await call(`read the settings of ${alias}`, url, () =>
    client.indices.getSettings({ index: alias, name: ['index.number_of_replicas', 'index.auto_expand_replicas'], flat_settings: true }),
  );
  const stale = Object.entries(res)
    .filter(([, v]) => {
      const live = (v.settings ?? {}) as Record<string, string | undefined>;
      const auto = live['index.auto_expand_replicas'] ?? 'false';
      if (wanted.auto_expand_replicas !== 'false') return auto !== wanted.auto_expand_replicas;
      return auto !== 'false' || live['index.number_of_replicas'] !== String(wanted.number_of_replicas);
    })
    .map(([index]) => index);
  if (stale.length === 0) return;
  await call(`set the replicas of ${alias} to ${replicas}`, url, () =>
    client.indices.putSettings({ index: stale.join(','), settings: { index: wanted } }),
  );
}

/** Copies every doc of `from` into `to` through `transform`, paging in `sort` order (unique). Returns the count. */
async function copyIndex<T>(
  client: Client,
  from: string,
  to: string,
  sort: estypes.Sort,
  transform: (source: T) => object,
  bulk: BulkOptions,
): Promise<number> {
  const { url } = bulk;
  let copied = 0;
  let after: estypes.SortResults | undefined;
  for (;;) {
    const page: estypes.SearchResponse<T> = await call(`read ${from}`, url, () =>
      client.search<T>({
        index: from,
        allow_partial_search_results: false,
        size: 1000,
        sort,
        ...(after ? { search_after: after } : {}),
        query: { match_all: {} },
      }),
    );
    const hits = page.hits.hits;
    if (hits.length === 0) break;
    await bulkWrite(
      client,
      to,
      hits.map((h) => ({ action: 'index' as const, id: h._id!, document: transform(h._source!) })),
      { ...bulk, requireAlias: false },
    );
    copied += hits.length;
    after = hits[hits.length - 1]!.sort;
  }
  await call(`refresh ${to}`, url, () => client.indices.refresh({ index: to }));
  return copied;
}

/** A schema 1 document record or marker as schema 2: keyed by source, which is the old unique name. */
type DocumentSourceV1 = Omit<DocumentSource, 'kind' | 'source'> & { kind: 'name' | 'id' };

export function migrateDocumentSource(old: DocumentSourceV1): DocumentSource {
  // The _id stays: documentKey(name) of a commit record is documentKey(source) with source = name.
  return { ...old, kind: old.kind === 'name' ? 'source' : 'id', source: old.name };
}

export function migratePassageSource(old: Omit<PassageSource, 'source' | keyof ReturnType<typeof indexedMeta>>): PassageSource {
  return { ...old, source: old.name, ...indexedMeta(old.meta ?? {}) };
}

export interface MigrationResult {
  from: string[];
  to: string[];
  documents: number;
  passages: number;
}

/**
 * Upgrades both indices to the current schema: the next generation of each is created from the current templates,
 * every record and passage is copied over through migrateDocumentSource / migratePassageSource, then both aliases
 * swap in one atomic request and the old indices are deleted. Readers use the old indices until the swap. Run by
 * init(); other writers must be stopped meanwhile (as for rebuildPassages). A crash before the swap leaves the old
 * indices live and the next init() copies again into the same new generation (same ids, so no duplicates).
 */
export async function migrateIndices(client: Client, prefix: string, bulk: BulkOptions): Promise<MigrationResult> {
  const { url } = bulk;
  const names = indexNames(prefix);
  const [passagesFrom] = await aliasTargets(client, names.passagesAlias, url);
  const [documentsFrom] = await aliasTargets(client, names.documentsAlias, url);
  if (!passagesFrom || !documentsFrom) throw new UnavailableError(`${prefix}: nothing to migrate`);
  const passagesTo = await createGeneration(
    client,
    names.passagesAlias,
    (generationOf(names.passagesAlias, passagesFrom) ?? 0) + 1,
    url,
    false,
  );
  const documentsTo = await createGeneration(
    client,
    names.documentsAlias,
    (generationOf(names.documentsAlias, documentsFrom) ?? 0) + 1,
    url,
    false,
  );
  const documents = await copyIndex(client, documentsFrom, documentsTo, [{ kind: 'asc' }, { id: 'asc' }], migrateDocumentSource, bulk);
  const passages = await copyIndex(client, passagesFrom, passagesTo, [{ id: 'asc' }], migratePassageSource, bulk);
  await call(`swap ${prefix} to schema ${SCHEMA_VERSION}`, url, () =>
    client.indices.updateAliases({
      actions: [
        { remove: { index: passagesFrom, alias: names.passagesAlias } },
        { add: { index: passagesTo, alias: names.passagesAlias, is_write_index: true } },
        { remove: { index: documentsFrom, alias: names.documentsAlias } },
        { add: { index: documentsTo, alias: names.documentsAlias, is_write_index: true } },
      ],
    }),
  );
  for (const index of [passagesFrom, documentsFrom]) {
    await call(`delete ${index}`, url, () => client.indices.delete({ index }, { ignore: [404] }));
  }
  return { from: [passagesFrom, documentsFrom], to: [passagesTo, documentsTo], documents, passages };
}

export interface RebuildResult {
  from: string;
  to: string;
  passages: number;
}

/**
 * Rebuilds the passage index under the next generation with the current template (e.g. after changing the
 * analyzer), copies every passage over, then swaps the alias in one atomic request and deletes the old index.
 * Searches keep being served from the old index until the swap. Writes must be paused meanwhile: a passage
 * written to the old index after it was copied would be lost.
 */
export async function rebuildPassages(
  client: Client,
  prefix: string,
  analyzer: string,
  layout: IndexLayout,
  bulk: BulkOptions,
): Promise<RebuildResult> {
  const { url } = bulk;
  const names = indexNames(prefix);
  const [from, ...more] = await aliasTargets(client, names.passagesAlias, url);
  if (!from || more.length > 0) {
    throw new UnavailableError(`${names.passagesAlias} must point to exactly one index to be rebuilt`);
  }
  const generation = (generationOf(names.passagesAlias, from) ?? 0) + 1;
  await putTemplate(client, passagesTemplate(prefix, analyzer, layout), url);
  const to = await createGeneration(client, names.passagesAlias, generation, url, false);
  const copied = await copyIndex<PassageSource>(client, from, to, [{ id: 'asc' }], (p) => p, bulk);
  await call(`swap ${names.passagesAlias} to ${to}`, url, () =>
    client.indices.updateAliases({
      actions: [
        { remove: { index: from, alias: names.passagesAlias } },
        { add: { index: to, alias: names.passagesAlias, is_write_index: true } },
      ],
    }),
  );
  await call(`delete ${from}`, url, () => client.indices.delete({ index: from }));
  return { from, to, passages: copied };
}

/** Deletes the indices behind both aliases and both templates (tests, `reset`). */
export async function dropIndices(client: Client, prefix: string, url: string): Promise<void> {
  const names = indexNames(prefix);
  for (const alias of [names.passagesAlias, names.documentsAlias]) {
    for (const index of await aliasTargets(client, alias, url)) {
      await call(`delete ${index}`, url, () => client.indices.delete({ index }, { ignore: [404] }));
    }
  }
  for (const template of [names.passagesTemplate, names.documentsTemplate]) {
    await call(`delete template ${template}`, url, () =>
      client.indices.deleteIndexTemplate({ name: template }, { ignore: [404] }),
    );
  }
}
