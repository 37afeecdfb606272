/** The soak's samples and what is said of them (pure: no I/O). */
import { OPS, type LoadCounts, type Op } from './workload.js';

export interface Sample {
  store: string;
  /** seconds since the load started */
  t: number;
  rssMb: number;
  fds: number;
  heapUsedMb: number;
  /** the server's event-loop lag over the interval since the previous sample (prom-client resets it per scrape) */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** docqa_store_documents */
  documents: number;
  /** replies so far (the soak's requests; /metrics scrapes not counted), by class */
  requests: number;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  /** requests that got no HTTP reply (connection refused or reset, timeout) */
  noReply: number;
  /** docqa_http_requests_total with a 5xx status, the server's own count (scrapes included) */
  server5xx: number;
  /** 1-minute load average of the machine */
  load1: number;
}

export const CSV_COLUMNS: (keyof Sample)[] = [
  'store', 't', 'rssMb', 'fds', 'heapUsedMb', 'lagP50Ms', 'lagP99Ms', 'lagMaxMs', 'documents', 'requests', 's2xx', 's4xx', 's5xx', 'noReply', 'server5xx', 'load1',
];

export function toCsv(samples: Sample[]): string {
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v));
  return [CSV_COLUMNS.join(','), ...samples.map((s) => CSV_COLUMNS.map((c) => cell(s[c])).join(','))].join('\n') + '\n';
}

/** Least-squares slope of y over x (NaN with fewer than two distinct x). */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

export const quantile = (values: number[], q: number): number => {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

export interface Summary {
  store: string;
  minutes: number;
  requests: number;
  perSecond: number;
  byOp: Record<Op, { requests: number; statuses: Record<string, number>; p50Ms: number; p95Ms: number }>;
  byStatus: Record<string, number>;
  server5xx: number;
  rss: { startMb: number; endMb: number; maxMb: number; slopeMbPerHour: number; slopeSecondHalfMbPerHour: number };
  heap: { startMb: number; endMb: number; slopeMbPerHour: number };
  fds: { min: number; max: number; end: number };
  lag: { p99MedianMs: number; p99MaxMs: number; p99OfP99Ms: number; maxMs: number };
  load1: { start: number; mean: number; max: number };
}

export function summarize(store: string, samples: Sample[], load: LoadCounts, seconds: number): Summary {
  const xs = samples.map((s) => s.t / 3600);
  const second = samples.filter((s) => s.t >= samples.at(-1)!.t / 2);
  const byStatus: Record<string, number> = {};
  const byOp = {} as Summary['byOp'];
  let requests = 0;
  for (const op of OPS) {
    const statuses = load.counts[op];
    const n = Object.values(statuses).reduce((a, b) => a + b, 0);
    requests += n;
    for (const [st, c] of Object.entries(statuses)) byStatus[st] = (byStatus[st] ?? 0) + c;
    byOp[op] = { requests: n, statuses, p50Ms: quantile(load.latencies[op], 0.5), p95Ms: quantile(load.latencies[op], 0.95) };
  }
  const col = (k: keyof Sample) => samples.map((s) => s[k] as number).filter(Number.isFinite);
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return {
    store,
    minutes: seconds / 60,
    requests,
    perSecond: requests / seconds,
    byOp,
    byStatus,
    server5xx: last.server5xx,
    rss: {
      startMb: first.rssMb,
      endMb: last.rssMb,
      maxMb: Math.max(...col('rssMb')),
      slopeMbPerHour: slope(xs, samples.map((s) => s.rssMb)),
      slopeSecondHalfMbPerHour: slope(second.map((s) => s.t / 3600), second.map((s) => s.rssMb)),
    },
    heap: { startMb: first.heapUsedMb, endMb: last.heapUsedMb, slopeMbPerHour: slope(xs, samples.map((s) => s.heapUsedMb)) },
    fds: { min: Math.min(...col('fds')), max: Math.max(...col('fds')), end: last.fds },
    lag: {
      p99MedianMs: quantile(col('lagP99Ms').slice(1), 0.5),
      p99MaxMs: Math.max(...col('lagP99Ms').slice(1)),
      p99OfP99Ms: quantile(col('lagP99Ms').slice(1), 0.99),
      maxMs: Math.max(...col('lagMaxMs').slice(1)),
    },
    load1: { start: first.load1, mean: col('load1').reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...col('load1')) },
  };
}

const f = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const sign = (v: number, d = 1) => (Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(d) : '-');

/** The summary table (Markdown), one column per store. */
export function table(summaries: Summary[]): string {
  const row = (label: string, cell: (s: Summary) => string) => `| ${label} | ${summaries.map(cell).join(' | ')} |`;
  const statuses = (r: Record<string, number>) =>
    Object.entries(r)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([st, n]) => `${st === '0' ? 'no reply' : st}: ${n}`)
      .join(', ') || '-';
  const errors = (s: Summary) => {
    const e = Object.entries(s.byStatus).filter(([st]) => Number(st) >= 400 || st === '0');
    return e.length === 0 ? '0' : statuses(Object.fromEntries(e));
  };
  const fiveXx = (s: Summary) => Object.entries(s.byStatus).filter(([st]) => Number(st) >= 500).reduce((a, [, n]) => a + n, 0);
  return [
    `| | ${summaries.map((s) => s.store).join(' | ')} |`,
    `|---|${summaries.map(() => '---').join('|')}|`,
    row('duration', (s) => `${f(s.minutes, 1)} min`),
    row('requests (per s)', (s) => `${s.requests} (${f(s.perSecond, 2)})`),
    ...OPS.map((op) => row(`${op.replace('_', ' ')}: n, statuses, p50 / p95 ms`, (s) => `${s.byOp[op].requests}; ${statuses(s.byOp[op].statuses)}; ${f(s.byOp[op].p50Ms)} / ${f(s.byOp[op].p95Ms)}`)),
    row('errors by status (4xx, 5xx, no reply)', errors),
    row('**5xx** (client / server count)', (s) => `**${fiveXx(s)}** / **${s.server5xx}**`),
    row('RSS MB start → end (max)', (s) => `${f(s.rss.startMb)} → ${f(s.rss.endMb)} (${f(s.rss.maxMb)})`),
    row('**RSS slope MB/hour** (all samples; second half)', (s) => `**${sign(s.rss.slopeMbPerHour)}**; ${sign(s.rss.slopeSecondHalfMbPerHour)}`),
    row('V8 heap used MB start → end (slope MB/hour)', (s) => `${f(s.heap.startMb)} → ${f(s.heap.endMb)} (${sign(s.heap.slopeMbPerHour)})`),
    row('open fds min / max / end', (s) => `${s.fds.min} / ${s.fds.max} / ${s.fds.end}`),
    row('event-loop lag p99 ms: median / max over the sample intervals; largest lag', (s) => `${f(s.lag.p99MedianMs, 1)} / ${f(s.lag.p99MaxMs, 1)}; ${f(s.lag.maxMs, 1)}`),
    row('load average (1 min): start / mean / max', (s) => `${f(s.load1.start, 2)} / ${f(s.load1.mean, 2)} / ${f(s.load1.max, 2)}`),
  ].join('\n');
}
