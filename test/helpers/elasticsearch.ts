/**
 * The real Elasticsearch the tests talk to (scripts/elasticsearch start; ES_TEST_URL overrides the URL).
 * In CI (CI=true) a missing server fails the run; on a developer machine the tests that need it are skipped
 * with a warning naming `what`.
 */
import { randomBytes } from 'node:crypto';

export const ES_URL = process.env.ES_TEST_URL ?? 'http://127.0.0.1:9200';

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/_cluster/health', url), { signal: AbortSignal.timeout(3_000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Whether ES answers; throws in CI when it does not, warns otherwise. */
export async function elasticsearchAvailable(what: string): Promise<boolean> {
  const ok = await reachable(ES_URL);
  if (!ok) {
    if (process.env.CI) throw new Error(`no Elasticsearch at ${ES_URL}: .ci/run must run scripts/elasticsearch start`);
    console.warn(`${what} skipped: nothing answers at ${ES_URL} (start one with scripts/elasticsearch start)`);
  }
  return ok;
}

/** A fresh index prefix, so that tests never see each other's indices. */
export function testIndexPrefix(): string {
  return `docqa-test-${randomBytes(5).toString('hex')}`;
}
