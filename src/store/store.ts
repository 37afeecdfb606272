import type { DocumentMeta, DocumentRecord, Passage } from '../documents/document.js';
import type { SearchFilters } from './filters.js';

export type { MetaCondition, SearchFilters } from './filters.js';

/**
 * The layout version of a store's data. 1: the first release (documents unique by name, string metadata).
 * 2: documents unique by source, typed metadata. init() upgrades an older store in place (sqlite.ts, elasticsearch/).
 */
export const STORE_SCHEMA_VERSION = 2;

export interface SearchOptions {
  topK: number;
  filters?: SearchFilters;
}

export interface SearchHit {
  passage: Passage;
  /** BM25 score, higher is better (stores normalise the sign; scales differ between stores). */
  score: number;
  document: { id: string; name: string; source: string; meta: DocumentMeta };
}

export type WriteStatus = 'created' | 'unchanged' | 'replaced';

export interface WriteResult {
  status: WriteStatus;
  documentId: string;
  /** Ids of documents of the same source that this write replaced (and deleted). */
  replacedIds: string[];
}

export interface StoreCounts {
  documents: number;
  passages: number;
}

/** A page of a document's passages (by seq). */
export interface PassagePage {
  offset: number;
  limit: number;
}

export interface ListOptions {
  limit?: number;
  offset?: number;
}

/**
 * Where passages live. Implemented by the embedded SQLite FTS5 store and by Elasticsearch; both must pass
 * test/store/contract.ts.
 *
 * Write semantics (the same for every implementation):
 * - A document is written whole or not at all from a reader's point of view: search never returns passages of a
 *   document whose write has not completed.
 * - Document id = sha256 of its text. Writing an id that already exists is a no-op ('unchanged').
 * - Document sources are unique (names are not): writing a new id under an existing source replaces the old document
 *   and its passages ('replaced'); a document of another source with the same name is another document.
 * - Metadata is typed and filters mean the same on every store (filters.ts).
 */
export interface DocumentStore {
  readonly kind: 'sqlite' | 'elasticsearch';
  /**
   * Creates schema/index if missing, upgrades a store of an older STORE_SCHEMA_VERSION, and checks the store is
   * reachable. Throws UnavailableError if not.
   */
  init(): Promise<void>;
  writeDocument(doc: DocumentRecord, passages: Passage[]): Promise<WriteResult>;
  search(query: string, options: SearchOptions): Promise<SearchHit[]>;
  getDocument(id: string): Promise<DocumentRecord | null>;
  findDocumentBySource(source: string): Promise<DocumentRecord | null>;
  /** Every document of that display name (several sources may share one), ordered by source. */
  findDocumentsByName(name: string): Promise<DocumentRecord[]>;
  listDocuments(options?: ListOptions): Promise<DocumentRecord[]>;
  /** Passages of one document in `seq` order; with `page`, only seq offset .. offset + limit - 1. */
  getPassages(docId: string, page?: PassagePage): Promise<Passage[]>;
  /** Deletes a document with its passages; false when it did not exist. */
  deleteDocument(id: string): Promise<boolean>;
  counts(): Promise<StoreCounts>;
  /**
   * Deletes what interrupted writes left behind (passages no committed document owns), where a store can have such
   * leftovers (Elasticsearch; SQLite writes are transactions). Run at the start of an ingest batch and of a server.
   */
  sweepOrphans?(): Promise<{ passages: number; markers: number }>;
  /** Cheap reachability check for /readyz; never throws. */
  ping(): Promise<boolean>;
  /**
   * Deletes everything the store holds (SQLite: its database file; Elasticsearch: its indices, aliases and
   * templates): for temporary stores (an eval run's index) and tests. The data is gone; init() makes it empty again.
   */
  drop(): Promise<void>;
  close(): Promise<void>;
}
