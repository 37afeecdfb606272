/**
 * Kill -9 anywhere in ingestion, both stores (issue 16): the compiled CLI is SIGKILLed at seeded random moments of
 * its run (start-up, conversion, mid-bulk, mid-commit, the SQLite transaction), run again, and checked: no
 * half-visible document after the kill, exact counts and no duplicate passage after the rerun, and a third run
 * that changes nothing. CI runs KILL_TRIALS (default 2) kills per store; docs/reliability.md has a longer run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elasticsearchAvailable } from '../helpers/elasticsearch.js';
import { reference, seeded, trial, writeCorpus, type StoreKind } from './helpers/kill.js';

const TRIALS = Number(process.env.KILL_TRIALS ?? 2);
const SEED = Number(process.env.KILL_SEED ?? 16);
const es = await elasticsearchAvailable('kill -9 during ingestion into Elasticsearch');

describe.each(['sqlite', 'elasticsearch'] as StoreKind[])('kill -9 during `docqa ingest` (%s)', (kind) => {
  const corpus = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-kill-corpus-'));
  beforeAll(() => writeCorpus(corpus));
  afterAll(() => fs.rmSync(corpus, { recursive: true, force: true }));

  it.runIf(kind === 'sqlite' || es)(`${TRIALS} seeded kills: nothing half-visible, exact counts after a rerun, a third run is a no-op`, async () => {
    const ref = await reference(kind, corpus);
    expect(ref.state.documents).toBe(7);
    expect(ref.state.incomplete).toEqual([]);
    const random = seeded(SEED + (kind === 'sqlite' ? 0 : 1000));
    const results = [];
    for (let i = 0; i < TRIALS; i++) {
      const killAt = Math.round(300 + random() * ref.ms);
      const r = await trial(kind, corpus, killAt);
      results.push(r);
      const label = `${kind} trial ${i} killed at ${killAt} ms`;
      expect(r.afterKill.incomplete, label).toEqual([]);
      expect(r.afterKill.duplicates, label).toBe(0);
      expect(r.rerunCode, label).toBe(0);
      expect(r.afterRerun.incomplete, label).toEqual([]);
      expect(r.afterRerun.duplicates, label).toBe(0);
      expect({ documents: r.afterRerun.documents, passages: r.afterRerun.passages }, label).toEqual({
        documents: ref.state.documents,
        passages: ref.state.passages,
      });
      expect(r.rawPassagesAfterRerun, label).toBe(ref.state.passages);
      expect(r.thirdRunChanged, label).toBe(0);
    }
    console.log(
      JSON.stringify({
        kind,
        referenceMs: Math.round(ref.ms),
        reference: { documents: ref.state.documents, passages: ref.state.passages },
        trials: results.map((r) => ({ killAtMs: r.killAtMs, running: r.killedWhileRunning, visibleAfterKill: r.visibleAfterKill })),
      }),
    );
  }, 1_800_000);
});
