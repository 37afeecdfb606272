/**
 * The kill -9 harness (issue 16): runs the compiled CLI's `ingest` on a corpus, SIGKILLs it at a seeded random
 * moment of its run, runs it again to the end, and checks the store: no half-visible document, no duplicate
 * passage, the exact document and passage counts of an uninterrupted run, and a third run that changes nothing.
 * Used by test/reliability/kill.test.ts (a few trials in CI; KILL_TRIALS=n for a longer run).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchStore } from '../../../src/store/elasticsearch/store.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import type { DocumentStore } from '../../../src/store/store.js';
import { DIST_CLI } from '../../helpers/dist.js';
import { ES_URL, testIndexPrefix } from '../../helpers/elasticsearch.js';
import { TINY_ROBERTA } from '../../helpers/services.js';
import { wordyTexts } from './tmpfs.js';

export type StoreKind = 'sqlite' | 'elasticsearch';

/** The kill moments are reproducible from the seed. */
export { seeded } from '../../helpers/random.js';

/** Small files and one big one (about 1,000 passages: two Elasticsearch bulk requests, a long SQLite transaction). */
export function writeCorpus(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  wordyTexts(6, 24, 11).forEach((t, i) => fs.writeFileSync(path.join(dir, `small-${i}.txt`), t));
  fs.writeFileSync(path.join(dir, 'big.txt'), wordyTexts(1, 1400, 12)[0]!);
}

export interface Target {
  kind: StoreKind;
  env: NodeJS.ProcessEnv;
  open(): DocumentStore;
  /** Passages physically in the store (visible or not). */
  rawPassages(): Promise<number>;
  dispose(): Promise<void>;
}

export function target(kind: StoreKind): Target {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, DOCQA_MODEL_DIR: TINY_ROBERTA, DOCQA_LOG_LEVEL: 'silent' };
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-kill-'));
    return {
      kind,
      env: { ...base, DOCQA_DATA_DIR: dir },
      open: () => SqliteStore.inDataDir(dir),
      async rawPassages() {
        const db = new Database(path.join(dir, 'docqa.sqlite'), { readonly: true });
        try {
          return (db.prepare('SELECT count(*) AS n FROM passages').get() as { n: number }).n;
        } finally {
          db.close();
        }
      },
      async dispose() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const index = testIndexPrefix();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-kill-'));
  return {
    kind,
    env: { ...base, DOCQA_STORE: 'elasticsearch', DOCQA_ES_URL: ES_URL, DOCQA_ES_INDEX: index, DOCQA_DATA_DIR: dataDir },
    open: () => new ElasticsearchStore({ url: ES_URL, index }),
    async rawPassages() {
      const raw = new Client({ node: ES_URL });
      try {
        await raw.indices.refresh({ index: `${index}-passages` });
        return (await raw.count({ index: `${index}-passages` })).count;
      } finally {
        await raw.close();
      }
    },
    async dispose() {
      const s = new ElasticsearchStore({ url: ES_URL, index });
      await s.drop();
      await s.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface IngestReport {
  summary: { files: Record<string, number> };
  files: { name: string; status: string; skipped?: boolean }[];
}

export function ingest(t: Target, corpus: string): { code: number | null; report: IngestReport | null; stderr: string; ms: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [DIST_CLI, 'ingest', corpus, '--json', '--no-progress'], { env: t.env, encoding: 'utf8', timeout: 300_000 });
  let report: IngestReport | null = null;
  try {
    report = JSON.parse(r.stdout) as IngestReport;
  } catch {
    report = null;
  }
  return { code: r.status, report, stderr: r.stderr, ms: performance.now() - started };
}

/** Starts `ingest` and SIGKILLs it after `ms`; resolves with whether it was still running when killed. */
export function ingestKilledAfter(t: Target, corpus: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DIST_CLI, 'ingest', corpus, '--no-progress'], { env: t.env, stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    setTimeout(() => {
      const running = !exited;
      if (running) child.kill('SIGKILL');
      child.once('exit', () => resolve(running));
      if (!running) resolve(false);
    }, ms);
  });
}

export interface StoreState {
  documents: number;
  passages: number;
  /** Documents whose stored passages are not exactly 0..passageCount-1 (half-visible). */
  incomplete: string[];
  /** Passage ids seen more than once across documents. */
  duplicates: number;
}

/** What a reader sees: every listed document complete, each passage once. */
export async function inspect(t: Target): Promise<StoreState> {
  const store = t.open();
  await store.init();
  try {
    const counts = await store.counts();
    const docs = await store.listDocuments();
    const seen = new Set<string>();
    let duplicates = 0;
    const incomplete: string[] = [];
    for (const d of docs) {
      const passages = await store.getPassages(d.id);
      const seqs = passages.map((p) => p.seq);
      if (passages.length !== d.passageCount || seqs.some((s, i) => s !== i)) incomplete.push(d.name);
      for (const p of passages) {
        if (seen.has(p.id)) duplicates++;
        seen.add(p.id);
      }
    }
    if (docs.length !== counts.documents) incomplete.push(`(list has ${docs.length}, counts say ${counts.documents})`);
    return { documents: counts.documents, passages: counts.passages, incomplete, duplicates };
  } finally {
    await store.close();
  }
}

export interface TrialResult {
  kind: StoreKind;
  killAtMs: number;
  killedWhileRunning: boolean;
  /** Documents visible right after the kill (all complete). */
  visibleAfterKill: number;
  afterKill: StoreState;
  afterRerun: StoreState;
  rawPassagesAfterRerun: number;
  rerunCode: number | null;
  thirdRunChanged: number;
}

/** One trial on a fresh store: kill at `killAtMs`, inspect, rerun, inspect, run a third time. */
export async function trial(kind: StoreKind, corpus: string, killAtMs: number): Promise<TrialResult> {
  const t = target(kind);
  try {
    const killedWhileRunning = await ingestKilledAfter(t, corpus, killAtMs);
    const afterKill = await inspect(t);
    const rerun = ingest(t, corpus);
    const afterRerun = await inspect(t);
    const rawPassagesAfterRerun = await t.rawPassages();
    const third = ingest(t, corpus);
    const thirdRunChanged = (third.report?.files ?? []).filter((f) => f.status !== 'unchanged').length + (third.report ? 0 : 1);
    return {
      kind,
      killAtMs,
      killedWhileRunning,
      visibleAfterKill: afterKill.documents,
      afterKill,
      afterRerun,
      rawPassagesAfterRerun,
      rerunCode: rerun.code,
      thirdRunChanged,
    };
  } finally {
    await t.dispose();
  }
}

/** An uninterrupted run: its duration and the counts every trial must end with. */
export async function reference(kind: StoreKind, corpus: string): Promise<{ ms: number; state: StoreState }> {
  const t = target(kind);
  try {
    const r = ingest(t, corpus);
    if (r.code !== 0) throw new Error(`reference ingest failed (${r.code}): ${r.stderr}`);
    return { ms: r.ms, state: await inspect(t) };
  } finally {
    await t.dispose();
  }
}
