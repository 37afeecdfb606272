/**
 * Index design of the Elasticsearch store: two aliases, each in front of one concrete index created from an index
 * template with explicit ("strict") mappings.
 *
 *   <prefix>-passages   -> <prefix>-passages-000001    one Lucene doc per passage, _id = passage id
 *   <prefix>-documents  -> <prefix>-documents-000001   two docs per document:
 *        kind 'name': _id = sha256(name), the commit record (which document id owns the name now)
 *        kind 'id':   _id = 'id:' + document id, a realtime lookup from id to name
 *
 * The documents index is the commit log: a document is visible exactly when the record under its name carries its
 * id (see store.ts for why). Queries and writes go through the aliases, so an index can be rebuilt under a new
 * generation number and swapped in atomically.
 */
import { createHash } from 'node:crypto';
import type { estypes } from '@elastic/elasticsearch';

/** Bumped when the mappings change incompatibly; stored in the template's and the index's _meta. */
export const SCHEMA_VERSION = 1;

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

/** The _id of a document's commit record: names can be long and contain anything, a hash cannot. */
export function documentKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('hex');
}

/** The _id of a document's id marker (the id is a sha256 hex, so it cannot collide with a documentKey). */
export function idKey(docId: string): string {
  return `id:${docId}`;
}

// Metadata is a `flattened` field: every value is indexed as a keyword (exact term match on `meta.<key>`), and new
// keys never add fields to the mapping, so arbitrary user metadata cannot cause a mapping explosion.
const META: estypes.MappingProperty = { type: 'flattened', ignore_above: 8191 };
const KEYWORD: estypes.MappingProperty = { type: 'keyword' };
const INT: estypes.MappingProperty = { type: 'integer' };
const STORED_ONLY: estypes.MappingProperty = { type: 'keyword', index: false, doc_values: false };

const SETTINGS: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  // 0 replicas on one node (health green), 1 as soon as a second node joins.
  auto_expand_replicas: '0-1',
};

export function passagesTemplate(prefix: string, analyzer: string): estypes.IndicesPutIndexTemplateRequest {
  const names = indexNames(prefix);
  return {
    name: names.passagesTemplate,
    index_patterns: [`${names.passagesAlias}-*`],
    priority: 500,
    _meta: { docqa: { schema: SCHEMA_VERSION, analyzer } },
    template: {
      settings: SETTINGS,
      mappings: {
        dynamic: 'strict',
        _meta: { docqa: { schema: SCHEMA_VERSION, analyzer } },
        properties: {
          id: KEYWORD,
          docId: KEYWORD,
          name: KEYWORD,
          meta: META,
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

export function documentsTemplate(prefix: string): estypes.IndicesPutIndexTemplateRequest {
  const names = indexNames(prefix);
  return {
    name: names.documentsTemplate,
    index_patterns: [`${names.documentsAlias}-*`],
    priority: 500,
    _meta: { docqa: { schema: SCHEMA_VERSION } },
    template: {
      settings: SETTINGS,
      mappings: {
        dynamic: 'strict',
        _meta: { docqa: { schema: SCHEMA_VERSION } },
        properties: {
          kind: KEYWORD,
          id: KEYWORD,
          name: KEYWORD,
          meta: META,
          pageCount: INT,
          passageCount: INT,
          charCount: INT,
          createdAt: { type: 'date', format: 'strict_date_optional_time' },
        },
      },
    },
  };
}
