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
  type IndexNames,
} from './mappings.js';
import type { PassageSource } from './records.js';

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

/**
 * Makes sure both templates and both aliases exist (creating generation 1 behind each alias when missing). Throws
 * ConfigError when the live passage index was built with another analyzer than the configured one: that needs
 * rebuildPassages(), not a silent mismatch between index and query analysis.
 */
export async function ensureIndices(client: Client, prefix: string, analyzer: string, url: string): Promise<IndexNames> {
  const names = indexNames(prefix);
  const live = await liveAnalyzer(client, names, url);
  if (live !== null && live !== analyzer) {
    throw new ConfigError(
      `invalid setting DOCQA_ES_ANALYZER (esAnalyzer): the index ${names.passagesAlias} was built with the ` +
        `"${live}" analyzer, not "${analyzer}"; keep "${live}" or rebuild the index (docs/elasticsearch.md)`,
    );
  }
  await putTemplate(client, passagesTemplate(prefix, analyzer), url);
  await putTemplate(client, documentsTemplate(prefix), url);
  for (const alias of [names.passagesAlias, names.documentsAlias]) {
    if ((await aliasTargets(client, alias, url)).length > 0) continue;
    await createGeneration(client, alias, 1, url, true);
    if ((await aliasTargets(client, alias, url)).length === 0) {
      throw new UnavailableError(
        `Elasticsearch at ${url}: could not put the alias ${alias} in place (an index of that name may exist)`,
      );
    }
  }
  return names;
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
  bulk: BulkOptions,
): Promise<RebuildResult> {
  const { url } = bulk;
  const names = indexNames(prefix);
  const [from, ...more] = await aliasTargets(client, names.passagesAlias, url);
  if (!from || more.length > 0) {
    throw new UnavailableError(`${names.passagesAlias} must point to exactly one index to be rebuilt`);
  }
  const generation = (generationOf(names.passagesAlias, from) ?? 0) + 1;
  await putTemplate(client, passagesTemplate(prefix, analyzer), url);
  const to = await createGeneration(client, names.passagesAlias, generation, url, false);
  let copied = 0;
  let after: estypes.SortResults | undefined;
  for (;;) {
    const page: estypes.SearchResponse<PassageSource> = await call(`read ${from}`, url, () =>
      client.search<PassageSource>({
        index: from,
        size: 1000,
        sort: [{ id: 'asc' }],
        ...(after ? { search_after: after } : {}),
        query: { match_all: {} },
      }),
    );
    const hits = page.hits.hits;
    if (hits.length === 0) break;
    await bulkWrite(
      client,
      to,
      hits.map((h) => ({ action: 'index' as const, id: h._id!, document: h._source! })),
      { ...bulk, requireAlias: false },
    );
    copied += hits.length;
    after = hits[hits.length - 1]!.sort;
  }
  await call(`refresh ${to}`, url, () => client.indices.refresh({ index: to }));
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
