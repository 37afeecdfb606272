/** The _source shapes of the two indices and their conversion to and from the domain types. */
import type { DocumentMeta, DocumentRecord, Passage } from '../../documents/document.js';

/** A passage with its document's name and metadata copied in, so that search filters are plain term filters. */
export type PassageSource = Passage & { name: string; meta: DocumentMeta };

/** 'name': the commit record under sha256(name); 'id': the marker under 'id:' + id. Same fields otherwise. */
export type RecordKind = 'name' | 'id';

export type DocumentSource = DocumentRecord & { kind: RecordKind };

export function toPassageSource(p: Passage, doc: DocumentRecord): PassageSource {
  const source: PassageSource = {
    id: p.id,
    docId: p.docId,
    name: doc.name,
    meta: doc.meta,
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
    meta: s.meta ?? {},
    pageCount: s.pageCount,
    passageCount: s.passageCount,
    charCount: s.charCount,
    createdAt: s.createdAt,
  };
}
