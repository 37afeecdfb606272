/**
 * The real thing: the compiled CLI as child processes — ingest the sample corpus, ask, and serve over a real
 * socket — with the embedded store and a real (tiny) ONNX model.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DIST_CLI, startServer, stopServer } from '../helpers/dist.js';
import { CORPUS, TINY_BERT } from '../helpers/services.js';

const run = promisify(execFile);
const CLI = DIST_CLI;

describe('docqa CLI and server, end to end', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-e2e-'));
  const env = { ...process.env, DOCQA_DATA_DIR: dataDir, DOCQA_MODEL_DIR: TINY_BERT, DOCQA_LOG_LEVEL: 'warn' };
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    await run(process.execPath, [CLI, 'ingest', CORPUS], { env });
  });
  afterAll(() => {
    server?.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks from the command line and traces the answer to document characters', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'ask', 'Where does the Rhine flow into the sea?', '--json', '-k', '2'], {
      env,
    });
    const result = JSON.parse(stdout);
    expect(result.answers.length).toBeGreaterThan(0);
    expect(result.answers.length).toBeLessThanOrEqual(2);
    const store = SqliteStore.inDataDir(dataDir);
    for (const a of result.answers) {
      // the answer lies at its document offsets inside the stored passage it came from
      const passage = (await store.getPassages(a.document.id)).find((p) => p.id === a.passageId)!;
      expect(passage.text.slice(a.charStart - passage.charStart, a.charEnd - passage.charStart)).toBe(a.text);
      // and for text sources the document text is the file itself
      if (/\.(md|txt)$/.test(a.document.name)) {
        const source = fs.readFileSync(path.join(CORPUS, a.document.name), 'utf8');
        expect(source.slice(a.charStart, a.charEnd)).toBe(a.text);
      }
    }
    await store.close();
    const human = await run(process.execPath, [CLI, 'ask', 'Where does the Rhine flow into the sea?'], { env });
    expect(human.stdout).toMatch(/^Q: Where does the Rhine flow into the sea\?/);
    expect(human.stdout).toMatch(/^1\. .+\(confidence [01]\.\d{2}\)$/m);
    expect(human.stdout).toMatch(/answers need confidence [01]\.\d{2}/);
    expect(human.stdout).toMatch(/«.+»/);
  });

  it('serves the same answers over a real socket, and shuts down on SIGTERM', async () => {
    const started = await startServer(env);
    server = started.server;
    const url = started.url;
    const health = await fetch(`${url}/readyz`);
    expect(health.status).toBe(200);
    const res = await fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'Where does the Rhine flow into the sea?', topK: 2 }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { answers: { text: string; charStart: number; charEnd: number; document: { name: string } }[] };
    const cli = JSON.parse(
      (await run(process.execPath, [CLI, 'ask', 'Where does the Rhine flow into the sea?', '--json', '-k', '2'], { env })).stdout,
    );
    expect(body.answers.map((a) => [a.text, a.charStart, a.document.name])).toEqual(
      cli.answers.map((a: typeof body.answers[number]) => [a.text, a.charStart, a.document.name]),
    );
    const bad = await fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(400);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/docqa_http_requests_total\{method="POST",route="\/v1\/ask",status="200"\} 1/);
    expect(metrics).toMatch(/docqa_store_documents \d+/);
    expect(await stopServer(server)).toBe(0);
    server = undefined;
  });

  it('fails fast on an invalid setting, naming it', async () => {
    const err = await run(process.execPath, [CLI, 'ask', 'q'], { env: { ...env, DOCQA_RETRIEVER_TOP_K: 'many' } }).catch((e) => e);
    expect(err.code).toBe(5);
    expect(err.stderr).toMatch(/DOCQA_RETRIEVER_TOP_K/);
    const missing = await run(process.execPath, [CLI, 'ask', 'q'], { env: { ...env, DOCQA_MODEL_DIR: path.join(dataDir, 'nope') } }).catch(
      (e) => e,
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope/);
  });
});

describe('docqa CLI exit codes for usage errors (compiled)', () => {
  it('exits 2 when a flag value is out of range (eval --threshold 2, --min-confidence 1.5), saying which flag', async () => {
    const dataset = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'eval', 'official', 'gold.json');
    for (const args of [
      ['eval', 'reader', dataset, '--threshold', '2'],
      ['eval', 'open', dataset, '--min-confidence', '1.5'],
    ]) {
      const err = await run(process.execPath, [CLI, ...args]).catch((e) => e);
      expect(err.code, args.join(' ')).toBe(EXIT.badInput);
      expect(err.stderr).toMatch(new RegExp(`${args[3]} must be a number from 0 to 1`));
    }
    const unknown = await run(process.execPath, [CLI, 'eval', 'reader', dataset, '--bogus']).catch((e) => e);
    expect(unknown.code).toBe(EXIT.badInput);
    const help = await run(process.execPath, [CLI, 'eval', 'reader', '--help']);
    expect(help.stdout).toMatch(/--threshold <p>/);
  });
});
