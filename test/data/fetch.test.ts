/**
 * `docqa data fetch squad` for real, without the internet: downloads from an HTTP server on 127.0.0.1 serving small
 * fake SQuAD files (their sha256 passed in a test catalog), a checksum mismatch, an unreachable server (the offline
 * message), and local copies with --from. The real SQuAD files are never needed.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dataCommand } from '../../src/cli/commands/data.js';
import { EXIT, exitCodeOf } from '../../src/cli/exit.js';
import { throwOnUsageErrors } from '../../src/cli/usage.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import { failureOf, fetchSquad, requireSquadFile } from '../../src/data/fetch.js';
import { selectArticles, sha256Hex, type SquadCatalog } from '../../src/data/squad.js';

const excerpt = fs.readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'squad', 'squad-v1.1-dev-b-excerpt.json'), 'utf8');
/** A fake "official dev set": four whole articles. */
const DEV = selectArticles(excerpt, 'excerpt', ['Southern_California', 'Normans', 'Kenya', 'Huguenot'], 'python');
/** A fake "official v2.0 dev set", in the 2.0 files' layout (version first, indented). */
const DEV2 = `${JSON.stringify({ version: 'v2.0', data: (JSON.parse(selectArticles(excerpt, 'excerpt', ['Sky_(United_Kingdom)', 'Private_school'], 'python')) as { data: unknown[] }).data }, null, 2)}\n`;
const SPLIT_A = selectArticles(DEV, 'dev', ['Normans', 'Kenya'], 'python');

const catalog: SquadCatalog = {
  official: [
    { name: 'dev-v1.1.json', sha256: sha256Hex(DEV), bytes: Buffer.byteLength(DEV), what: 'fake dev' },
    { name: 'dev-v2.0.json', sha256: sha256Hex(DEV2), bytes: Buffer.byteLength(DEV2), what: 'fake v2 dev' },
  ],
  splits: [
    { name: 'split-a.json', source: 'dev-v1.1.json', titles: ['Normans', 'Kenya'], format: 'python', sha256: sha256Hex(SPLIT_A), checked: true, what: 'two articles' },
    // recorded with another sha256 than derivation gives: reported, both hashes kept
    { name: 'split-v2.json', source: 'dev-v2.0.json', titles: ['Private_school'], format: 'indent2', sha256: 'ab'.repeat(32), checked: false, what: 'one article' },
  ],
};

let server: http.Server;
let baseUrl: string;
let served: Record<string, string>;
let requests: string[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = served[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dataset/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-data-'));
  served = { '/dataset/dev-v1.1.json': DEV, '/dataset/dev-v2.0.json': DEV2 };
  requests = [];
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const squadFiles = () => fs.readdirSync(path.join(dir, 'squad')).sort();

/** Runs `docqa data <args>` in-process; returns stdout and the thrown error, if any. */
async function docqaData(args: string[], hooks: { catalog?: SquadCatalog } = {}): Promise<{ out: string; error: unknown }> {
  let out = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await throwOnUsageErrors(dataCommand(hooks)).parseAsync(args, { from: 'user' });
    return { out, error: null };
  } catch (error) {
    return { out, error };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('fetchSquad over HTTP (a server on 127.0.0.1)', () => {
  it('downloads the official files, checks their sha256, derives the splits and writes SHA256SUMS', async () => {
    const lines: string[] = [];
    const outcomes = await fetchSquad({ dataDir: dir, baseUrl, catalog, log: (l) => lines.push(l) });
    expect(outcomes.map((o) => [o.name, o.status])).toEqual([
      ['dev-v1.1.json', 'downloaded'],
      ['dev-v2.0.json', 'downloaded'],
      ['split-a.json', 'derived'],
      ['split-v2.json', 'derived'],
    ]);
    expect(failureOf(outcomes)).toBeNull();
    expect(fs.readFileSync(path.join(dir, 'squad', 'dev-v1.1.json'), 'utf8')).toBe(DEV);
    expect(fs.readFileSync(path.join(dir, 'squad', 'split-a.json'), 'utf8')).toBe(SPLIT_A);
    expect(outcomes[2]).toMatchObject({ sha256: sha256Hex(SPLIT_A), detail: 'derived from dev-v1.1.json (sha256 as recorded)' });
    expect(outcomes[2]!.differs).toBeUndefined();
    // the split whose recorded sha256 differs: derived, both hashes reported
    const v2 = JSON.parse(fs.readFileSync(path.join(dir, 'squad', 'split-v2.json'), 'utf8')) as { version: string; data: { title: string }[] };
    expect(Object.keys(v2)).toEqual(['version', 'data']);
    expect(v2.data.map((a) => a.title)).toEqual(['Private_school']);
    expect(outcomes[3]).toMatchObject({ differs: true });
    expect(outcomes[3]!.detail).toContain(`its sha256 ${outcomes[3]!.sha256} differs from the recorded ${'ab'.repeat(32)}`);
    expect(fs.readFileSync(path.join(dir, 'squad', 'SHA256SUMS'), 'utf8')).toBe(outcomes.map((o) => `${o.sha256}  ${o.name}\n`).join(''));
    expect(squadFiles()).toEqual(['SHA256SUMS', 'dev-v1.1.json', 'dev-v2.0.json', 'split-a.json', 'split-v2.json']);
    expect(lines).toEqual([
      expect.stringMatching(/^dev-v1\.1\.json: downloading http:\/\/127\.0\.0\.1:\d+\/dataset\/dev-v1\.1\.json \(\d\.\d MB\)$/u),
      expect.stringMatching(/^dev-v2\.0\.json: downloading http:\/\/127\.0\.0\.1:\d+\/dataset\/dev-v2\.0\.json \(\d\.\d MB\)$/u),
    ]);

    // a second run downloads nothing: the files with the right sha256 stay
    requests = [];
    const again = await fetchSquad({ dataDir: dir, baseUrl, catalog });
    expect(again.map((o) => o.status)).toEqual(['present', 'present', 'present', 'derived']);
    expect(requests).toEqual([]);
    // --force fetches again
    await fetchSquad({ dataDir: dir, baseUrl, catalog, force: true });
    expect(requests).toEqual(['/dataset/dev-v1.1.json', '/dataset/dev-v2.0.json']);
  });

  it('a sha256 mismatch is a clear error and leaves no file, partial or whole', async () => {
    served['/dataset/dev-v1.1.json'] = DEV.replace('Normans', 'Vikings');
    const outcomes = await fetchSquad({ dataDir: dir, baseUrl, catalog });
    expect(outcomes.map((o) => [o.name, o.status])).toEqual([
      ['dev-v1.1.json', 'failed'],
      ['dev-v2.0.json', 'downloaded'],
      ['split-a.json', 'missing'],
      ['split-v2.json', 'derived'],
    ]);
    expect(outcomes[0]!.detail).toMatch(/dev-v1\.1\.json served a different file: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; nothing was written/u);
    expect(outcomes[2]!.detail).toBe('needs dev-v1.1.json');
    const error = failureOf(outcomes)!;
    expect(exitCodeOf(error)).toBe(EXIT.unavailable);
    expect(error.message).toMatch(/^a SQuAD file failed:\n {2}dev-v1\.1\.json: http:\/\/127\.0\.0\.1:\d+\/dataset\/dev-v1\.1\.json served a different file/u);
    // nothing of dev-v1.1.json: no file, no temporary file
    expect(squadFiles()).toEqual(['SHA256SUMS', 'dev-v2.0.json', 'split-v2.json']);
  });

  it('an HTTP error names the status', async () => {
    delete served['/dataset/dev-v2.0.json'];
    const outcomes = await fetchSquad({ dataDir: dir, baseUrl, catalog });
    expect(outcomes[1]).toMatchObject({ name: 'dev-v2.0.json', status: 'failed' });
    expect(outcomes[1]!.detail).toBe(`${baseUrl}dev-v2.0.json: HTTP 404 Not Found`);
    expect(failureOf(outcomes)!.message).toMatch(/^could not download a SQuAD file \(no network\?\)/u);
  });
});

describe('docqa data fetch squad (CLI, in-process)', () => {
  it('without a network says the download failed and how to use local copies (exit 3), writing nothing', async () => {
    // a port nothing listens on
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const { out, error } = await docqaData(['fetch', 'squad', '--data-dir', dir, '--base-url', `http://127.0.0.1:${port}/`]);
    expect(exitCodeOf(error)).toBe(EXIT.unavailable);
    const message = (error as Error).message;
    expect(message).toMatch(/^could not download 3 SQuAD files \(no network\?\):\n/u);
    expect(message).toContain(`  dev-v1.1.json: http://127.0.0.1:${port}/dev-v1.1.json: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(message).toContain('Nothing partial was written.');
    expect(message).toContain('`docqa data fetch squad --from <folder or file>`');
    expect(message).toContain('squad-v1.1-dev-b.json');
    expect(out).toMatch(/^ {2}squad-v1\.1-dev-b\.json +missing +needs dev-v1\.1\.json$/mu);
    expect(out).toMatch(/^0 of 7 files in place\.$/mu);
    expect(squadFiles()).toEqual([]);
  });

  it('--from a folder copies what it knows (by name, or a renamed file by sha256) and derives the rest', async () => {
    const local = path.join(dir, 'downloads');
    fs.mkdirSync(local);
    fs.writeFileSync(path.join(local, 'squad-dev-1.1 (1).json'), DEV); // renamed: recognised by its content
    fs.writeFileSync(path.join(local, 'notes.json'), '{}'); // unknown: ignored
    const dataDir = path.join(dir, 'data');
    const { out, error } = await docqaData(['fetch', 'squad', '--from', local, '--data-dir', dataDir], { catalog });
    expect(error).toBeNull();
    expect(out).toContain(`  dev-v1.1.json  copied      copied from ${path.join(local, 'squad-dev-1.1 (1).json')}`);
    expect(out).toMatch(/^ {2}dev-v2\.0\.json +missing +not in /mu);
    expect(out).toMatch(/^ {2}split-a\.json +derived +derived from dev-v1\.1\.json \(sha256 as recorded\)$/mu);
    expect(out).toMatch(/^ {2}split-v2\.json +missing +needs dev-v2\.0\.json$/mu);
    expect(out).toMatch(/^2 of 4 files in place \(sha256 of each in SHA256SUMS\)\.$/mu);
    expect(fs.readdirSync(path.join(dataDir, 'squad')).sort()).toEqual(['SHA256SUMS', 'dev-v1.1.json', 'split-a.json']);
    expect(requireSquadFile('split-a.json', dataDir)).toBe(path.resolve(dataDir, 'squad', 'split-a.json'));
  });

  it('--from a file with a known name but other content fails (exit 2) and writes nothing', async () => {
    const wrong = path.join(dir, 'dev-v1.1.json');
    fs.writeFileSync(wrong, excerpt);
    const dataDir = path.join(dir, 'data');
    const { error } = await docqaData(['fetch', 'squad', '--from', wrong, '--data-dir', dataDir], { catalog });
    expect(exitCodeOf(error)).toBe(EXIT.badInput);
    expect((error as Error).message).toContain(`${wrong} is not the expected dev-v1.1.json: sha256 ${sha256Hex(excerpt)}, expected ${sha256Hex(DEV)}; nothing was written`);
    expect(fs.readdirSync(path.join(dataDir, 'squad'))).toEqual([]);
  });

  it('refuses --from without any known file, and unknown data sets', async () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    const none = await docqaData(['fetch', 'squad', '--from', empty, '--data-dir', dir]);
    expect(exitCodeOf(none.error)).toBe(EXIT.badInput);
    expect((none.error as Error).message).toMatch(/no SQuAD file docqa knows \(by name or sha256\): expected any of train-v1\.1\.json, dev-v1\.1\.json/u);
    const missing = await docqaData(['fetch', 'squad', '--from', path.join(dir, 'nope'), '--data-dir', dir]);
    expect((missing.error as Error).message).toMatch(/--from .*nope: no such file or folder/u);
    const unknown = await docqaData(['fetch', 'mnist', '--data-dir', dir]);
    expect((unknown.error as { code?: string }).code).toBe('commander.invalidArgument');
  });

  it('requireSquadFile says how to get a missing file', () => {
    expect(() => requireSquadFile('squad-v1.1-dev-b.json', dir)).toThrow(/squad-v1\.1-dev-b\.json not found: run `npx docqa data fetch squad` first/u);
  });
});
