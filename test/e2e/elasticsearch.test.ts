/**
 * `DOCQA_STORE=elasticsearch` end to end: the compiled CLI ingests the sample corpus into a real Elasticsearch
 * (a fresh index prefix), `docqa serve` answers over a real socket with answers traced to document characters,
 * takes an upload, and a server that is not there stops docqa at start with an error naming its URL.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticsearchStore } from '../../src/store/elasticsearch/store.js';
import { DIST_CLI, startServer, stopServer } from '../helpers/dist.js';
import { ES_URL, elasticsearchAvailable, testIndexPrefix } from '../helpers/elasticsearch.js';
import { CORPUS, TINY_BERT } from '../helpers/services.js';

const run = promisify(execFile);
const available = await elasticsearchAvailable('docqa serve on Elasticsearch');

interface AnswerJson {
  text: string;
  charStart: number;
  charEnd: number;
  passageId: string;
  document: { id: string; name: string };
}
interface PassageJson {
  id: string;
  text: string;
  charStart: number;
}

describe.skipIf(!available)('docqa on Elasticsearch, end to end', () => {
  const index = testIndexPrefix();
  const env = {
    ...process.env,
    DOCQA_STORE: 'elasticsearch',
    DOCQA_ES_URL: ES_URL,
    DOCQA_ES_INDEX: index,
    DOCQA_MODEL_DIR: TINY_BERT,
    DOCQA_LOG_LEVEL: 'warn',
  };
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    await run(process.execPath, [DIST_CLI, 'ingest', CORPUS, '--json', '--no-progress'], { env });
  });
  afterAll(async () => {
    if (server) await stopServer(server);
    const store = new ElasticsearchStore({ url: ES_URL, index });
    await store.drop().catch(() => undefined);
    await store.close();
  });

  it('ingests the corpus again as a no-op (same content, same ids)', async () => {
    const { stdout } = await run(process.execPath, [DIST_CLI, 'ingest', CORPUS, '--json', '--no-progress'], { env });
    const { files } = JSON.parse(stdout).summary;
    expect(files.total).toBe(fs.readdirSync(CORPUS).filter((f) => f !== 'SOURCES').length);
    expect(files.unchanged).toBe(files.total);
    expect(files.skippedByHash).toBe(files.total);
    expect(files.created + files.replaced + files.failed).toBe(0);
  });

  it('serves answers traced to the stored passages, takes an upload and answers from it', async () => {
    const started = await startServer(env);
    server = started.server;
    const url = started.url;

    const ready = (await (await fetch(`${url}/readyz`)).json()) as { checks: { store: unknown } };
    expect(ready.checks.store).toEqual({ ok: true, kind: 'elasticsearch' });

    const ask = async (question: string, filters?: object) => {
      const res = await fetch(`${url}/v1/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question, topK: 3, filters }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { answers: AnswerJson[]; retrieved: number };
    };

    const body = await ask('Where does the Rhine flow into the sea?');
    expect(body.retrieved).toBeGreaterThan(0);
    expect(body.answers.length).toBeGreaterThan(0);
    for (const a of body.answers) {
      const doc = (await (await fetch(`${url}/v1/documents/${a.document.id}?passages=true`)).json()) as { passages: PassageJson[] };
      const passage = doc.passages.find((p) => p.id === a.passageId)!;
      expect(passage.text.slice(a.charStart - passage.charStart, a.charEnd - passage.charStart)).toBe(a.text);
      if (/\.(md|txt)$/.test(a.document.name)) {
        expect(fs.readFileSync(path.join(CORPUS, a.document.name), 'utf8').slice(a.charStart, a.charEnd)).toBe(a.text);
      }
    }

    const text = 'The lighthouse of Vrondeel was built in 1871 by the engineer Maren Ostrava on the northern cape.';
    const upload = await fetch(`${url}/v1/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vrondeel.txt', text }),
    });
    expect(upload.status).toBe(201);
    const filtered = await ask('Who built the lighthouse of Vrondeel?', { names: ['vrondeel.txt'] });
    expect(filtered.answers.length).toBeGreaterThan(0);
    for (const a of filtered.answers) {
      expect(a.document.name).toBe('vrondeel.txt');
      expect(text.slice(a.charStart, a.charEnd)).toBe(a.text);
    }

    expect(await stopServer(server)).toBe(0);
    server = undefined;
  });

  it('stops at start with an error naming the URL when Elasticsearch is not there', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const err = await run(process.execPath, [DIST_CLI, 'serve', '--port', '0'], {
      env: { ...env, DOCQA_ES_URL: `http://127.0.0.1:${port}` },
    }).catch((e) => e);
    expect(err.code).toBe(3);
    expect(err.stderr).toContain(`127.0.0.1:${port}`);
  });
});
