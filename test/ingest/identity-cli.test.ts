/**
 * Document identity and typed metadata through the compiled CLI (child processes, SQLite): the reported bug (two
 * README.md files from two folders, ingested by two commands, must be two documents), `documents list/show/delete`
 * by source and by an ambiguous name, and `--meta`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_CLI } from '../helpers/dist.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function docqa(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOCQA_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DIST_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('document identity by source (compiled CLI, SQLite)', () => {
  let dir: string;
  let data: string;
  let yaml: string;
  let glib: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-identity-'));
    data = path.join(dir, 'data');
    yaml = path.join(dir, 'doc', 'python3-yaml', 'README.md');
    glib = path.join(dir, 'doc', 'libglib2.0-0', 'README.md');
    for (const [file, text] of [
      [yaml, '# PyYAML\n\nPyYAML is a YAML parser and emitter for the Python language.'],
      [glib, '# GLib\n\nGLib is the low-level core library that forms the basis of GTK and GNOME.'],
    ] as const) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('two README.md from two folders, two commands: two documents, each under its own source', async () => {
    const first = await docqa(['ingest', yaml, '--data-dir', data, '--json', '--no-progress']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).files[0]).toMatchObject({ name: 'README.md', source: yaml, status: 'created' });
    const second = await docqa(['ingest', glib, '--data-dir', data, '--json', '--no-progress']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).files[0]).toMatchObject({ name: 'README.md', source: glib, status: 'created' });
    // the same source again with new content replaces that document only
    fs.writeFileSync(glib, '# GLib\n\nGLib provides the main loop, threads and data structures of GNOME.');
    const third = await docqa(['ingest', glib, '--data-dir', data, '--json', '--no-progress']);
    expect(JSON.parse(third.stdout).files[0]).toMatchObject({ source: glib, status: 'replaced' });

    const list = JSON.parse((await docqa(['documents', 'list', '--data-dir', data, '--json'])).stdout) as {
      documents: { name: string; source: string }[];
      total: number;
    };
    expect(list.total).toBe(2);
    expect(list.documents.map((d) => [d.name, d.source])).toEqual([
      ['README.md', glib],
      ['README.md', yaml],
    ]);
    const table = (await docqa(['documents', 'list', '--data-dir', data])).stdout;
    expect(table.split('\n')[0]).toMatch(/^name\s+source\s+id\s+format/u);
    expect(table).toContain(yaml);
    expect(table).toContain(glib);

    // a name two documents share is ambiguous: refused, naming both sources
    const ambiguous = await docqa(['documents', 'delete', 'README.md', '--data-dir', data]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("2 documents are named 'README.md'");
    expect(ambiguous.stderr).toContain(yaml);
    expect(ambiguous.stderr).toContain(glib);
    const shown = await docqa(['documents', 'show', yaml, '--data-dir', data]);
    expect(shown.stdout).toContain(`source    ${yaml}`);
    const deleted = await docqa(['documents', 'delete', yaml, '--data-dir', data]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`deleted ${yaml} (1 passages)\n`);
    // now the name is unambiguous
    const byName = await docqa(['documents', 'show', 'README.md', '--data-dir', data, '--json']);
    expect(JSON.parse(byName.stdout)).toMatchObject({ source: glib });
  }, 120_000);

  it('--meta gives every file typed metadata; --source names the identity; system keys are refused', async () => {
    const out = await docqa([
      'ingest', yaml, '--data-dir', data, '--json', '--no-progress', '--source', 'https://pyyaml.org/README.md',
      '--meta', 'year=2024', '--meta', 'draft=false', '--meta', 'published=2024-03-01', '--meta', 'tag=yaml',
      '--meta', 'tag=python', '--meta', 'code:string=007', '--meta', 'team=docs',
    ]);
    expect(out.code, out.stderr).toBe(0);
    const shown = JSON.parse((await docqa(['documents', 'show', 'https://pyyaml.org/README.md', '--data-dir', data, '--json'])).stdout);
    expect(shown.meta).toMatchObject({ year: 2024, draft: false, published: '2024-03-01', tag: ['yaml', 'python'], code: '007', team: 'docs', format: 'markdown' });
    const system = await docqa(['ingest', yaml, '--data-dir', data, '--meta', 'format=pdf']);
    expect(system.code).toBe(2);
    expect(system.stderr).toMatch(/meta\.format: 'format' is set by docqa/u);
    const badType = await docqa(['ingest', yaml, '--data-dir', data, '--meta', 'year:number=soon']);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain("'soon' is not a number");
    const badKey = await docqa(['ingest', yaml, '--data-dir', data, '--meta', 'a\\b=1']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/not a metadata key/u);
  }, 120_000);
});
