/** The compiled CLI and conversion worker; test/global-setup.ts builds dist/ once before every test run. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/config.js';

export const DIST_CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
export const DIST_WORKER = path.join(PACKAGE_ROOT, 'dist', 'ingest', 'conversion-worker.js');

/**
 * Starts `docqa serve --port 0` from dist/ and resolves with the server process and its URL once it listens;
 * `output()` is what it has written so far (stdout and stderr, where its logs go).
 */
export async function startServer(env: NodeJS.ProcessEnv): Promise<{ server: ChildProcess; url: string; output(): string }> {
  const server = spawn(process.execPath, [DIST_CLI, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out); // also matches the log line, where a quote ends it
      if (m) resolve(m[1]!);
    };
    server.stdout!.on('data', collect);
    server.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    server.once('exit', (code) => reject(new Error(`server exited early with ${code}: ${out}`)));
  });
  return { server, url, output: () => out };
}

/** Sends SIGTERM and resolves with the exit code. */
export function stopServer(server: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  return exited;
}

/** The compiled reader worker (ReaderPool's default script is the one next to the compiled pool). */
export const DIST_READER_WORKER = path.join(PACKAGE_ROOT, 'dist', 'reader', 'reader-worker.js');
