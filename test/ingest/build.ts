/**
 * The compiled CLI and conversion worker (dist/), which the tests that spawn `docqa` or run real worker threads
 * need. scripts/test-all builds first; a targeted `npx vitest run test/ingest` builds here when dist/ is missing
 * or older than src/. Test files run in parallel processes, so the build is guarded by a lock folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/config.js';

export const DIST_CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
export const DIST_WORKER = path.join(PACKAGE_ROOT, 'dist', 'ingest', 'conversion-worker.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!fs.existsSync(DIST_CLI) || !fs.existsSync(DIST_WORKER)) return false;
  const built = Math.min(fs.statSync(DIST_CLI).mtimeMs, fs.statSync(DIST_WORKER).mtimeMs);
  return built >= newestSource(path.join(PACKAGE_ROOT, 'src'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ensureBuilt(): Promise<void> {
  const lock = path.join(PACKAGE_ROOT, 'dist', '.test-build-lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    if (upToDate()) return;
    try {
      fs.mkdirSync(lock);
    } catch {
      // another test process is building; a lock older than 5 minutes is stale
      if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 300_000) fs.rmSync(lock, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    try {
      if (upToDate()) return;
      try {
        execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
          cwd: PACKAGE_ROOT,
          stdio: 'pipe',
        });
      } catch (err) {
        // tsc emits even with type errors elsewhere in the tree; only missing outputs are fatal
        if (!fs.existsSync(DIST_CLI) || !fs.existsSync(DIST_WORKER)) throw err;
      }
      const now = new Date();
      fs.utimesSync(DIST_CLI, now, now);
      fs.utimesSync(DIST_WORKER, now, now);
      return;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}
