import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../src/config.js';
import { requireBinaries, run } from '../helpers/binaries.js';

const DIR = path.join(PACKAGE_ROOT, 'deploy', 'prometheus');
const bins = requireBinaries('alert rules (promtool, amtool)', 'promtool', 'amtool');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface TestFile {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe.skipIf(!bins)('deploy/prometheus: alert rules checked and unit-tested by promtool', () => {
  it('promtool check rules and check config accept the files, amtool the Alertmanager config', () => {
    const rules = run(bins!.promtool, ['check', 'rules', 'alerts.yml'], DIR);
    expect(rules.output).toMatch(/SUCCESS: \d+ rules found/u);
    expect(rules.code).toBe(0);
    const config = run(bins!.promtool, ['check', 'config', 'prometheus.yml'], DIR);
    expect(config.code, config.output).toBe(0);
    const am = run(bins!.amtool, ['check-config', path.join(PACKAGE_ROOT, 'deploy', 'alertmanager', 'alertmanager.yml')], DIR);
    expect(am.code, am.output).toBe(0);
  });

  it('promtool test rules passes, and every alert is tested both firing and silent', () => {
    const result = run(bins!.promtool, ['test', 'rules', 'alerts.test.yml'], DIR);
    expect(result.output).toMatch(/SUCCESS/u);
    expect(result.code, result.output).toBe(0);
    const rules = parse(fs.readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as RuleFile;
    const tests = parse(fs.readFileSync(path.join(DIR, 'alerts.test.yml'), 'utf8')) as TestFile;
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts.length).toBeGreaterThanOrEqual(12);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${alert} stays silent in a test`).toBe(true);
    }
  });

  it('a broken rule fails promtool (the check is real)', () => {
    const tmp = fs.mkdtempSync(path.join(PACKAGE_ROOT, 'node_modules', '.docqa-promtool-'));
    try {
      fs.writeFileSync(path.join(tmp, 'bad.yml'), 'groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: rate(docqa_questions_total[5m] > 1\n');
      const result = run(bins!.promtool, ['check', 'rules', 'bad.yml'], tmp);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/parse error/u);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('the compose monitoring profile mounts deploy files that exist, and Grafana gets the dashboard the tests query', () => {
    const compose = parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { profiles?: string[]; volumes?: string[] }> };
    const monitoring = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('monitoring'));
    expect(monitoring.map(([name]) => name).sort()).toEqual(['alertmanager', 'grafana', 'prometheus']);
    const mounts = monitoring.flatMap(([, s]) => (s.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => v.split(':')[0]!));
    expect(mounts).toContain('./deploy/grafana/docqa.json');
    for (const m of mounts) expect(fs.existsSync(path.join(PACKAGE_ROOT, m)), m).toBe(true);
  });
});
