/**
 * The SQuAD dev-b corpus and questions the HTTP benches drive a server with (bench/load, bench/soak): one text file
 * per article, ingested by the real CLI into a fresh data folder or Elasticsearch index prefix.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireSquadFile } from '../../src/data/fetch.js';
import { CLI } from './server.js';

export interface Squad {
  data: { title: string; paragraphs: { context: string; qas: { id: string; question: string; answers: { text: string }[] }[] }[] }[];
}

/** data/squad/squad-v1.1-dev-b.json (`npx docqa data fetch squad` fetches it). */
export function loadDevB(): Squad {
  return JSON.parse(fs.readFileSync(requireSquadFile('squad-v1.1-dev-b.json'), 'utf8')) as Squad;
}

export function questionsOf(squad: Squad): string[] {
  return squad.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => q.question)));
}

/** A temporary folder with one `<title>.txt` per article (its paragraphs, blank-line separated). */
export function corpusDir(squad: Squad): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-bench-corpus-'));
  for (const a of squad.data) fs.writeFileSync(path.join(dir, `${a.title}.txt`), a.paragraphs.map((p) => p.context).join('\n\n'));
  return dir;
}

/**
 * Ingests the dev-b corpus with `docqa ingest` into a fresh data folder (returned) under the store settings in
 * `env` (none: the embedded SQLite store in that folder).
 */
export function ingestCorpus(squad: Squad, env: Record<string, string> = {}): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-bench-data-'));
  const corpus = corpusDir(squad);
  try {
    execFileSync(process.execPath, [CLI, 'ingest', corpus, '--no-progress'], {
      env: { PATH: process.env.PATH, DOCQA_DATA_DIR: dataDir, DOCQA_LOG_LEVEL: 'warn', ...env },
      stdio: 'ignore',
    });
  } finally {
    fs.rmSync(corpus, { recursive: true, force: true });
  }
  return dataDir;
}
