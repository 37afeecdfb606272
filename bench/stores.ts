/**
 * Side-by-side benchmark of the two DocumentStores on one corpus (not part of the test suite).
 *
 * Corpus: every paragraph of the project's SQuAD 1.1 files in data/squad (dev-a, dev-b, train subset, from
 * `npx docqa data fetch squad`; --data DIR for another folder; one document per article, one passage per
 * paragraph) plus synthetic filler passages up to --passages (default 100,000): word salad drawn from the unigram
 * distribution of the non-dev-a SQuAD text, 100 passages per filler document.
 * Measures: passages/s indexed through DocumentStore.writeDocument, BM25 query latency p50/p95 over the dev-a
 * questions (sequential, one at a time), and recall@10 (an answer string occurs in one of the top 10 passages).
 *
 *   scripts/elasticsearch start
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/stores.js [--passages 100000] [--questions 0]
 *     [--es-url http://127.0.0.1:9200] [--only sqlite|elasticsearch]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { squadDir } from '../src/data/fetch.js';
import { passageId, type DocumentRecord, type Passage } from '../src/documents/document.js';
import { prng } from '../src/eval/stats.js';
import { ElasticsearchStore } from '../src/store/elasticsearch/store.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { DocumentStore } from '../src/store/store.js';

interface Args {
  passages: number;
  questions: number;
  esUrl: string;
  only: 'sqlite' | 'elasticsearch' | null;
  dataDir: string;
}

function parseArgs(argv: string[]): Args {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // works from bench/ (sources) and from dist/bench-build/bench/ (compiled)
  const root = [path.resolve(here, '..'), path.resolve(here, '../../..')].find((d) =>
    fs.existsSync(path.join(d, 'package.json')),
  )!;
  const args: Args = {
    passages: 100_000,
    questions: 0,
    esUrl: process.env.ES_TEST_URL ?? 'http://127.0.0.1:9200',
    only: null,
    dataDir: squadDir(path.resolve(root, process.env.DOCQA_DATA_DIR ?? 'data')),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--passages') args.passages = Number(value);
    else if (flag === '--questions') args.questions = Number(value);
    else if (flag === '--es-url') args.esUrl = value;
    else if (flag === '--only') args.only = value === 'sqlite' || value === 'elasticsearch' ? value : null;
    else if (flag === '--data') args.dataDir = path.resolve(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

// --- corpus --------------------------------------------------------------------------------------------------

interface SquadFile {
  data: { title: string; paragraphs: { context: string; qas: { question: string; answers: { text: string }[] }[] }[] }[];
}

interface BenchDoc {
  doc: DocumentRecord;
  passages: Passage[];
}

interface Question {
  question: string;
  answers: string[];
}

function makeDoc(name: string, texts: string[], meta: Record<string, string>): BenchDoc {
  const text = texts.join('\n\n');
  const id = createHash('sha256').update(text).digest('hex');
  let cursor = 0;
  const passages = texts.map((t, seq): Passage => {
    const charStart = cursor;
    cursor += t.length + 2;
    return { id: passageId(id, seq), docId: id, text: t, charStart, charEnd: charStart + t.length, page: null, seq };
  });
  return {
    doc: {
      id,
      name,
      source: name,
      meta,
      pageCount: 0,
      passageCount: passages.length,
      charCount: text.length,
      createdAt: new Date().toISOString(),
    },
    passages,
  };
}


function buildCorpus(args: Args): { docs: BenchDoc[]; questions: Question[]; squadPassages: number } {
  const files = ['squad-v1.1-dev-a.json', 'squad-v1.1-dev-b.json', 'squad-v1.1-train-subset.json'];
  const docs: BenchDoc[] = [];
  const questions: Question[] = [];
  const words: string[] = [];
  for (const file of files) {
    const where = path.join(args.dataDir, file);
    if (!fs.existsSync(where)) throw new Error(`${where} not found: run \`npx docqa data fetch squad\` first, or pass --data DIR`);
    const squad = JSON.parse(fs.readFileSync(where, 'utf8')) as SquadFile;
    for (const article of squad.data) {
      const texts = article.paragraphs.map((p) => p.context.trim());
      docs.push(makeDoc(`squad/${file.replace('.json', '')}/${article.title}`, texts, { source: 'squad', file }));
      if (file.includes('dev-a')) {
        for (const p of article.paragraphs) {
          for (const qa of p.qas) questions.push({ question: qa.question, answers: qa.answers.map((a) => a.text) });
        }
      } else {
        for (const t of texts) words.push(...t.split(/\s+/).filter((w) => w.length > 0));
      }
    }
  }
  const squadPassages = docs.reduce((n, d) => n + d.passages.length, 0);
  const random = prng(20260102);
  let filler = Math.max(0, args.passages - squadPassages);
  for (let d = 0; filler > 0; d++) {
    const count = Math.min(100, filler);
    const texts = Array.from({ length: count }, () => {
      const length = 60 + Math.floor(random() * 80);
      return Array.from({ length }, () => words[Math.floor(random() * words.length)]).join(' ');
    });
    docs.push(makeDoc(`filler/${String(d).padStart(5, '0')}.txt`, texts, { source: 'filler' }));
    filler -= count;
  }
  const limit = args.questions > 0 ? args.questions : questions.length;
  return { docs, questions: questions.slice(0, limit), squadPassages };
}

// --- measurement -----------------------------------------------------------------------------------------------

interface Result {
  store: string;
  passages: number;
  indexSeconds: number;
  passagesPerSecond: number;
  p50: number;
  p95: number;
  recallAt10: number;
  questions: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(name: string, store: DocumentStore, docs: BenchDoc[], questions: Question[]): Promise<Result> {
  await store.init();
  const total = docs.reduce((n, d) => n + d.passages.length, 0);
  const started = performance.now();
  let done = 0;
  for (const [i, d] of docs.entries()) {
    await store.writeDocument(d.doc, d.passages);
    done += d.passages.length;
    if (i % 100 === 0) process.stderr.write(`\r${name}: indexed ${done}/${total} passages`);
  }
  const indexSeconds = (performance.now() - started) / 1000;
  process.stderr.write(`\r${name}: indexed ${total} passages in ${indexSeconds.toFixed(1)}s\n`);
  const counts = await store.counts();
  if (counts.passages !== total) throw new Error(`${name}: ${counts.passages} passages counted, ${total} written`);

  // warm-up, not measured
  for (const q of questions.slice(0, 20)) await store.search(q.question, { topK: 10 });
  const latencies: number[] = [];
  let found = 0;
  for (const [i, q] of questions.entries()) {
    const t0 = performance.now();
    const hits = await store.search(q.question, { topK: 10 });
    latencies.push(performance.now() - t0);
    if (hits.some((h) => q.answers.some((a) => h.passage.text.includes(a)))) found++;
    if (i % 500 === 0) process.stderr.write(`\r${name}: ${i}/${questions.length} questions`);
  }
  process.stderr.write(`\r${name}: ${questions.length} questions done\n`);
  latencies.sort((a, b) => a - b);
  return {
    store: name,
    passages: total,
    indexSeconds,
    passagesPerSecond: total / indexSeconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    recallAt10: found / questions.length,
    questions: questions.length,
  };
}

/** The table, with a ratio column (second store ÷ first, from this one run) when two stores ran. */
function table(results: Result[]): string {
  const rows: [string, (r: Result) => number, (v: number) => string][] = [
    ['passages indexed', (r) => r.passages, (v) => v.toLocaleString('en-US')],
    ['indexing time (s)', (r) => r.indexSeconds, (v) => v.toFixed(1)],
    ['passages/s indexed', (r) => r.passagesPerSecond, (v) => Math.round(v).toLocaleString('en-US')],
    ['BM25 query p50 (ms)', (r) => r.p50, (v) => v.toFixed(2)],
    ['BM25 query p95 (ms)', (r) => r.p95, (v) => v.toFixed(2)],
    [`recall@10 (dev-a, ${results[0]?.questions ?? 0} q)`, (r) => r.recallAt10, (v) => (100 * v).toFixed(1) + ' %'],
  ];
  const ratio = results.length === 2;
  const header = ['', ...results.map((r) => r.store), ...(ratio ? [`${results[1]!.store} ÷ ${results[0]!.store}`] : [])];
  const body = rows.map(([label, value, show]) => {
    const values = results.map(value);
    return [label, ...values.map(show), ...(ratio ? [(values[1]! / values[0]!).toFixed(2) + '×'] : [])];
  });
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((row) => row[c]!.length)));
  const line = (row: string[]) => '| ' + row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { docs, questions, squadPassages } = buildCorpus(args);
  const total = docs.reduce((n, d) => n + d.passages.length, 0);
  console.log(
    `corpus: ${total.toLocaleString('en-US')} passages in ${docs.length} documents ` +
      `(${squadPassages} SQuAD paragraphs + filler); ${questions.length} dev-a questions; ` +
      `node ${process.version}, ${os.cpus().length} CPUs`,
  );
  const results: Result[] = [];
  if (args.only !== 'elasticsearch') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-bench-'));
    const store = SqliteStore.inDataDir(dir);
    try {
      results.push(await measure('sqlite', store, docs, questions));
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (args.only !== 'sqlite') {
    const store = new ElasticsearchStore({ url: args.esUrl, index: `docqa-bench-${process.pid}` });
    try {
      results.push(await measure('elasticsearch', store, docs, questions));
    } finally {
      await store.drop().catch(() => undefined);
      await store.close();
    }
  }
  console.log(table(results));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
