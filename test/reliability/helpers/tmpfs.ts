/**
 * Small real file systems for full-disk and read-only tests: a tmpfs of a few MiB mounted on a fresh folder
 * (needs root, as in the CI container). Where mounting is not permitted the tests that need it are skipped with a
 * warning, and fail in CI (CI=true).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Tmpfs {
  dir: string;
  readOnly(): void;
  readWrite(): void;
  /** Writes a file of zeros until the file system is full (ENOSPC); returns its path. */
  fill(): string;
  unmount(): void;
}

export function mountTmpfs(sizeMb: number): Tmpfs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  const remount = (mode: string) => execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' });
  return {
    dir,
    readOnly: () => remount('ro'),
    readWrite: () => remount('rw'),
    fill() {
      const file = path.join(dir, 'filler');
      const fd = fs.openSync(file, 'a');
      const block = Buffer.alloc(4096);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        fs.closeSync(fd);
      }
      return file;
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether this process may mount a tmpfs; in CI a refusal fails the run instead of skipping. */
export function canMountTmpfs(what: string): boolean {
  try {
    mountTmpfs(1).unmount();
    return true;
  } catch (err) {
    if (process.env.CI) throw new Error(`${what}: cannot mount a tmpfs (needs root): ${(err as Error).message}`);
    console.warn(`${what} skipped: cannot mount a tmpfs here (needs root)`);
    return false;
  }
}

/** Deterministic text that indexes big (many distinct words): `count` files of about `kb` KiB. */
export function wordyTexts(count: number, kb: number, seed = 1): string[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, (_, f) => {
    const words: string[] = [];
    let size = 0;
    while (size < kb * 1024) {
      const w = `w${f}x${Math.floor(next() * 1e9).toString(36)}`;
      words.push(w);
      size += w.length + 1;
      if (words.length % 12 === 0) words.push('.\n');
    }
    return `File ${f} says the pump station number ${f} was inspected.\n` + words.join(' ');
  });
}
