/**
 * Kill -9 of the server during uploads, both stores (issue 16): a real `docqa serve` takes concurrent uploads of
 * text, Markdown, HTML and DOCX files (one of about 1,000 passages, a replacement under the same name) and is
 * SIGKILLed at seeded moments, then restarted and sent the same uploads again, several times on one store; then a
 * server runs to the end. Checked after every kill: no half-visible document, no duplicate passage, no 5xx reply
 * before the kill; at the end: exact counts, no passage left in the store that no document shows (the restarted
 * server's orphan sweep, run while the files are uploaded again, deleted the leftovers), and a third upload of every
 * file that is a no-op. CI runs SERVER_KILL_CHAINS (default 1) chains of SERVER_KILL_KILLS (default 2) kills per
 * store; docs/reliability.md has a longer run.
 */
import { describe, expect, it } from 'vitest';
import { elasticsearchAvailable } from '../helpers/elasticsearch.js';
import { seeded, type StoreKind } from './helpers/kill.js';
import { chain, killDelays, serverCorpus, serverReference } from './helpers/server-kill.js';

const CHAINS = Number(process.env.SERVER_KILL_CHAINS ?? 1);
const KILLS = Number(process.env.SERVER_KILL_KILLS ?? 2);
const SEED = Number(process.env.SERVER_KILL_SEED ?? 16);
const es = await elasticsearchAvailable('kill -9 of the server during uploads into Elasticsearch');

describe.each(['sqlite', 'elasticsearch'] as StoreKind[])('kill -9 of `docqa serve` during uploads (%s)', (kind) => {
  it.runIf(kind === 'sqlite' || es)(
    `${CHAINS} chain(s) of ${KILLS} seeded kills: nothing half-visible, exact counts and no leftovers after a rerun, a third upload is a no-op`,
    async () => {
      const corpus = await serverCorpus();
      const ref = await serverReference(kind, corpus);
      expect(ref.log.statuses.every((s) => s === 200 || s === 201)).toBe(true);
      expect(ref.state).toMatchObject({ documents: corpus.documents, incomplete: [], duplicates: 0 });
      const random = seeded(SEED + (kind === 'sqlite' ? 0 : 1000));
      const summary = [];
      for (let c = 0; c < CHAINS; c++) {
        const delays = killDelays(random, KILLS, ref.ms);
        const r = await chain(kind, corpus, delays);
        r.kills.forEach((k, i) => {
          const label = `${kind} chain ${c} kill ${i} at ${k.killAtMs} ms`;
          expect(k.afterKill.incomplete, label).toEqual([]);
          expect(k.afterKill.duplicates, label).toBe(0);
          expect(k.afterKill.documents, label).toBeLessThanOrEqual(corpus.documents);
          expect(k.statuses.filter((s) => s >= 500), label).toEqual([]);
        });
        const label = `${kind} chain ${c} (kills at ${delays.join(', ')} ms): rerun`;
        expect(r.rerun.errors, label).toEqual([]);
        expect(r.rerun.statuses.filter((s) => s !== 200 && s !== 201), label).toEqual([]);
        expect(r.rerun.files.filter((f) => !['created', 'replaced', 'unchanged'].includes(f.status)), label).toEqual([]);
        expect(r.afterRerun.incomplete, label).toEqual([]);
        expect(r.afterRerun.duplicates, label).toBe(0);
        expect({ documents: r.afterRerun.documents, passages: r.afterRerun.passages }, label).toEqual({
          documents: ref.state.documents,
          passages: ref.state.passages,
        });
        expect(r.rawPassagesAfterRerun, label).toBe(ref.state.passages);
        expect(r.third.files.map((f) => f.status), label).toEqual(Array(corpus.final.length).fill('unchanged'));
        summary.push({
          chain: c,
          kills: r.kills.map((k) => ({
            atMs: k.killAtMs,
            running: k.killedWhileRunning,
            answered: k.answered,
            cut: k.cut,
            visible: k.afterKill.documents,
            invisiblePassages: k.invisiblePassages,
          })),
          swept: r.swept,
          rerun: r.rerun.files.map((f) => f.status[0]).join(''),
        });
      }
      console.log(
        JSON.stringify({
          kind,
          referenceMs: Math.round(ref.ms),
          reference: { documents: ref.state.documents, passages: ref.state.passages },
          chains: summary,
        }),
      );
    },
    1_800_000,
  );
});
