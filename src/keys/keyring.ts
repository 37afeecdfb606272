import { createHash, timingSafeEqual } from 'node:crypto';

/** What a key may do: `ask` (ask, feedback, read documents), `ingest` (upload, delete), `admin` (metrics, monitor, keys). */
export const SCOPES = ['ask', 'ingest', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who a request is, once its key was verified. */
export interface Principal {
  /** A stored key's public id, or `env:<n>` for the n-th DOCQA_API_KEYS key. Safe to log. */
  id: string;
  scopes: readonly Scope[];
}

/** Verifies the key a request carries. `open()`: no key is configured anywhere, so every request is allowed. */
export interface Keyring {
  open(): boolean;
  verify(secret: string): Principal | undefined | Promise<Principal | undefined>;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** DOCQA_API_KEYS: plain keys from the environment, each with every scope, compared in constant time. */
export function envKeyring(keys: readonly string[]): Keyring {
  const digests = keys.map(digest);
  return {
    open: () => digests.length === 0,
    verify(secret) {
      const d = digest(secret);
      let found = -1;
      // compare with every key (no early exit), so the time does not tell which key matched
      digests.forEach((k, i) => {
        if (timingSafeEqual(k, d) && found < 0) found = i;
      });
      return found >= 0 ? { id: `env:${found + 1}`, scopes: SCOPES } : undefined;
    },
  };
}

/** Several keyrings as one: open only when all are; the first that verifies a key wins. */
export function combineKeyrings(...rings: Keyring[]): Keyring {
  return {
    open: () => rings.every((r) => r.open()),
    async verify(secret) {
      for (const ring of rings) {
        const p = await ring.verify(secret);
        if (p) return p;
      }
      return undefined;
    },
  };
}
