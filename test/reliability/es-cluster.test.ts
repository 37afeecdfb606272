/**
 * Issue 16, item 1: a 3-node Elasticsearch cluster on loopback (scripts/elasticsearch cluster) that loses a node.
 *
 * The corpus (the vendored SQuAD articles, 10 paragraphs a file) is ingested with 3 shards and 1 replica; two docqa
 * servers (the compiled CLI, the tiny test model) answer from it, each given all three node URLs. Then, while both
 * servers take a stream of asks and a second ingest of the same corpus runs (under another index prefix, so that it
 * does not change the answers being compared), the elected master node is SIGKILLed. Checked:
 *   - every ask answers 200 or a clean 503, never anything else; every 200 gives exactly the answers of before;
 *   - the ingest either completes or reports its failed files, and a rerun after the fault completes it;
 *   - once the cluster is yellow without the node, and again after the node is back (green): exact document and
 *     passage counts, the same answers as before the fault, identical on both servers.
 * Beside them, a third index prefix has 0 replicas and one shard on each node (total_shards_per_node 1): without the
 * node it has lost a shard, and the store must then fail (UnavailableError, a 503) rather than answer from the two
 * shards left, which a plain search does (partial results); after the node is back its counts are exact again.
 *
 * The cluster is started by this test (and stopped afterwards) unless one already runs. Where it cannot start, the
 * test fails with CI=true and is skipped with a warning otherwise. ES_CLUSTER_REPORT=<file> writes what was measured.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { UnavailableError } from '../../src/errors.js';
import { ElasticsearchStore } from '../../src/store/elasticsearch/store.js';
import { makeDoc } from '../store/contract.js';
import { DIST_CLI, startServer, stopServer } from '../helpers/dist.js';
import { testIndexPrefix } from '../helpers/elasticsearch.js';
import { TINY_ROBERTA } from '../helpers/services.js';
import type { ChildProcess } from 'node:child_process';

const run = promisify(execFile);
const SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'elasticsearch');
const SQUAD = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'squad', 'squad-v1.1-dev-b-excerpt.json');
const NODES = 3;
const SHARDS = '3';
const REPLICAS = '1';

async function cluster(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('bash', [SCRIPT, 'cluster', ...args], { timeout: 600_000, maxBuffer: 1 << 24 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

/** Starts the cluster unless it runs: whether this test started it, or null when it cannot run here. */
async function bringUp(): Promise<{ startedHere: boolean; seconds: number } | null> {
  const t0 = Date.now();
  if ((await cluster('status')).code === 0) return { startedHere: false, seconds: 0 };
  const started = await cluster('start', '--nodes', String(NODES));
  if (started.code === 0) return { startedHere: true, seconds: (Date.now() - t0) / 1000 };
  // leave nothing half-started behind
  await cluster('stop');
  const why = `scripts/elasticsearch cluster start failed:\n${started.out.slice(-3000)}`;
  if (process.env.CI) throw new Error(why);
  console.warn(`Elasticsearch cluster test skipped: ${why}`);
  return null;
}

const up = await bringUp();

interface Squad {
  data: { title: string; paragraphs: { context: string; qas: { question: string }[] }[] }[];
}

/** The SQuAD articles as text files of 10 paragraphs each, and one question per file of the first articles. */
function writeCorpus(dir: string): { files: number; questions: string[] } {
  const squad = JSON.parse(fs.readFileSync(SQUAD, 'utf8')) as Squad;
  const questions: string[] = [];
  let files = 0;
  for (const article of squad.data) {
    for (let i = 0; i < article.paragraphs.length; i += 10) {
      const part = article.paragraphs.slice(i, i + 10);
      const name = `${article.title.replace(/[^A-Za-z0-9]+/g, '-')}-${String(i / 10 + 1).padStart(2, '0')}.txt`;
      fs.writeFileSync(path.join(dir, name), `${article.title.replace(/_/g, ' ')}\n\n${part.map((p) => p.context).join('\n\n')}\n`);
      files++;
      if (questions.length < 8 && i === 0) questions.push(part[0]!.qas[0]!.question);
    }
  }
  return { files, questions };
}

interface IngestRun {
  code: number | null;
  report: { summary: { files: { failed: number }; failures: { name: string; reason: string; message: string }[] } } | null;
  stderr: string;
}

function ingest(env: NodeJS.ProcessEnv, dir: string): { child: ChildProcess; done: Promise<IngestRun> } {
  const child = spawn(process.execPath, [DIST_CLI, 'ingest', dir, '--json', '--no-progress'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<IngestRun>((resolve) =>
    child.once('exit', (code) => {
      let report: IngestRun['report'] = null;
      try {
        report = JSON.parse(stdout) as IngestRun['report'];
      } catch {
        // no JSON report: the run stopped before it could write one (its reason is on stderr)
      }
      resolve({ code, report, stderr });
    }),
  );
  return { child, done };
}

/** What must not differ between two answers to the same question (the ask id and timings do). */
function answerKey(body: { answers?: unknown; noAnswer?: unknown; retrieved?: unknown }): string {
  return JSON.stringify({ answers: body.answers, noAnswer: body.noAnswer, retrieved: body.retrieved });
}

async function ask(url: string, question: string): Promise<{ status: number; key: string | null; body: string }> {
  try {
    const res = await fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question }),
      signal: AbortSignal.timeout(120_000),
    });
    const body = await res.text();
    return { status: res.status, key: res.status === 200 ? answerKey(JSON.parse(body) as object) : null, body };
  } catch (err) {
    return { status: 0, key: null, body: String(err) };
  }
}

describe.runIf(up)('a 3-node Elasticsearch cluster losing a node (SIGKILL) under asks and an ingest', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-cluster-'));
  const corpus = path.join(work, 'corpus');
  const prefix = testIndexPrefix();
  const prefix2 = `${prefix}-during`;
  const prefix0 = `${prefix}-lost`;
  let lost: ElasticsearchStore | null = null;
  let urls: string[] = [];
  let raw: Client;
  const servers: ChildProcess[] = [];
  let killed: number | null = null;
  const report: Record<string, unknown> = {};

  const env = (index: string, nodeUrls: string[]): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    DOCQA_MODEL_DIR: TINY_ROBERTA,
    DOCQA_LOG_LEVEL: 'warn',
    DOCQA_STORE: 'elasticsearch',
    DOCQA_ES_URL: nodeUrls.join(','),
    DOCQA_ES_INDEX: index,
    DOCQA_ES_SHARDS: SHARDS,
    DOCQA_ES_REPLICAS: REPLICAS,
    DOCQA_ES_TIMEOUT_MS: '60000',
    DOCQA_QUERY_LOG: 'false',
    DOCQA_RATE_LIMIT_PER_MINUTE: '0',
    DOCQA_DATA_DIR: fs.mkdtempSync(path.join(work, 'data-')),
  });

  /** Documents and passages as the documents index says (what the store's counts() reads) and passages as indexed. */
  async function counts(index: string): Promise<{ documents: number; passages: number; indexed: number }> {
    await raw.indices.refresh({ index: `${index}-documents,${index}-passages` });
    const res = await raw.search({
      index: `${index}-documents`,
      size: 0,
      track_total_hits: true,
      allow_partial_search_results: false,
      query: { term: { kind: 'source' } },
      aggs: { passages: { sum: { field: 'passageCount' } } },
    });
    const total = res.hits.total;
    const indexed = await raw.count({ index: `${index}-passages` });
    expect(indexed._shards.failed).toBe(0);
    return {
      documents: typeof total === 'number' ? total : (total?.value ?? 0),
      passages: Math.round((res.aggregations?.passages as { value: number }).value),
      indexed: indexed.count,
    };
  }

  /** Health of the replicated indices (the replicas-0 prefix is red without the node, by design). */
  async function health(): Promise<{ status: string; number_of_nodes: number; unassigned_shards: number }> {
    const index = [prefix, prefix2].flatMap((p) => [`${p}-passages`, `${p}-documents`]).join(',');
    return (await raw.cluster.health({ index })) as unknown as {
      status: string;
      number_of_nodes: number;
      unassigned_shards: number;
    };
  }

  beforeAll(async () => {
    fs.mkdirSync(corpus);
    urls = (await cluster('urls')).out.trim().split('\n')[0]!.split(',');
    expect(urls).toHaveLength(NODES);
    raw = new Client({ nodes: urls, maxRetries: 3, requestTimeout: 60_000 });
    report.clusterStartSeconds = up!.seconds;
    report.clusterStartedByTest = up!.startedHere;
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) if (s.exitCode === null) await stopServer(s);
    await lost?.close().catch(() => undefined);
    if (killed !== null && (await cluster('status')).code !== 0) await cluster('start-node', String(killed));
    if (raw) {
      // the servers' indices by name (action.destructive_requires_name forbids wildcards)
      const ours = (await raw.cat.indices({ index: `${prefix}*`, format: 'json', h: 'index' }).catch(() => [])) as { index: string }[];
      for (const { index } of ours) await raw.indices.delete({ index }, { ignore: [404] }).catch(() => undefined);
      for (const p of [prefix, prefix2, prefix0]) {
        for (const t of ['passages', 'documents']) {
          await raw.indices.deleteIndexTemplate({ name: `${p}-${t}` }, { ignore: [404] }).catch(() => undefined);
        }
      }
      await raw.close();
    }
    if (up?.startedHere) await cluster('stop');
    fs.rmSync(work, { recursive: true, force: true });
    if (process.env.ES_CLUSTER_REPORT) fs.writeFileSync(process.env.ES_CLUSTER_REPORT, JSON.stringify(report, null, 2) + '\n');
  }, 700_000);

  it('answers 200 or 503 throughout, loses no document, and answers the same before, during and after', async () => {
    const { files, questions } = writeCorpus(corpus);
    report.files = files;
    report.questions = questions.length;

    // 1. the corpus, on a healthy cluster
    let t0 = Date.now();
    const first = await ingest(env(prefix, urls), corpus).done;
    report.ingestSeconds = (Date.now() - t0) / 1000;
    expect(first.code, first.stderr).toBe(0);
    expect(first.report!.summary.files.failed).toBe(0);
    const reference = await counts(prefix);
    expect(reference.documents).toBe(files);
    expect(reference.indexed).toBe(reference.passages);
    report.reference = reference;
    const settings = await raw.indices.getSettings({ index: `${prefix}-passages`, flat_settings: true });
    const live = Object.values(settings)[0]!.settings as Record<string, string>;
    expect([live['index.number_of_shards'], live['index.number_of_replicas']]).toEqual([SHARDS, REPLICAS]);
    expect((await raw.cluster.health()).status).toBe('green');

    // 2. two servers (node URLs in opposite orders), the same answers from both
    for (const order of [urls, [...urls].reverse()]) {
      const { server, url } = await startServer(env(prefix, order));
      servers.push(server);
      report[`server${servers.length}`] = url;
    }
    const serverUrls = [report.server1 as string, report.server2 as string];
    const baseline = new Map<string, string>();
    for (const q of questions) {
      const [a, b] = await Promise.all(serverUrls.map((u) => ask(u, q)));
      expect(a!.status, a!.body).toBe(200);
      expect(b!.key, `the two servers differ on "${q}"`).toBe(a!.key);
      baseline.set(q, a!.key!);
    }
    expect(new Set(baseline.values()).size).toBeGreaterThan(1);

    // a prefix without replicas, one shard on each node
    lost = new ElasticsearchStore({ url: urls.join(','), index: prefix0, shards: 3, replicas: '0', timeoutMs: 30_000 });
    await lost.init();
    for (const alias of Object.values(lost.aliases)) {
      await raw.indices.putSettings({ index: alias, settings: { 'index.routing.allocation.total_shards_per_node': 1 } });
    }
    await raw.cluster.health({ index: `${prefix0}-passages,${prefix0}-documents`, wait_for_status: 'green', wait_for_no_relocating_shards: true, timeout: '120s' });
    const lostDocs = Array.from({ length: 12 }, (_, i) =>
      makeDoc(`lost-${i}.txt`, [`Basalt sample ${i} cooled from lava.`, `Sample ${i} was found near the volcano.`]),
    );
    for (const d of lostDocs) await lost.writeDocument(d.doc, d.passages);
    const lostCounts = await lost.counts();
    expect(lostCounts).toEqual({ documents: 12, passages: 24 });
    const lostHits = (await lost.search('basalt lava', { topK: 20 })).map((h) => h.passage.id).sort();
    expect(lostHits).toHaveLength(12);
    const perNode = (await raw.cat.shards({ index: `${prefix0}-passages`, format: 'json', h: 'node,prirep' })) as unknown as { node: string }[];
    expect(new Set(perNode.map((r) => r.node)).size).toBe(NODES);

    // 3. a stream of asks on both servers, an ingest, and the elected master SIGKILLed in the middle of them
    const statuses = new Map<number, number>();
    const wrong: string[] = [];
    let asks = 0;
    let streaming = true;
    const streamStart = Date.now();
    const stream = serverUrls.map(async (u, s) => {
      for (let i = s; streaming; i++) {
        const q = questions[i % questions.length]!;
        const r = await ask(u, q);
        asks++;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200 && r.key !== baseline.get(q)) wrong.push(`${u} "${q}": ${r.body.slice(0, 300)}`);
        if (r.status !== 200 && r.status !== 503) wrong.push(`${u} "${q}": HTTP ${r.status} ${r.body.slice(0, 300)}`);
        if (r.status === 503) expect(r.body).not.toMatch(/\n\s+at /); // no stack trace
      }
    });
    const during = ingest(env(prefix2, urls), corpus);
    // kill once the second ingest has committed some documents (it is then writing, mid-batch)
    t0 = Date.now();
    for (;;) {
      const n = await raw.count({ index: `${prefix2}-documents`, query: { term: { kind: 'source' } } }, { ignore: [404] }).catch(() => null);
      if ((n?.count ?? 0) >= 3 || Date.now() - t0 > 300_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const master = (await raw.cat.master({ format: 'json' })) as unknown as { node: string }[];
    killed = Number(/-(\d+)$/.exec(master[0]!.node)![1]);
    const asksBeforeKill = asks;
    const killedAt = Date.now();
    const kill = await cluster('kill', String(killed));
    expect(kill.code, kill.out).toBe(0);
    report.killedNode = `node ${killed} (elected master, ${urls[killed - 1]})`;
    report.ingestDocumentsCommittedAtKill = (await raw.count({ index: `${prefix2}-documents`, query: { term: { kind: 'source' } } }).catch(() => null))?.count;

    // 4. without the node: once the cluster is yellow (a new master, the replicas promoted), exact counts, same answers
    for (;;) {
      const h = await health().catch(() => null);
      if (h && h.number_of_nodes === NODES - 1 && h.status !== 'red') {
        report.yellowAfterSeconds = (Date.now() - killedAt) / 1000;
        report.healthWithoutNode = h.status;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const duringRun = await during.done;
    report.ingestDuringFault = {
      exitCode: duringRun.code,
      files: duringRun.report?.summary.files ?? null,
      seconds: duringRun.report ? Math.round((duringRun.report.summary as unknown as { seconds: number }).seconds * 10) / 10 : null,
      failed: duringRun.report?.summary.failures ?? [],
      stderr: duringRun.stderr.slice(-500),
    };
    if (duringRun.code !== 0) {
      // it may fail, but only by naming what failed
      expect(duringRun.stderr + JSON.stringify(duringRun.report ?? '')).toMatch(/failed|unavailable|Elasticsearch/);
    } else {
      expect(duringRun.report!.summary.files.failed).toBe(0);
    }
    // the replicas-0 prefix lost a shard: a plain search answers from the other two, docqa's store refuses
    const partial = await raw.search({ index: `${prefix0}-passages`, size: 100, query: { match: { text: 'basalt lava' } } });
    expect(partial._shards.failed).toBeGreaterThan(0);
    expect(partial.hits.hits.length).toBeLessThan(lostHits.length);
    const lostSearch = await lost.search('basalt lava', { topK: 20 }).catch((e: unknown) => e);
    const lostCount = await lost.counts().catch((e: unknown) => e);
    expect(lostSearch).toBeInstanceOf(UnavailableError);
    expect(lostCount).toBeInstanceOf(UnavailableError);
    report.replicas0WithoutNode = {
      plainSearch: { shardsFailed: partial._shards.failed, hits: partial.hits.hits.length, of: lostHits.length },
      storeSearch: (lostSearch as Error).message.slice(0, 200),
      storeCounts: (lostCount as Error).message.slice(0, 200),
    };

    expect(await counts(prefix)).toEqual(reference);
    for (const q of questions) {
      for (const u of serverUrls) {
        const r = await ask(u, q);
        expect(r.status, r.body).toBe(200);
        expect(r.key, `"${q}" on ${u} without node ${killed}`).toBe(baseline.get(q));
      }
    }

    // 5. the node back: green again, the interrupted ingest rerun to the end, exact counts, same answers
    t0 = Date.now();
    const restarted = await cluster('start-node', String(killed));
    expect(restarted.code, restarted.out).toBe(0);
    await raw.cluster.health({ wait_for_status: 'green', wait_for_nodes: String(NODES), timeout: '300s' });
    report.nodeBackGreenSeconds = (Date.now() - t0) / 1000;
    killed = null;
    streaming = false;
    await Promise.all(stream);
    report.asks = { total: asks, beforeKill: asksBeforeKill, statuses: Object.fromEntries(statuses), seconds: (Date.now() - streamStart) / 1000 };
    expect(wrong, wrong.slice(0, 5).join('\n')).toEqual([]);
    expect([...statuses.keys()].every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.get(200)).toBeGreaterThan(0);

    const rerun = await ingest(env(prefix2, urls), corpus).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.report!.summary.files.failed).toBe(0);
    report.ingestRerun = rerun.report!.summary.files;
    expect(await counts(prefix2)).toEqual(reference);
    expect(await counts(prefix)).toEqual(reference);
    for (const q of questions) {
      const [a, b] = await Promise.all(serverUrls.map((u) => ask(u, q)));
      expect(a!.key, `"${q}" after the node is back`).toBe(baseline.get(q));
      expect(b!.key, `"${q}" after the node is back, second server`).toBe(baseline.get(q));
    }
    expect(await lost.counts()).toEqual(lostCounts);
    expect((await lost.search('basalt lava', { topK: 20 })).map((h) => h.passage.id).sort()).toEqual(lostHits);
    report.finalCounts = { [prefix]: await counts(prefix), [prefix2]: await counts(prefix2), [prefix0]: await lost.counts() };
  }, 1_500_000);
});
