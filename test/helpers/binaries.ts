/**
 * System binaries some tests run for real (Prometheus, promtool, Alertmanager, amtool), installed by
 * scripts/system-deps. In CI (CI=true) a missing one fails the run; on a developer machine the tests that need it are
 * skipped with a warning naming it and how to install it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function findBinary(name: string): string | null {
  const candidates = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of candidates) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** The paths of `names`, or null (skip) when one is missing; throws in CI. */
export function requireBinaries(what: string, ...names: string[]): Record<string, string> | null {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const n of names) {
    const p = findBinary(n);
    if (p) found[n] = p;
    else missing.push(n);
  }
  if (missing.length === 0) return found;
  const message = `${what}: ${missing.join(', ')} not found (scripts/system-deps installs them: apt-get install prometheus prometheus-alertmanager)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`${message}; skipped`);
  return null;
}

/** Runs a binary and returns its stdout and stderr together, with the exit code. */
export function run(file: string, args: string[], cwd: string): { code: number; output: string } {
  try {
    const out = execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, output: out };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
