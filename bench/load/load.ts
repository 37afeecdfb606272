/**
 * docqa under concurrent HTTP load (not part of the test suite; loopback only, every phase bounded in time or
 * count). A real `docqa serve` (dist/, the bundled model) over the SQuAD dev-b corpus (one text file per article,
 * ingested into a fresh data folder), driven by a small load generator (fetch, keep-alive): `concurrency` clients
 * asking dev-b questions back to back for `--seconds`, while a prober GETs /healthz every 25 ms.
 *
 * Scenarios:
 *   asks      per variant and concurrency: answers/s, latency p50/p95/p99, errors, 503 sheds, /healthz p50/p99/max,
 *             event-loop lag p99 (the server's own docqa_nodejs_eventloop_lag_p99_seconds over the phase), RSS
 *             before/after. Variants set the serving path: inthread (DOCQA_READER_WORKERS=0, the old path),
 *             workers1 (1 worker, 2 intra-op threads), workers2 (2 workers x 1 thread), batched (1 worker,
 *             micro-batching 3 ms), batched2 (2 workers x 1 thread, micro-batching 3 ms); workers1 runs its
 *             worker at nice 0, nice5 and nice10 at those nice values (DOCQA_READER_NICE).
 *   uploads   /healthz during a 45 MB text upload and during its DELETE (store in one transaction, DOCQA_STORE_WRITE_CHUNK=0;
 *             in chunks on the event loop, DOCQA_STORE_WRITE_THREAD=main; in chunks in the writer thread, the default)
 *             (`--parts big`); a 44-byte upload sent behind six slow DOCX (`--parts small`)
 *             uploads, with and without the small-file lane (DOCQA_INGEST_SMALL_FILE_BYTES=0 is the old FIFO).
 *   rss       RSS before and after `--asks` asks at concurrency 4 (after 200 warm-up asks), stopping after --seconds.
 *   --env K=V,K=V adds settings to every server (e.g. DOCQA_RETRIEVER_TOP_K=1 for cheaper asks).
 *   --cli PATH runs the servers from another build (dist/cli/main.js of an older checkout) for a before/after.
 *
 * Build and run (needs data/squad/squad-v1.1-dev-b.json, `npx docqa data fetch squad`):
 *   npm run build && npx tsc -p bench/load/tsconfig.json
 *   node dist/bench-build/bench/load/load.js --scenario asks --variants inthread,workers1,batched --concurrency 1,4,16 --seconds 20
 *   node dist/bench-build/bench/load/load.js --scenario uploads
 *   node dist/bench-build/bench/load/load.js --scenario rss --asks 5000 --seconds 1200 [--warmup 200] [--sample-every 500]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fmt, loadAvg, loopLagP99Ms, metric, pct, rssMb, scrape, startServer as startDocqa, stopServer, type Server } from '../lib/server.js';
import { ingestCorpus, loadDevB, questionsOf } from '../lib/squad.js';
import { renderDocx } from '../../test/fixtures/documents/render.js';

const VARIANTS: Record<string, Record<string, string>> = {
  inthread: { DOCQA_READER_WORKERS: '0' },
  workers1: { DOCQA_READER_WORKERS: '1', DOCQA_READER_NICE: '0' },
  nice5: { DOCQA_READER_WORKERS: '1', DOCQA_READER_NICE: '5' },
  nice10: { DOCQA_READER_WORKERS: '1', DOCQA_READER_NICE: '10' },
  workers2: { DOCQA_READER_WORKERS: '2' },
  batched: { DOCQA_READER_WORKERS: '1', DOCQA_READER_BATCH_WAIT_MS: '3' },
  batched2: { DOCQA_READER_WORKERS: '2', DOCQA_READER_BATCH_WAIT_MS: '3' },
};

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'asks' },
    variants: { type: 'string', default: 'inthread,workers1,batched' },
    /** uploads: big (the 45 MB upload and its DELETE), small (the small upload behind six DOCX) */
    parts: { type: 'string', default: 'big,small' },
    concurrency: { type: 'string', default: '1,4,16' },
    seconds: { type: 'string', default: '20' },
    asks: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '200' },
    'sample-every': { type: 'string', default: '0' },
    env: { type: 'string', default: '' },
    // another build's CLI (e.g. a checkout of an older commit, built) to measure it with the same scenario
    cli: { type: 'string', default: '' },
  },
});
const extraEnv = Object.fromEntries(
  args.env
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]), // a value may hold '='
);

// --- corpus, questions, server ------------------------------------------------------------------------------
const squad = loadDevB();
const questions = questionsOf(squad);
const cli = args.cli ? path.resolve(args.cli) : undefined;
if (cli && !fs.existsSync(cli)) throw new Error(`--cli ${cli} is missing`);
const startServer = (dataDir: string, env: Record<string, string>): Promise<Server> => startDocqa(dataDir, { ...env, ...extraEnv }, cli);

// --- measuring -------------------------------------------------------------------------------------------------
/** GETs /healthz every 25 ms until stopped; resolves with the latencies (ms). */
function probeHealth(url: string): { stop(): Promise<number[]> } {
  const lat: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      try {
        await (await fetch(`${url}/healthz`)).text();
      } catch {
        /* counted as missing */
      }
      lat.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return lat.sort((a, b) => a - b);
    },
  };
}

interface AskStats {
  ok: number;
  errors: number;
  shed: number;
  latencies: number[];
  seconds: number;
}

async function ask(url: string, i: number): Promise<number> {
  const res = await fetch(`${url}/v1/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question: questions[i % questions.length] }),
  });
  await res.text();
  return res.status;
}

/** `concurrency` clients asking back to back until `seconds` pass or `total` asks are sent. */
async function askLoad(url: string, concurrency: number, opts: { seconds?: number; total?: number; offset?: number }): Promise<AskStats> {
  const stats: AskStats = { ok: 0, errors: 0, shed: 0, latencies: [], seconds: 0 };
  const t0 = performance.now();
  const deadline = opts.seconds ? t0 + opts.seconds * 1000 : Infinity;
  let next = opts.offset ?? 0;
  const end = opts.total !== undefined ? next + opts.total : Infinity;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && next < end) {
        const t = performance.now();
        let status = 0;
        try {
          status = await ask(url, next++);
        } catch {
          status = 0;
        }
        if (status === 200) {
          stats.ok++;
          stats.latencies.push(performance.now() - t);
        } else if (status === 503) stats.shed++;
        else stats.errors++;
      }
    }),
  );
  stats.seconds = (performance.now() - t0) / 1000;
  stats.latencies.sort((a, b) => a - b);
  return stats;
}

// --- scenarios -------------------------------------------------------------------------------------------------
async function scenarioAsks(dataDir: string): Promise<void> {
  const levels = args.concurrency.split(',').map(Number);
  const seconds = Number(args.seconds);
  console.log(`\ndocqa bench/load asks: ${questions.length} dev-b questions over the dev-b corpus (${squad.data.length} articles), ${seconds} s per row, ${os.cpus().length} cores (${os.cpus()[0]?.model})`);
  console.log('| variant | clients | answers/s | p50 ms | p95 ms | p99 ms | errors | shed 503 | /healthz p50 / p99 / max ms | loop lag p99 ms | RSS MB before → after | load avg (1 5 15 min) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const name of args.variants.split(',')) {
    const env = VARIANTS[name];
    if (!env) throw new Error(`unknown variant ${name} (${Object.keys(VARIANTS).join(', ')})`);
    const server = await startServer(dataDir, env);
    try {
      await askLoad(server.url, 2, { total: 10 }); // warm-up
      let offset = 100;
      for (const c of levels) {
        const rssBefore = rssMb(server.proc.pid!);
        const la = loadAvg();
        await loopLagP99Ms(server.url); // the scrape resets the server's lag histogram
        const probe = probeHealth(server.url);
        const s = await askLoad(server.url, c, { seconds, offset });
        offset += s.ok + s.errors + s.shed;
        const health = await probe.stop();
        const lag = await loopLagP99Ms(server.url);
        console.log(
          `| ${name} | ${c} | ${fmt(s.ok / s.seconds, 2)} | ${fmt(pct(s.latencies, 50))} | ${fmt(pct(s.latencies, 95))} | ${fmt(pct(s.latencies, 99))} | ${s.errors} | ${s.shed} | ` +
            `${fmt(pct(health, 50), 1)} / ${fmt(pct(health, 99), 1)} / ${fmt(health.at(-1)!, 1)} | ${fmt(lag, 1)} | ${fmt(rssBefore)} → ${fmt(rssMb(server.proc.pid!))} | ${la} |`,
        );
      }
    } finally {
      await stopServer(server);
    }
  }
}

async function timedWithProbe<T>(url: string, work: () => Promise<T>): Promise<{ value: T; ms: number; health: number[] }> {
  const probe = probeHealth(url);
  await new Promise((r) => setTimeout(r, 100));
  const t = performance.now();
  const value = await work();
  const ms = performance.now() - t;
  const health = await probe.stop();
  return { value, ms, health };
}

async function scenarioUploads(dataDir: string): Promise<void> {
  const article = squad.data.flatMap((a) => a.paragraphs.map((p) => p.context)).join('\n\n');
  const big = Buffer.from(article.repeat(Math.ceil(45e6 / Buffer.byteLength(article))).slice(0, 45_000_000));
  const slowDocx = await renderDocx({
    title: 'Slow',
    sections: [{ paragraphs: Array.from({ length: 4 }, () => squad.data.flatMap((a) => a.paragraphs.map((p) => p.context))).flat() }],
  });
  console.log(`\ndocqa bench/load uploads: 45 MB text (${big.length} bytes), DOCX of ${slowDocx.length} bytes; load avg ${loadAvg()}`);
  console.log('| variant | what | took ms | /healthz probes | /healthz p50 / p99 / max ms (during) | loop lag p99 ms | load avg after (1 5 15 min) |');
  console.log('|---|---|---|---|---|---|---|');
  // a 45 MB upload takes minutes on a loaded machine: longer than the default 60 s request timeout
  const uploadEnv = { DOCQA_REQUEST_TIMEOUT_MS: '900000' };
  // the 45 MB upload and its DELETE: the store in one transaction (the old path) and in chunks (the default)
  const bigVariants: [string, Record<string, string>][] = args.cli
    ? [[`--cli ${args.cli}`, {}]]
    : [
        ['one transaction (DOCQA_STORE_WRITE_CHUNK=0)', { DOCQA_STORE_WRITE_CHUNK: '0' }],
        ['chunks on the event loop (DOCQA_STORE_WRITE_THREAD=main)', { DOCQA_STORE_WRITE_THREAD: 'main' }],
        ['default (chunks of 500 passages in the writer thread)', {}],
      ];
  const parts = args.parts.split(',');
  for (const [name, env] of parts.includes('big') ? bigVariants : []) {
    const server = await startServer(dataDir, { ...uploadEnv, ...env });
    try {
      const row = (what: string, r: { ms: number; health: number[] }, lag: number) =>
        console.log(`| ${name} | ${what} | ${fmt(r.ms)} | ${r.health.length} | ${fmt(pct(r.health, 50), 1)} / ${fmt(pct(r.health, 99), 1)} / ${fmt(r.health.at(-1)!, 1)} | ${fmt(lag, 1)} | ${loadAvg()} |`);
      await loopLagP99Ms(server.url);
      const up = await timedWithProbe(server.url, async () => {
        const res = await fetch(`${server.url}/v1/documents?name=big-${Date.now()}.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: big });
        return { ...((await res.json()) as { documentId: string; passages: number; status: string }), http: res.status };
      });
      row(`45 MB text upload (${up.value.http} ${up.value.status}, ${up.value.passages} passages)`, up, await loopLagP99Ms(server.url));
      const del = await timedWithProbe(server.url, async () => (await fetch(`${server.url}/v1/documents/${up.value.documentId}`, { method: 'DELETE' })).status);
      row(`its DELETE (${del.value})`, del, await loopLagP99Ms(server.url));
    } finally {
      await stopServer(server);
    }
  }
  // six slow DOCX uploads, then a 44-byte one (new text each time, so it is really converted and written)
  const smallVariants = [
    ['old FIFO (DOCQA_INGEST_SMALL_FILE_BYTES=0)', { DOCQA_INGEST_SMALL_FILE_BYTES: '0' }],
    [args.cli ? `--cli ${args.cli}` : 'default', {}],
  ] as const;
  for (const [name, env] of parts.includes('small') ? smallVariants : []) {
    const server = await startServer(dataDir, { ...uploadEnv, ...env });
    try {
      const slow = Array.from({ length: 6 }, (_, i) => {
        const form = new FormData();
        form.append('file', new Blob([slowDocx]), `slow-${i}-${Date.now()}.docx`);
        const t = performance.now();
        return fetch(`${server.url}/v1/documents`, { method: 'POST', body: form }).then(async (r) => (await r.text(), `${fmt(performance.now() - t)} (${r.status})`));
      });
      await new Promise((r) => setTimeout(r, 300));
      const note = `A small note ${Date.now() % 100000}: meeting on Tuesday.`.padEnd(44, '.');
      const small = await timedWithProbe(server.url, async () =>
        (await fetch(`${server.url}/v1/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `small-${Date.now()}.txt`, text: note }) })).status,
      );
      console.log(`| ${name} | 44-byte upload behind six slow DOCX (${small.value}) | ${fmt(small.ms)} | ${small.health.length} | ${fmt(pct(small.health, 50), 1)} / ${fmt(pct(small.health, 99), 1)} / ${fmt(small.health.at(-1)!, 1)} | - | ${loadAvg()} |`);
      const slowMs = await Promise.all(slow);
      console.log(`| ${name} | the six DOCX uploads (status) | ${slowMs.join(', ')} | | | | ${loadAvg()} |`);
    } finally {
      await stopServer(server);
    }
  }
}

async function scenarioRss(dataDir: string): Promise<void> {
  const total = Number(args.asks);
  const warmup = Number(args.warmup);
  const every = Number(args['sample-every']) || total;
  const server = await startServer(dataDir, {});
  try {
    await askLoad(server.url, 4, { total: warmup });
    const before = rssMb(server.proc.pid!);
    const la = loadAvg();
    const deadline = performance.now() + Number(args.seconds) * 1000;
    const samples: { asks: number; rss: number; heap: number; seconds: number }[] = [];
    const sum = { ok: 0, errors: 0, shed: 0, seconds: 0 };
    let sent = 0;
    while (sent < total && performance.now() < deadline) {
      const n = Math.min(every, total - sent);
      const s = await askLoad(server.url, 4, { total: n, offset: warmup + sent, seconds: (deadline - performance.now()) / 1000 });
      sent += s.ok + s.errors + s.shed;
      sum.ok += s.ok;
      sum.errors += s.errors;
      sum.shed += s.shed;
      sum.seconds += s.seconds;
      const heap = metric(await scrape(server.url), 'docqa_nodejs_heap_size_used_bytes') / 2 ** 20;
      samples.push({ asks: sent, rss: rssMb(server.proc.pid!), heap, seconds: sum.seconds });
    }
    const after = samples.at(-1)?.rss ?? NaN;
    console.log(`\ndocqa bench/load rss: up to ${total} asks (at most ${args.seconds} s) at concurrency 4 after ${warmup} warm-up asks (load avg at start ${la}, at end ${loadAvg()})`);
    console.log('| asks | ok | errors | shed 503 | answers/s | RSS MB before | RSS MB after | growth |');
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(`| ${sent} | ${sum.ok} | ${sum.errors} | ${sum.shed} | ${fmt(sum.ok / sum.seconds, 2)} | ${fmt(before)} | ${fmt(after)} | ${fmt(((after - before) / before) * 100, 1)} % |`);
    if (samples.length > 1) {
      console.log('\n| asks after warm-up | RSS MB | V8 heap used MB | seconds |');
      console.log('|---|---|---|---|');
      for (const x of samples) console.log(`| ${x.asks} | ${fmt(x.rss)} | ${fmt(x.heap, 1)} | ${fmt(x.seconds)} |`);
    }
  } finally {
    await stopServer(server);
  }
}

const dataDir = ingestCorpus(squad);
try {
  if (args.scenario === 'asks') await scenarioAsks(dataDir);
  else if (args.scenario === 'uploads') await scenarioUploads(dataDir);
  else if (args.scenario === 'rss') await scenarioRss(dataDir);
  else throw new Error(`unknown scenario ${args.scenario} (asks, uploads, rss)`);
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
