/**
 * A real Prometheus and a real Alertmanager (the Debian binaries, installed by scripts/system-deps) around a real
 * `docqa serve`: Prometheus runs deploy/prometheus/prometheus.yml and alerts.yml with the targets, ports and
 * intervals templated (scrape and evaluation every second, every `for` shortened to 0s), Alertmanager runs
 * deploy/alertmanager/alertmanager.yml with its webhook pointed at an HTTP server of this test. After some asks the
 * test reads Prometheus's HTTP API (series, rules, alerts), waits for a drift alert to reach the webhook, and runs
 * every PromQL query of the Grafana dashboard (deploy/grafana/docqa.json) against it.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { MonitorService } from '../../src/monitor/service.js';
import { requireBinaries } from '../helpers/binaries.js';
import { startServer, stopServer } from '../helpers/dist.js';
import { CORPUS, TINY_ROBERTA } from '../helpers/services.js';

const bins = requireBinaries('Prometheus integration test', 'prometheus', 'prometheus-alertmanager');
const DEPLOY = path.join(PACKAGE_ROOT, 'deploy');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function startProcess(file: string, args: string[], logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  return spawn(file, args, { stdio: ['ignore', out, out] });
}

async function stopProcess(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  await exited;
}

interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
}
type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };

describe.skipIf(!bins)('a real Prometheus and Alertmanager scraping a real docqa', () => {
  let dir: string;
  let docqa: ChildProcess | undefined;
  let prometheus: ChildProcess | undefined;
  let alertmanager: ChildProcess | undefined;
  let webhook: http.Server;
  let promUrl: string;
  let docqaUrl: string;
  const received: { status: string; alerts: { status: string; labels: Record<string, string> }[] }[] = [];

  const query = async (q: string): Promise<PromResponse<Vector>> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    return (await res.json()) as PromResponse<Vector>;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-prometheus-'));
    const data = path.join(dir, 'data');
    // the baseline: short questions, as an operator would mark a calm hour (the server reads it at scrape time)
    const seed = new MonitorService(data, { windowSize: 50, minValues: 5, retain: 1000 });
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < 20; i++) {
      seed.record({ kind: 'ask', t: hourAgo + i * 1000, questionChars: 20 + (i % 6), retrieverTopScore: 10, confidence: 0.5, noAnswer: false });
    }
    const marked = await seed.markWindow(new Date(hourAgo - 60_000), new Date(hourAgo + 60_000), ['question_chars']);
    expect(marked.marked).toEqual(['question_chars']);

    webhook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(webhook.address() as net.AddressInfo).port}/alerts`;

    ({ server: docqa, url: docqaUrl } = await startServer({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOCQA_DATA_DIR: data,
      DOCQA_MODEL_DIR: TINY_ROBERTA,
      DOCQA_LOG_LEVEL: 'warn',
      DOCQA_MONITOR_MIN_VALUES: '5',
      DOCQA_MONITOR_WINDOW: '50',
    }));

    const [amPort, promPort] = [await freePort(), await freePort()];
    const amConfig = fs
      .readFileSync(path.join(DEPLOY, 'alertmanager', 'alertmanager.yml'), 'utf8')
      .replace('http://alert-receiver:5001/alerts', webhookUrl)
      .replace(/group_wait: \S+/u, 'group_wait: 1s')
      .replace(/group_interval: \S+/u, 'group_interval: 1s');
    expect(amConfig).toContain(webhookUrl);
    fs.mkdirSync(path.join(dir, 'am'));
    fs.writeFileSync(path.join(dir, 'am', 'alertmanager.yml'), amConfig);
    alertmanager = startProcess(
      bins!['prometheus-alertmanager']!,
      [`--config.file=${path.join(dir, 'am', 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address='],
      path.join(dir, 'alertmanager.log'),
    );

    const target = new URL(docqaUrl).host;
    const promConfig = fs
      .readFileSync(path.join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')
      .replace("'docqa:8080'", `'${target}'`)
      .replace("'alertmanager:9093'", `'127.0.0.1:${amPort}'`)
      .replace("'localhost:9090'", `'127.0.0.1:${promPort}'`)
      .replace(/scrape_interval: \S+/u, 'scrape_interval: 1s')
      .replace(/evaluation_interval: \S+/u, 'evaluation_interval: 1s');
    expect(promConfig).toContain(target);
    fs.mkdirSync(path.join(dir, 'prom'));
    fs.writeFileSync(path.join(dir, 'prom', 'prometheus.yml'), promConfig);
    const rules = fs.readFileSync(path.join(DEPLOY, 'prometheus', 'alerts.yml'), 'utf8').replace(/^(\s+)for: \S+$/gmu, '$1for: 0s');
    fs.writeFileSync(path.join(dir, 'prom', 'alerts.yml'), rules);
    prometheus = startProcess(
      bins!.prometheus!,
      [`--config.file=${path.join(dir, 'prom', 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'prom', 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      path.join(dir, 'prometheus.log'),
    );
    promUrl = `http://127.0.0.1:${promPort}`;
    await until('Alertmanager ready', async () => (await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok);
    await until('Prometheus ready', async () => (await fetch(`${promUrl}/-/ready`)).ok);

    // traffic: a document, then questions much longer than the baseline's
    const text = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8');
    const up = await fetch(`${docqaUrl}/v1/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tesla.txt', text }) });
    expect(up.status).toBe(201);
    for (let i = 0; i < 8; i++) {
      const question = `In which year, according to the biography, did Nikola Tesla move to the United States to work (${i})?`;
      const res = await fetch(`${docqaUrl}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
      expect(res.status).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await stopProcess(prometheus);
    await stopProcess(alertmanager);
    if (docqa) await stopServer(docqa);
    await new Promise((r) => webhook?.close(r));
    if (process.env.DOCQA_KEEP_PROMETHEUS_TEST) console.warn(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes docqa: the series are in Prometheus and the drift gauge shows the long questions', async () => {
    const asked = await until('8 questions scraped', async () => {
      const r = await query('docqa_questions_total');
      return r.data.result.length === 1 && r.data.result[0]!.value[1] === '8' ? r : null;
    });
    expect(asked.data.result[0]!.metric).toMatchObject({ job: 'docqa' });
    expect((await query('up{job="docqa"}')).data.result[0]!.value[1]).toBe('1');
    expect((await query('docqa_ready')).data.result[0]!.value[1]).toBe('1');
    expect((await query('docqa_ingest_documents_total{status="created"}')).data.result[0]!.value[1]).toBe('1');
    const psi = await until('the drift gauge', async () => (await query('docqa_drift_psi{feature="question_chars"}')).data.result[0]);
    expect(Number(psi.value[1])).toBeGreaterThan(0.2);
    const stages = await query('count by (stage) (docqa_ask_stage_duration_seconds_count)');
    expect(stages.data.result.map((r) => r.metric.stage).sort()).toEqual(['read', 'retrieve', 'total']);
  });

  it('evaluates every rule of alerts.yml without error', async () => {
    type Rules = { groups: { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] };
    const groups = await until('every rule evaluated', async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as PromResponse<Rules>;
      const all = r.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((rule) => rule.health !== 'unknown' && !rule.lastEvaluation.startsWith('0001')) ? r.data.groups : null;
    });
    expect(groups.map((g) => g.name).sort()).toEqual(['docqa-ingest', 'docqa-model', 'docqa-recording', 'docqa-service']);
    for (const rule of groups.flatMap((g) => g.rules)) expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({ rule: rule.name, health: 'ok', error: '' });
  });

  it('fires the drift alert end to end: Prometheus -> Alertmanager -> the webhook', async () => {
    const alerts = await until('DocqaDriftCritical firing in Prometheus', async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as PromResponse<{ alerts: { labels: Record<string, string>; state: string }[] }>;
      return r.data.alerts.find((a) => a.labels.alertname === 'DocqaDriftCritical' && a.state === 'firing');
    });
    expect(alerts.labels).toMatchObject({ feature: 'question_chars', severity: 'critical', job: 'docqa' });
    const delivered = await until('the webhook receiving DocqaDriftCritical', async () =>
      received.flatMap((m) => m.alerts).find((a) => a.labels.alertname === 'DocqaDriftCritical' && a.status === 'firing'),
    );
    expect(delivered.labels).toMatchObject({ feature: 'question_chars', severity: 'critical' });
    // calm features did not fire
    expect(received.flatMap((m) => m.alerts).filter((a) => a.labels.alertname === 'DocqaDown')).toEqual([]);
  });

  it('runs every PromQL query of the Grafana dashboard without error', async () => {
    type Panel = { type: string; title: string; targets?: { expr: string }[] };
    const dashboard = JSON.parse(fs.readFileSync(path.join(DEPLOY, 'grafana', 'docqa.json'), 'utf8')) as { panels: Panel[]; templating: { list: { query: { query: string } }[] } };
    const grafanaVariables = (expr: string) =>
      expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m').replaceAll('$__interval', '15s').replaceAll('$instance', '.*');
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(15);
    const withData: string[] = [];
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets!) {
        const r = await query(grafanaVariables(expr));
        expect({ panel: panel.title, expr, status: r.status, error: r.error }).toEqual({ panel: panel.title, expr, status: 'success', error: undefined });
        if (r.data.result.length > 0) withData.push(panel.title);
      }
    }
    // the panels fed by this traffic show data
    for (const title of ['Request rate by route', 'Ask latency p50 / p95 per stage', 'No-answer rate', 'Drift: PSI per feature', 'Memory (resident)', 'Store size']) {
      expect(withData, title).toContain(title);
    }
    // the instance variable's query parses too (label_values is Grafana's; its series selector is PromQL)
    const variable = /label_values\((.*), instance\)/u.exec(dashboard.templating.list[0]!.query.query)![1]!;
    expect((await query(variable)).status).toBe('success');
  });

  // Not a test: with DOCQA_MONITORING_SCREENSHOTS=<dir>, pictures of these monitoring views for docs/monitoring.md
  // (headless Chromium), taken once the drift alert fired.
  it.runIf(Boolean(process.env.DOCQA_MONITORING_SCREENSHOTS))('takes screenshots of the monitoring views', async () => {
    const out = path.resolve(process.env.DOCQA_MONITORING_SCREENSHOTS!);
    const chromium = requireBinaries('monitoring screenshots', 'chromium')!.chromium!;
    fs.mkdirSync(out, { recursive: true });
    const views: [string, string][] = [
      // the Debian package ships Prometheus's classic UI (no React UI) and no Alertmanager UI
      ['prometheus-alerts.png', `${promUrl}/classic/alerts`],
      ['prometheus-drift.png', `${promUrl}/classic/graph?g0.expr=${encodeURIComponent('docqa_drift_psi')}&g0.tab=0&g0.range_input=5m`],
    ];
    for (const [file, url] of views) {
      await new Promise<void>((resolve, reject) => {
        const p = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1400,900', '--virtual-time-budget=8000', `--screenshot=${path.join(out, file)}`, url], { stdio: 'ignore' });
        p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chromium exited with ${code} for ${url}`))));
      });
      expect(fs.statSync(path.join(out, file)).size).toBeGreaterThan(10_000);
    }
  });
});
