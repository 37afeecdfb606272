/** The _source shapes of the two indices and their conversion to and from the domain types. */
import type { DocumentMeta, DocumentRecord, Passage } from '../../documents/document.js';
import { META_KEY_PATTERN, metaValues } from '../../documents/metadata.js';
import { typedValue } from '../filters.js';

/** Metadata indexed by type (mappings.ts): what filters query. Key -> values. */
export interface IndexedMeta {
  metaString: Record<string, string[]>;
  metaBoolean: Record<string, string[]>;
  metaNumber: Record<string, number[]>;
  /** ISO-8601 UTC */
  metaDate: Record<string, string[]>;
  /** Keys with at least one value. */
  metaKeys: string[];
}

/**
 * A passage with its document's name, source and metadata copied in (typed, IndexedMeta), so that search filters are
 * plain term and range filters on the passage.
 */
export type PassageSource = Passage & { name: string; source: string; meta: DocumentMeta } & IndexedMeta;

/** 'source': the commit record under sha256(source); 'id': the marker under 'id:' + id. Same fields otherwise. */
export type RecordKind = 'source' | 'id';

export type DocumentSource = DocumentRecord & { kind: RecordKind };

/**
 * The typed fields of a document's metadata. Keys that are not metadata keys (possible only in a store migrated
 * from schema 1, which took any key) are left out: no filter can name them, on either store.
 */
export function indexedMeta(meta: DocumentMeta): IndexedMeta {
  const out: IndexedMeta = { metaString: {}, metaBoolean: {}, metaNumber: {}, metaDate: {}, metaKeys: [] };
  const add = <T>(into: Record<string, T[]>, key: string, value: T) => {
    (Object.hasOwn(into, key) ? into[key]! : (into[key] = [])).push(value);
  };
  for (const [key, value] of Object.entries(meta)) {
    if (!META_KEY_PATTERN.test(key)) continue;
    const values = metaValues(value);
    if (values.length === 0) continue;
    out.metaKeys.push(key);
    for (const v of values) {
      const t = typedValue(v);
      if (t.type === 'string') add(out.metaString, key, t.value);
      else if (t.type === 'boolean') add(out.metaBoolean, key, String(t.value));
      else if (t.type === 'number') add(out.metaNumber, key, t.value);
      else add(out.metaDate, key, new Date(t.value).toISOString());
    }
  }
  return out;
}

export function toPassageSource(p: Passage, doc: DocumentRecord): PassageSource {
  const source: PassageSource = {
    id: p.id,
    docId: p.docId,
    name: doc.name,
    source: doc.source,
    meta: doc.meta,
    ...indexedMeta(doc.meta),
    text: p.text,
    charStart: p.charStart,
    charEnd: p.charEnd,
    page: p.page,
    seq: p.seq,
  };
  if (p.heading !== undefined) source.heading = p.heading;
  return source;
}

export function toPassage(s: PassageSource): Passage {
  const p: Passage = {
    id: s.id,
    docId: s.docId,
    text: s.text,
    charStart: s.charStart,
    charEnd: s.charEnd,
    page: s.page ?? null,
    seq: s.seq,
  };
  if (s.heading !== undefined && s.heading !== null) p.heading = s.heading;
  return p;
}

export function toDocumentSource(doc: DocumentRecord, passageCount: number, kind: RecordKind): DocumentSource {
  return {
    kind,
    id: doc.id,
    name: doc.name,
    source: doc.source,
    meta: { ...doc.meta },
    pageCount: doc.pageCount,
    passageCount,
    charCount: doc.charCount,
    createdAt: doc.createdAt,
  };
}

export function toDocument(s: DocumentSource): DocumentRecord {
  return {
    id: s.id,
    name: s.name,
    source: s.source,
    meta: s.meta ?? {},
    pageCount: s.pageCount,
    passageCount: s.passageCount,
    charCount: s.charCount,
    createdAt: s.createdAt,
  };
}
