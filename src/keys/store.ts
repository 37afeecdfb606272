import Database from 'better-sqlite3';
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError, NotFoundError, UnavailableError, errorMessage } from '../errors.js';
import { SCOPES, type Keyring, type Principal, type Scope } from './keyring.js';

/** scrypt cost: N=2^15, r=8 (about 32 MiB and tens of ms per verification; each key is verified once per process). */
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const HASH_BYTES = 32;
/** `dqk_<12 hex id>_<43 base64url secret>`: the id finds the row, the secret is checked against its scrypt hash. */
const KEY_FORMAT = /^dqk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/u;

export interface KeyInfo {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedKey extends KeyInfo {
  /** The whole key, shown once: only its scrypt hash is stored. */
  secret: string;
}

interface Row {
  id: string;
  name: string;
  scopes: string;
  salt: Buffer;
  hash: Buffer;
  created_at: string;
  revoked_at: string | null;
}

function hashSecret(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, HASH_BYTES, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))));
}

export function parseScopes(value: string | string[]): Scope[] {
  const names = (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new BadInputError(`scopes: give at least one of ${SCOPES.join(', ')}`, 'scopes');
  for (const n of names) {
    if (!(SCOPES as readonly string[]).includes(n)) throw new BadInputError(`scopes: unknown scope "${n}" (known: ${SCOPES.join(', ')})`, 'scopes');
  }
  return [...new Set(names)] as Scope[];
}

/**
 * API keys with scopes, stored hashed (scrypt, random salt per key) in a small SQLite file (`<dataDir>/keys.sqlite`,
 * whichever document store is used). The file is created by the first `docqa keys create`; while it does not exist,
 * or holds no live key, there are no stored keys. A file that exists but cannot be read fails closed (an error, never
 * "no keys").
 */
export class KeyStore {
  private db: Database.Database | null = null;
  /** scrypt results per (key id, sha256 of the secret): each key costs one scrypt per process. */
  private readonly verified = new Map<string, boolean>();

  constructor(readonly file: string) {}

  static inDataDir(dataDir: string): KeyStore {
    return new KeyStore(path.join(dataDir, 'keys.sqlite'));
  }

  private open(create: boolean): Database.Database | null {
    if (this.db) return this.db;
    if (!create && !fs.existsSync(this.file)) return null;
    try {
      if (create) fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const db = new Database(this.file, { fileMustExist: !create });
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 2000');
      db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL,
        created_at TEXT NOT NULL, revoked_at TEXT)`);
      this.db = db;
      return db;
    } catch (err) {
      throw new UnavailableError(`cannot open the key store ${this.file}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async create(name: string, scopes: Scope[]): Promise<CreatedKey> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200 || /\p{Cc}/u.test(trimmed)) {
      throw new BadInputError('name: 1-200 characters, no control characters', 'name');
    }
    const db = this.open(true)!;
    const id = randomBytes(6).toString('hex');
    const secretPart = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const hash = await hashSecret(secretPart, salt);
    const createdAt = new Date().toISOString();
    db.prepare('INSERT INTO api_keys (id, name, scopes, salt, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      id,
      trimmed,
      scopes.join(','),
      salt,
      hash,
      createdAt,
    );
    return { id, name: trimmed, scopes, createdAt, revokedAt: null, secret: `dqk_${id}_${secretPart}` };
  }

  list(): KeyInfo[] {
    const db = this.open(false);
    if (!db) return [];
    return (db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as Row[]).map(info);
  }

  /** Revokes a key by id; at once for a running server (it reads the row on each request). */
  revoke(id: string): KeyInfo {
    const db = this.open(false);
    const row = db?.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    if (!db || !row) throw new NotFoundError(`no key with id ${id}`);
    if (!row.revoked_at) db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), id);
    return info(db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row);
  }

  liveCount(): number {
    const db = this.open(false);
    if (!db) return 0;
    return (db.prepare('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n;
  }

  async verify(key: string): Promise<Principal | undefined> {
    const m = KEY_FORMAT.exec(key);
    if (!m) return undefined;
    const [, id, secretPart] = m as unknown as [string, string, string];
    const row = this.open(false)?.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    if (!row || row.revoked_at) return undefined;
    const memo = `${id}:${createHash('sha256').update(secretPart).digest('hex')}`;
    let ok = this.verified.get(memo);
    if (ok === undefined) {
      ok = timingSafeEqual(await hashSecret(secretPart, row.salt), row.hash);
      if (this.verified.size > 10_000) this.verified.clear();
      this.verified.set(memo, ok);
    }
    return ok ? { id: row.id, scopes: parseScopes(row.scopes) } : undefined;
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}

function info(row: Row): KeyInfo {
  return { id: row.id, name: row.name, scopes: parseScopes(row.scopes), createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** The stored keys as a keyring: open while there is no live stored key. */
export function storedKeyring(store: KeyStore): Keyring {
  return {
    open: () => store.liveCount() === 0,
    verify: (secret) => store.verify(secret),
  };
}
