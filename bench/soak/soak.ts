/**
 * Soak (not part of the test suite; loopback only; stops by itself): a real `docqa serve` on the embedded SQLite
 * store and one on Elasticsearch (a fresh random index prefix, deleted at the end), both over the SQuAD dev-b corpus,
 * each under `--minutes` of mixed load at the same time (bench/soak/workload.ts: asks, feedback on earlier asks,
 * uploads of small and medium documents, deletes; `--concurrency` clients, at most `--rate` requests/s per server).
 * Every `--sample-seconds` it samples each server: RSS and open fds (/proc/PID), V8 heap and event-loop lag (its
 * own /metrics), documents in the store, replies so far by status class. Writes to `--out` (default a fresh folder
 * under the system temp dir): samples.csv, soak.json (samples, summaries, every request), summary.md (the table,
 * and what was in flight when the event loop stalled over `--stall-ms`) and soak.png
 * (the plot; `--png PATH` copies it there too). Exits 1 when any reply was a 5xx or got no reply.
 *
 *   npm run build && npx tsc -p bench/soak/tsconfig.json
 *   node dist/bench-build/bench/soak/soak.js --minutes 20 --png docs/img/soak.png
 *   --stores sqlite --minutes 5 --mix upload_medium=0.2,delete=0.2   (one store; shares of some operations changed)
 *
 * Needs data/squad/squad-v1.1-dev-b.json (`npx docqa data fetch squad`), Elasticsearch on loopback (`--es-url`,
 * default http://127.0.0.1:9200; scripts/elasticsearch start) unless `--stores sqlite`, and Chromium for the plot.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { renderDocx } from '../../test/fixtures/documents/render.js';
import { loadAvg, metric, metricBy, openFds, rssMb, scrape, startServer, stopServer, type Server } from '../lib/server.js';
import { ingestCorpus, loadDevB, questionsOf } from '../lib/squad.js';
import { renderPng, svgChart } from './chart.js';
import { summarize, table, toCsv, type Sample, type Summary } from './summary.js';
import { MIX, OPS, Workload, emptyCounts, type Corpus, type LoadCounts, type Op } from './workload.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' },
    stores: { type: 'string', default: 'sqlite,elasticsearch' },
    concurrency: { type: 'string', default: '2' },
    rate: { type: 'string', default: '1' },
    'sample-seconds': { type: 'string', default: '10' },
    'stall-ms': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '16' },
    'es-url': { type: 'string', default: 'http://127.0.0.1:9200' },
    mix: { type: 'string', default: '' },
    out: { type: 'string' },
    png: { type: 'string' },
  },
});
const minutes = Number(args.minutes);
const sampleMs = Number(args['sample-seconds']) * 1000;
const stores = args.stores.split(',').filter(Boolean);
for (const s of stores) if (s !== 'sqlite' && s !== 'elasticsearch') throw new Error(`--stores: unknown store ${s} (sqlite, elasticsearch)`);
if (!(minutes > 0 && minutes <= 120)) throw new Error('--minutes must be in (0, 120]');
const esUrl = new URL(args['es-url']);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(esUrl.hostname)) throw new Error(`--es-url must be on loopback (got ${esUrl.hostname})`);
/** --mix op=share,...: shares that replace the default ones of those operations (relative weights). */
const mix: Record<Op, number> = { ...MIX };
for (const kv of args.mix.split(',').filter(Boolean)) {
  const [op, share] = kv.split('=') as [Op, string];
  if (!OPS.includes(op) || !(Number(share) >= 0)) throw new Error(`--mix: bad entry ${kv} (ops: ${OPS.join(', ')})`);
  mix[op] = Number(share);
}
const mixTotal = OPS.reduce((a, op) => a + mix[op], 0);
if (!(mixTotal > 0)) throw new Error('--mix: all shares are 0');
const outDir = args.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-soak-'));
fs.mkdirSync(outDir, { recursive: true });

// A watchdog: whatever happens, the soak ends (servers killed) 10 minutes after its planned end.
const children = new Set<Server>();
const watchdog = setTimeout(() => {
  console.error('soak: watchdog fired; killing the servers');
  for (const s of children) s.proc.kill('SIGKILL');
  process.exit(2);
}, (minutes + 10) * 60_000);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const s of children) s.proc.kill('SIGKILL');
    process.exit(130);
  });
}

// --- the corpus and the documents to upload ------------------------------------------------------------------------
const squad = loadDevB();
const paragraphs = squad.data.flatMap((a) => a.paragraphs.map((p) => p.context));
/** Medium documents of about 200 KB: runs of consecutive articles. */
function mediumTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const parts: string[] = [];
    for (let a = i * 7; parts.join('\n\n').length < 200_000; a++) {
      const article = squad.data[a % squad.data.length]!;
      parts.push(`${article.title}\n\n${article.paragraphs.map((p) => p.context).join('\n\n')}`);
    }
    return parts.join('\n\n');
  });
}
const corpus: Corpus = {
  questions: questionsOf(squad),
  paragraphs,
  mediumTexts: mediumTexts(4),
  mediumDocx: await Promise.all(
    [0, 1, 2, 3].map((i) => {
      const articles = squad.data.slice(i * 3, i * 3 + 3);
      return renderDocx({ title: `Soak ${i}`, sections: articles.map((a) => ({ heading: a.title, paragraphs: a.paragraphs.map((p) => p.context) })) });
    }),
  ),
};

// --- the stores ------------------------------------------------------------------------------------------------------
interface Target {
  store: string;
  env: Record<string, string>;
  dataDir: string;
  dispose(): Promise<void>;
}

async function es(method: string, p: string): Promise<unknown> {
  const res = await fetch(new URL(p, esUrl), { method, signal: AbortSignal.timeout(30_000) });
  if (!res.ok && res.status !== 404) throw new Error(`Elasticsearch ${method} ${p}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Every index and index template whose name starts with `prefix` (the store's, the query log's). */
async function esLeftovers(prefix: string): Promise<{ indices: string[]; templates: string[] }> {
  const indices = (await es('GET', `/_cat/indices/${prefix}*?format=json&expand_wildcards=all`)) as { index: string }[];
  const templates = ((await es('GET', `/_index_template/${prefix}*`)) as { index_templates?: { name: string }[] }).index_templates ?? [];
  return { indices: indices.map((i) => i.index), templates: templates.map((t) => t.name) };
}

async function prepare(store: string): Promise<Target> {
  if (store === 'sqlite') {
    const dataDir = ingestCorpus(squad);
    return { store, env: {}, dataDir, dispose: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const prefix = `docqa-soak-${randomBytes(5).toString('hex')}`;
  const env = { DOCQA_STORE: 'elasticsearch', DOCQA_ES_URL: esUrl.href, DOCQA_ES_INDEX: prefix };
  const dataDir = ingestCorpus(squad, env);
  return {
    store,
    env,
    dataDir,
    async dispose() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      const left = await esLeftovers(prefix);
      for (const index of left.indices) await es('DELETE', `/${index}`);
      for (const template of left.templates) await es('DELETE', `/_index_template/${template}`);
      const after = await esLeftovers(prefix);
      console.log(`${store}: deleted ${left.indices.length} indices and ${left.templates.length} templates of ${prefix}; left: ${after.indices.length + after.templates.length}`);
    },
  };
}

// --- one soak --------------------------------------------------------------------------------------------------------
async function sample(store: string, server: Server, t0: number, load: LoadCounts): Promise<Sample> {
  const pid = server.proc.pid!;
  const rss = rssMb(pid);
  const fds = openFds(pid);
  let text = '';
  try {
    text = await scrape(server.url);
  } catch {
    /* a failed scrape: the figures of /metrics are NaN in this sample */
  }
  const classes = { s2xx: 0, s4xx: 0, s5xx: 0, noReply: 0 };
  for (const byStatus of Object.values(load.counts)) {
    for (const [st, n] of Object.entries(byStatus)) {
      const k = st === '0' ? 'noReply' : (`s${st[0]}xx` as keyof typeof classes);
      if (k in classes) classes[k] += n;
    }
  }
  const server5xx = Object.entries(metricBy(text, 'docqa_http_requests_total', 'status'))
    .filter(([st]) => st.startsWith('5'))
    .reduce((a, [, n]) => a + n, 0);
  return {
    store,
    t: (performance.now() - t0) / 1000,
    rssMb: rss,
    fds,
    heapUsedMb: metric(text, 'docqa_nodejs_heap_size_used_bytes') / 2 ** 20,
    lagP50Ms: metric(text, 'docqa_nodejs_eventloop_lag_p50_seconds') * 1000,
    lagP99Ms: metric(text, 'docqa_nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: metric(text, 'docqa_nodejs_eventloop_lag_max_seconds') * 1000,
    documents: metric(text, 'docqa_store_documents'),
    requests: Object.values(load.counts).reduce((a, r) => a + Object.values(r).reduce((b, n) => b + n, 0), 0),
    ...classes,
    server5xx: text ? server5xx : NaN,
    load1: os.loadavg()[0]!,
  };
}

async function soak(target: Target, index: number): Promise<{ samples: Sample[]; summary: Summary; endCheck: string; log: Server['log']; warmStatuses: string; stalls: string[]; events: (LoadCounts['events'][number])[] }> {
  const server = await startServer(target.dataDir, target.env);
  children.add(server);
  const samples: Sample[] = [];
  const load = emptyCounts();
  const warm = emptyCounts();
  try {
    const corpusDocs = metric(await scrape(server.url), 'docqa_store_documents');
    const workload = new Workload(server.url, corpus, { concurrency: Number(args.concurrency), rate: Number(args.rate), seed: Number(args.seed) + index, requestTimeoutMs: 120_000, mix });
    await workload.warmUp(warm);
    const warmStatuses = OPS.map((op) => `${op} ${Object.keys(warm.counts[op]).join('/')}`).join(', ');
    console.log(`${target.store}: warmed up (${warmStatuses}); RSS ${rssMb(server.proc.pid!).toFixed(0)} MB`);
    await scrape(server.url); // the lag histogram starts afresh with the measured load
    const t0 = performance.now();
    const until = t0 + minutes * 60_000;
    samples.push(await sample(target.store, server, t0, load));
    let sampling = true;
    const sampler = (async () => {
      for (let next = t0 + sampleMs; sampling; next += sampleMs) {
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        if (!sampling) break;
        const s = await sample(target.store, server, t0, load);
        samples.push(s);
        if (samples.length % 6 === 1) {
          console.log(
            `${target.store} ${(s.t / 60).toFixed(1)} min: ${s.requests} requests (4xx ${s.s4xx}, 5xx ${s.s5xx}, no reply ${s.noReply}), RSS ${s.rssMb.toFixed(0)} MB, heap ${s.heapUsedMb.toFixed(0)} MB, fds ${s.fds}, lag p99 ${s.lagP99Ms.toFixed(1)} ms, ${s.documents} documents, load ${loadAvg()}`,
          );
        }
      }
    })();
    await workload.run(until, load);
    sampling = false;
    await sampler;
    samples.push(await sample(target.store, server, t0, load));
    const seconds = samples.at(-1)!.t;
    // the end check: the store holds the corpus and exactly the soak's uploads that were not deleted
    const listed = (await (await fetch(`${server.url}/v1/documents?limit=1`)).json()) as { total: number };
    const expected = corpusDocs + load.live.length;
    const endCheck = `documents at the end: ${listed.total} (corpus ${corpusDocs} + ${load.live.length} soak uploads not deleted = ${expected})${listed.total === expected ? '' : ' MISMATCH'}`;
    // what was in flight in each sample interval whose largest event-loop lag passed --stall-ms
    const events = load.events.map((e) => ({ ...e, start: (e.start - t0) / 1000, end: (e.end - t0) / 1000 }));
    const stalls = samples.flatMap((smp, i) => {
      if (i === 0 || !(smp.lagMaxMs > Number(args['stall-ms']))) return [];
      const from = samples[i - 1]!.t;
      const inFlight = events.filter((e) => e.start < smp.t && e.end > from);
      const what = inFlight.map((e) => `${e.op} ${e.status} ${(e.end - e.start).toFixed(1)} s${e.bytes > 0 ? ` ${(e.bytes / 1024).toFixed(0)} KB` : e.bytes < 0 ? ' multipart' : ''}`);
      return [`${from.toFixed(0)}–${smp.t.toFixed(0)} s: largest lag ${smp.lagMaxMs.toFixed(0)} ms; in flight: ${what.join(', ') || 'nothing'}`];
    });
    return { samples, summary: summarize(target.store, samples, load, seconds), endCheck, log: server.log, warmStatuses, stalls, events };
  } finally {
    await stopServer(server);
    children.delete(server);
  }
}

// --- main ------------------------------------------------------------------------------------------------------------
const started = new Date();
console.log(
  `docqa soak: ${stores.join(' and ')}, ${minutes} min each at the same time, ${args.concurrency} clients and at most ${args.rate} requests/s per server, ` +
    `mix ${OPS.map((k) => `${k} ${Math.round((mix[k] / mixTotal) * 100)}%`).join(', ')}; seed ${args.seed}; ${os.cpus().length} cores; load ${loadAvg()}; out ${outDir}`,
);
const targets: Target[] = [];
let failed = false;
try {
  for (const s of stores) targets.push(await prepare(s)); // one ingest at a time (2 cores)
  console.log(`corpus ingested (${squad.data.length} articles per store); load ${loadAvg()}`);
  const results = await Promise.all(targets.map((t, i) => soak(t, i)));
  const byStore = new Map(results.map((r) => [r.summary.store, r.samples]));
  const all = results.flatMap((r) => r.samples);
  const md = [
    `docqa soak ${started.toISOString()} → ${new Date().toISOString()}: ${minutes} min, ${args.concurrency} clients, at most ${args.rate} requests/s per server, seed ${args.seed}, ${os.cpus().length} cores`,
    '',
    table(results.map((r) => r.summary)),
    '',
    ...results.map((r) => `- ${r.summary.store}: warm-up replies (not counted above): ${r.warmStatuses}; ${r.endCheck}; server log lines at warn or above: ${r.log.count}`),
    '',
    ...results.flatMap((r) => [`${r.summary.store}: sample intervals with an event-loop lag over ${args['stall-ms']} ms: ${r.stalls.length}`, ...r.stalls.map((x) => `- ${x}`), '']),
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'samples.csv'), toCsv(all));
  fs.writeFileSync(path.join(outDir, 'soak.json'), JSON.stringify({ args, started, results: results.map((r) => ({ ...r, log: { count: r.log.count, first: r.log.lines.slice(0, 50) } })) }, null, 1));
  fs.writeFileSync(path.join(outDir, 'summary.md'), md);
  const png = path.join(outDir, 'soak.png');
  await renderPng(svgChart(byStore, `docqa soak: ${minutes} min of mixed load per store, sampled every ${args['sample-seconds']} s`), png);
  if (args.png) fs.copyFileSync(png, args.png);
  console.log(`\n${md}\nplot: ${png} (${(fs.statSync(png).size / 1024).toFixed(0)} KB)${args.png ? `, copied to ${args.png}` : ''}; load ${loadAvg()}`);
  for (const r of results) if (r.log.count > 0) console.log(`${r.summary.store} server log (first lines):\n${r.log.lines.slice(0, 10).join('\n')}`);
  failed = results.some(
    (r) => Object.keys(r.summary.byStatus).some((st) => st === '0' || st.startsWith('5')) || /\b(0|5\d\d)\b/.test(r.warmStatuses) || r.endCheck.includes('MISMATCH'),
  );
} finally {
  for (const t of targets) await t.dispose();
  clearTimeout(watchdog);
}
process.exit(failed ? 1 : 0);
