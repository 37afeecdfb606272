/**
 * Index design of the Elasticsearch store: two aliases, each in front of one concrete index created from an index
 * template with explicit ("strict") mappings.
 *
 *   <prefix>-passages   -> <prefix>-passages-000001    one Lucene doc per passage, _id = passage id
 *   <prefix>-documents  -> <prefix>-documents-000001   two docs per document:
 *        kind 'source': _id = sha256(source), the commit record (which document id owns the source now)
 *        kind 'id':     _id = 'id:' + document id, a realtime lookup from id to source
 *
 * The documents index is the commit log: a document is visible exactly when the record under its source carries its
 * id (see store.ts for why). Queries and writes go through the aliases, so an index can be rebuilt under a new
 * generation number and swapped in atomically.
 */
import { createHash } from 'node:crypto';
import type { estypes } from '@elastic/elasticsearch';

/**
 * Bumped when the mappings change incompatibly; stored in the template's and the index's _meta. The same numbering
 * as STORE_SCHEMA_VERSION: 1 = records keyed by name, flattened string metadata; 2 = keyed by source, typed metadata.
 * indices.ts migrates an older index.
 */
export const SCHEMA_VERSION = 2;

export interface IndexNames {
  passagesAlias: string;
  documentsAlias: string;
  passagesTemplate: string;
  documentsTemplate: string;
}

export function indexNames(prefix: string): IndexNames {
  return {
    passagesAlias: `${prefix}-passages`,
    documentsAlias: `${prefix}-documents`,
    passagesTemplate: `${prefix}-passages`,
    documentsTemplate: `${prefix}-documents`,
  };
}

/** The concrete index behind an alias: `<alias>-000001`, `<alias>-000002`, ... */
export function concreteIndex(alias: string, generation: number): string {
  return `${alias}-${String(generation).padStart(6, '0')}`;
}

/** The generation of a concrete index name, or null when it is not one of ours. */
export function generationOf(alias: string, index: string): number | null {
  const m = new RegExp(`^${alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{6})$`).exec(index);
  return m ? Number(m[1]) : null;
}

/** The _id of a document's commit record: sources can be long and contain anything, a hash cannot. */
export function documentKey(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex');
}

/** The _id of a document's id marker (the id is a sha256 hex, so it cannot collide with a documentKey). */
export function idKey(docId: string): string {
  return `id:${docId}`;
}

// Metadata. `meta` keeps the typed values as given (stored, not indexed). Passages also carry them indexed by type
// (records.ts, indexedMeta), so that filters compare like the SQLite store does (filters.ts): strings and booleans in
// `flattened` fields (exact keyword terms; new keys never add mappings), numbers in `double` and dates in `date`
// fields made per key by the dynamic templates below, and `metaKeys` lists the keys that have a value (exists).
// Keys are plain words (metadata.ts), and index.mapping.total_fields.limit bounds how many number/date keys an
// index can hold: past it a write fails with a mapping error, a 400 naming the limit.
const META_STORED: estypes.MappingProperty = { type: 'object', enabled: false };
const KEYWORD: estypes.MappingProperty = { type: 'keyword' };
const INT: estypes.MappingProperty = { type: 'integer' };
const STORED_ONLY: estypes.MappingProperty = { type: 'keyword', index: false, doc_values: false };
const META_INDEXED: Record<string, estypes.MappingProperty> = {
  metaString: { type: 'flattened' },
  metaBoolean: { type: 'flattened' },
  metaNumber: { type: 'object', dynamic: true },
  metaDate: { type: 'object', dynamic: true },
  metaKeys: KEYWORD,
};
const META_TEMPLATES: estypes.MappingDynamicTemplate[] | Record<string, estypes.MappingDynamicTemplate>[] = [
  { metaNumbers: { path_match: 'metaNumber.*', mapping: { type: 'double' } } },
  { metaDates: { path_match: 'metaDate.*', mapping: { type: 'date', format: 'strict_date_optional_time||epoch_millis' } } },
];

/** How the indices are spread over a cluster (DOCQA_ES_SHARDS, DOCQA_ES_REPLICAS; defaults in src/config.ts). */
export interface IndexLayout {
  /** Primary shards of a new index. */
  shards: number;
  /** A number of replicas ('1'), or an auto-expand range ('0-1', '0-all'). */
  replicas: string;
}

/** The replica settings of a layout: a fixed number turns auto-expansion off, a range turns it on. */
export function replicaSettings(replicas: string): estypes.IndicesIndexSettings {
  return /^\d+$/.test(replicas)
    ? { number_of_replicas: Number(replicas), auto_expand_replicas: 'false' }
    : { auto_expand_replicas: replicas };
}

/** The settings of a new passage or documents index. */
export function indexSettings(layout: IndexLayout): estypes.IndicesIndexSettings {
  const replicas = replicaSettings(layout.replicas);
  // 'false' is the default: leave it out of the template.
  if (replicas.auto_expand_replicas === 'false') delete replicas.auto_expand_replicas;
  return { number_of_shards: layout.shards, ...replicas };
}

export function passagesTemplate(prefix: string, analyzer: string, layout: IndexLayout): estypes.IndicesPutIndexTemplateRequest {
  const names = indexNames(prefix);
  return {
    name: names.passagesTemplate,
    index_patterns: [`${names.passagesAlias}-*`],
    priority: 500,
    _meta: { docqa: { schema: SCHEMA_VERSION, analyzer } },
    template: {
      settings: indexSettings(layout),
      mappings: {
        dynamic: 'strict',
        _meta: { docqa: { schema: SCHEMA_VERSION, analyzer } },
        dynamic_templates: META_TEMPLATES as Record<string, estypes.MappingDynamicTemplate>[],
        properties: {
          id: KEYWORD,
          docId: KEYWORD,
          name: KEYWORD,
          source: KEYWORD,
          meta: META_STORED,
          ...META_INDEXED,
          text: { type: 'text', analyzer },
          charStart: INT,
          charEnd: INT,
          page: INT,
          seq: INT,
          heading: STORED_ONLY,
        },
      },
    },
  };
}

export function documentsTemplate(prefix: string, layout: IndexLayout): estypes.IndicesPutIndexTemplateRequest {
  const names = indexNames(prefix);
  return {
    name: names.documentsTemplate,
    index_patterns: [`${names.documentsAlias}-*`],
    priority: 500,
    _meta: { docqa: { schema: SCHEMA_VERSION } },
    template: {
      settings: indexSettings(layout),
      mappings: {
        dynamic: 'strict',
        _meta: { docqa: { schema: SCHEMA_VERSION } },
        properties: {
          kind: KEYWORD,
          id: KEYWORD,
          name: KEYWORD,
          source: KEYWORD,
          meta: META_STORED,
          pageCount: INT,
          passageCount: INT,
          charCount: INT,
          createdAt: { type: 'date', format: 'strict_date_optional_time' },
        },
      },
    },
  };
}
