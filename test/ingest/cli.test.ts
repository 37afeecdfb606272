/**
 * The real CLI (dist/cli/main.js) in child processes, on a real SQLite store: a mixed batch with bad files, the
 * JSON report, the documents command, and a batch killed with SIGKILL at random points and run again.
 */
import { seeded } from '../helpers/random.js';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptPdf, renderDocx, renderPdf, squadArticle } from '../fixtures/documents/render.js';
import { makeZip, readZipEntries } from '../fixtures/documents/zip.js';
import { DIST_CLI } from '../helpers/dist.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment without DOCQA_* settings of the machine running the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOCQA_')));
}

function docqa(args: string[], options: { killAfterLines?: number; killJitterMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DIST_CLI, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killing = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const lines = stdout.split('\n').filter((l) => /^\[\d+\/\d+\]/u.test(l)).length;
      if (options.killAfterLines !== undefined && !killing && lines >= options.killAfterLines) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), options.killJitterMs ?? 0);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The store's documents as (name, id, passages), and a check that every document is whole and indexed. */
function snapshot(dataDir: string): { name: string; id: string; passages: number }[] {
  const file = path.join(dataDir, 'docqa.sqlite');
  if (!fs.existsSync(file)) return [];
  const db = new Database(file);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.prepare("INSERT INTO passages_fts(passages_fts) VALUES('integrity-check')").run();
    const docs = db.prepare('SELECT id, name, passage_count FROM documents ORDER BY name').all() as { id: string; name: string; passage_count: number }[];
    for (const d of docs) {
      const seqs = (db.prepare('SELECT seq FROM passages WHERE doc_id = ? ORDER BY seq').all(d.id) as { seq: number }[]).map((r) => r.seq);
      expect(seqs, `${d.name} is whole`).toEqual(Array.from({ length: d.passage_count }, (_, i) => i));
    }
    const orphans = db.prepare('SELECT count(*) AS n FROM passages WHERE doc_id NOT IN (SELECT id FROM documents)').get() as { n: number };
    expect(orphans.n).toBe(0);
    return docs.map((d) => ({ name: d.name, id: d.id, passages: d.passage_count }));
  } finally {
    db.close();
  }
}


describe('docqa ingest and docqa documents (compiled CLI, child processes, SQLite)', () => {
  let dir: string;
  const good = ['steam/engine.pdf', 'steam/engine-two-column.pdf', 'steam/history.docx', 'notes/socal.md', 'notes/socal.txt', 'notes/page.html'];
  const bad: Record<string, string> = {
    'bad/broken.pdf': 'corrupt',
    'bad/locked.pdf': 'encrypted',
    'bad/scan.pdf': 'no_text_layer',
    'bad/bomb.docx': 'zip_bomb',
    'bad/not-a-zip.docx': 'corrupt',
    'bad/image.txt': 'binary',
    'bad/empty.md': 'empty',
    'bad/huge.txt': 'too_large',
  };
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-cli-'));
    const corpus = path.join(dir, 'corpus');
    const write = (name: string, data: string | Uint8Array) => {
      fs.mkdirSync(path.dirname(path.join(corpus, name)), { recursive: true });
      fs.writeFileSync(path.join(corpus, name), data);
    };
    const steam = squadArticle('Steam_engine');
    const socal = squadArticle('Southern_California');
    const enginePdf = await renderPdf(steam.paragraphs.slice(0, 15), { title: 'Steam engine', header: 'Steam engine', footer: (n, t) => `Page ${n} of ${t}`, hyphenate: true });
    write('steam/engine.pdf', enginePdf.bytes);
    write('steam/engine-two-column.pdf', (await renderPdf(steam.paragraphs.slice(15, 30), { columns: 2, order: 'row-by-row' })).bytes);
    const docx = await renderDocx({ title: 'Steam engine', sections: [{ heading: 'History', paragraphs: steam.paragraphs.slice(30) }] });
    write('steam/history.docx', docx);
    write('notes/socal.md', `# Southern California\n\n${socal.paragraphs.slice(0, 10).join('\n\n')}\n`);
    write('notes/socal.txt', Buffer.from(socal.paragraphs.slice(10, 20).join('\n\n'), 'utf16le'));
    write('notes/page.html', `<html><head><title>Southern California</title></head><body><h1>Southern California</h1>${socal.paragraphs.slice(20, 30).map((p) => `<p>${p.replace(/&/gu, '&amp;').replace(/</gu, '&lt;')}</p>`).join('')}</body></html>`);
    write('bad/broken.pdf', Buffer.from(enginePdf.bytes).subarray(0, 3000));
    write('bad/locked.pdf', await encryptPdf(enginePdf.bytes, 'secret'));
    write('bad/scan.pdf', (await renderPdf([], { textlessPages: [1, 2] })).bytes);
    write('bad/bomb.docx', makeZip([...readZipEntries(docx), { name: 'word/media/zeros.bin', data: Buffer.alloc(8 << 20), declaredSize: 100 }]));
    write('bad/not-a-zip.docx', 'PK but not really a zip');
    write('bad/image.txt', Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'));
    write('bad/empty.md', '');
    write('bad/huge.txt', 'word '.repeat(400_000)); // 2 MB, over --max-file-bytes 1000000
    write('README.rtf', 'unsupported');
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ingests a mixed folder: good files in, each bad file reported by name and reason, exit code 1', async () => {
    const data = path.join(dir, 'data-mixed');
    const metricsFile = path.join(dir, 'ingest.prom');
    const corpus = path.join(dir, 'corpus');
    const first = await docqa(['ingest', corpus, '--data-dir', data, '--max-file-bytes', '1000000', '--metrics-file', metricsFile]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(1);
    const total = good.length + Object.keys(bad).length;
    for (const name of good) expect(first.stdout).toMatch(new RegExp(`^\\[\\d+/${total}\\] created +${name}: `, 'mu'));
    for (const [name, kind] of Object.entries(bad)) {
      expect(first.stdout).toMatch(new RegExp(`^\\[\\d+/${total}\\] failed +\\[${kind}\\] ${name}: `, 'mu'));
      expect(first.stdout).toMatch(new RegExp(`^  ✗ \\[${kind}\\] ${name}: `, 'mu'));
    }
    expect(first.stdout).toMatch(/^ {2}created\s+6\s/mu);
    expect(first.stdout).toMatch(/^ {2}failed\s+8\s/mu);
    expect(first.stdout).toMatch(/1 file with unsupported extensions ignored/u);
    expect(first.stdout).toMatch(/^Data quality/mu);
    expect(first.stdout).toMatch(/pages\/s/u);
    const prom = fs.readFileSync(metricsFile, 'utf8');
    // only this run's ingest series, under the CLI's own prefix: no server or process series
    expect(prom).toMatch(/^docqa_cli_ingest_failures_total\{reason="encrypted"\} 1$/mu);
    expect(prom).toMatch(/^docqa_cli_ingest_failures_total\{reason="corrupt"\} 2$/mu);
    expect(prom).toMatch(/^docqa_cli_ingest_documents_total\{status="created"\} 6$/mu);
    expect(prom).toMatch(/^docqa_cli_ingest_pages_total [1-9]\d*$/mu);
    expect(prom).toMatch(/^docqa_cli_ingest_run_success 0$/mu);
    expect(prom).toMatch(/^docqa_cli_ingest_run_end_timestamp_seconds \d+(\.\d+)?$/mu);
    const names = new Set([...prom.matchAll(/^([a-z_]+)(?:\{|\s)/gmu)].map((m) => m[1]!));
    expect([...names].filter((n) => !n.startsWith('docqa_cli_ingest_'))).toEqual([]);

    // again, as JSON: nothing converted twice, the failures are still failures
    const again = await docqa(['ingest', corpus, '--data-dir', data, '--max-file-bytes', '1000000', '--json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^\[1\/14\] /u); // progress lines go to stderr with --json
    const report = JSON.parse(again.stdout) as { summary: { files: Record<string, number> }; files: { name: string; status: string; failure?: string; skipped?: boolean }[] };
    expect(report.summary.files).toMatchObject({ total: 14, unchanged: 6, skippedByHash: 6, failed: 8, created: 0, unsupported: 1 });
    expect(Object.fromEntries(report.files.filter((f) => f.status === 'failed').map((f) => [f.name, f.failure]))).toEqual(bad);

    // the documents command sees exactly the good files
    const list = await docqa(['documents', 'list', '--data-dir', data, '--json']);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { documents: { name: string; id: string; pageCount: number; meta: Record<string, string> }[]; total: number };
    expect(listed.documents.map((d) => d.name)).toEqual([...good].sort());
    expect(listed.documents.find((d) => d.name === 'notes/socal.txt')!.meta).toMatchObject({ format: 'text', encoding: 'utf-16le' });
    const table = await docqa(['documents', 'list', '--data-dir', data]);
    expect(table.stdout).toMatch(/^steam\/engine\.pdf\s+\S+\/steam\/engine\.pdf\s+[0-9a-f]{12}\s+pdf\s+\d+\s+\d+\s+\d+\s+\d{4}-/mu);
    expect(table.stdout).toMatch(/^6 of 6 documents \(\d+ passages\)$/mu);

    const show = await docqa(['documents', 'show', 'steam/engine.pdf', '--passages', '--json', '--data-dir', data]);
    const doc = JSON.parse(show.stdout) as { id: string; pageCount: number; passages: { page: number; text: string; charStart: number; charEnd: number }[] };
    expect(doc.pageCount).toBeGreaterThan(1);
    expect(new Set(doc.passages.map((p) => p.page)).size).toBe(doc.pageCount);
    const human = await docqa(['documents', 'show', doc.id, '--passages', '--data-dir', data]);
    expect(human.stdout).toMatch(/^name +steam\/engine\.pdf$/mu);
    expect(human.stdout).toMatch(/^\[0\] page 1, chars 0-\d+/mu);

    const del = await docqa(['documents', 'delete', 'steam/engine.pdf', 'no/such.pdf', '--data-dir', data]);
    expect(del.stdout).toMatch(/^deleted \S+\/steam\/engine\.pdf \(\d+ passages\)$/mu);
    expect(del.stderr).toBe('docqa: not found: no/such.pdf\n');
    expect(del.code).toBe(4);
    expect((await docqa(['documents', 'show', 'steam/engine.pdf', '--data-dir', data])).code).toBe(4);
  }, 180_000);

  it('converges to exactly the right documents after being killed (SIGKILL) at random points and run again', async () => {
    // a corpus of its own: many small documents, so that kills land between and during writes
    const corpus = path.join(dir, 'kill-corpus');
    const articles = ['Normans', 'Huguenot', 'Southern_California', 'Kenya', 'Scottish_Parliament', 'Doctor_Who'];
    for (const title of articles) {
      const a = squadArticle(title);
      fs.mkdirSync(path.join(corpus, title), { recursive: true });
      for (let i = 0; i * 6 < a.paragraphs.length; i++) {
        fs.writeFileSync(path.join(corpus, title, `part-${i}.txt`), a.paragraphs.slice(i * 6, i * 6 + 6).join('\n\n'));
      }
    }
    fs.writeFileSync(path.join(corpus, 'Normans', 'normans.pdf'), (await renderPdf(squadArticle('Normans').paragraphs, { footer: (n) => `${n}` })).bytes);
    fs.writeFileSync(path.join(corpus, 'Huguenot', 'huguenot.docx'), await renderDocx({ title: 'Huguenot', sections: [{ paragraphs: squadArticle('Huguenot').paragraphs }] }));
    const files = fs.readdirSync(corpus, { recursive: true }).filter((f) => /\.(txt|pdf|docx)$/u.test(String(f))).length;
    expect(files).toBeGreaterThan(40);

    const expectedDir = path.join(dir, 'data-expected');
    const clean = await docqa(['ingest', corpus, '--data-dir', expectedDir, '--concurrency', '2']);
    expect(clean.code).toBe(0);
    const expected = snapshot(expectedDir);
    expect(expected).toHaveLength(files);

    const killedDir = path.join(dir, 'data-killed');
    const random = seeded(20240607);
    const states: number[] = [];
    for (let round = 0; round < 5; round++) {
      // kill after a random number of finished files (counting this run's), plus up to 30 ms
      const run = await docqa(['ingest', corpus, '--data-dir', killedDir, '--concurrency', '2'], {
        killAfterLines: 1 + Math.floor(random() * 12),
        killJitterMs: Math.floor(random() * 30),
      });
      const state = snapshot(killedDir); // every document present is whole (checked inside)
      states.push(state.length);
      if (run.signal !== 'SIGKILL') break; // it finished before the kill
      // whatever is there is exactly right: a subset of the expected documents, never a wrong or partial one
      const byName = new Map(expected.map((d) => [d.name, d]));
      for (const d of state) expect(d).toEqual(byName.get(d.name));
    }
    expect(states.some((n) => n > 0 && n < files)).toBe(true); // some kill really interrupted the batch
    const final = await docqa(['ingest', corpus, '--data-dir', killedDir, '--concurrency', '2', '--json']);
    expect(final.code).toBe(0);
    const report = JSON.parse(final.stdout) as { summary: { files: { total: number; created: number; unchanged: number; failed: number } } };
    expect(report.summary.files.total).toBe(files);
    expect(report.summary.files.failed).toBe(0);
    expect(report.summary.files.created + report.summary.files.unchanged).toBe(files);
    expect(snapshot(killedDir)).toEqual(expected);
  }, 300_000);
});
