/**
 * A real `docqa serve` (dist/, the bundled model) for the HTTP benches (bench/load, bench/soak), and what they read
 * of it from outside: RSS and open file descriptors from /proc, figures from its own /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/bench-build/bench/lib/server.js). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);

const LOG_KEPT = 200;

export interface Server {
  proc: ChildProcess;
  url: string;
  /**
   * What the server wrote to stdout and stderr after it started listening (warnings and errors at
   * DOCQA_LOG_LEVEL=warn): the first LOG_KEPT lines, and how many there were.
   */
  log: { lines: string[]; count: number };
}

/**
 * Starts `docqa serve --port 0` on loopback over `dataDir` with `env` (rate limit off, log level warn unless `env`
 * says otherwise) and resolves once it listens. `cli`: another build's dist/cli/main.js (a before/after).
 */
export async function startServer(dataDir: string, env: Record<string, string>, cli: string = CLI): Promise<Server> {
  const proc = spawn(process.execPath, [cli, 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH, DOCQA_DATA_DIR: dataDir, DOCQA_LOG_LEVEL: 'warn', DOCQA_RATE_LIMIT_PER_MINUTE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = { lines: [] as string[], count: 0 };
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let listening = false;
    const onData = (c: Buffer) => {
      if (listening) {
        for (const line of c.toString().split('\n').filter(Boolean)) {
          log.count++;
          if (log.lines.length < LOG_KEPT) log.lines.push(line);
        }
        return;
      }
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        listening = true;
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`docqa serve exited (${code}): ${out}`)));
  });
  return { proc, url, log };
}

/** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
export async function stopServer(s: Server, graceMs = 30_000): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  const timer = setTimeout(() => s.proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process (MB), its threads included; NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process (entries of /proc/PID/fd); NaN once it is gone. */
export function openFds(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** The server's /metrics text. */
export async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return text;
}

/** The value of an unlabelled series in a /metrics text (NaN when absent). */
export function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Sums of a labelled counter's series grouped by one label, e.g. docqa_http_requests_total by status. */
export function metricBy(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)`, 'gm'))) {
    const value = new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(m[1]!)?.[1] ?? '';
    out[value] = (out[value] ?? 0) + Number(m[2]);
  }
  return out;
}

/** The server's event-loop lag p99 (ms) since its previous scrape (prom-client resets the histogram on each scrape). */
export async function loopLagP99Ms(url: string): Promise<number> {
  return metric(await scrape(url), 'docqa_nodejs_eventloop_lag_p99_seconds') * 1000;
}

export const pct = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
export const fmt = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '-');
export const loadAvg = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
