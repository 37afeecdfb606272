/**
 * Ingestion throughput per format (not part of the test suite): the 24 SQuAD 1.1 dev-b articles rendered as PDF
 * (A4, running header and footer, hyphenation), DOCX (title heading + paragraphs) and UTF-8 text, then
 *
 * - convert+split: the converter and the splitter alone, in this thread, one file at a time;
 * - ingest: the whole path of `docqa ingest` (worker-thread conversion pool, split, SQLite writes) on a fresh store,
 *   with --concurrency workers: "cold" is the first round on new workers (what one CLI run does: pdf.js and
 *   mammoth are loaded and JIT-compiled in each worker), "warm" the best later round on the same workers.
 *
 * The same articles are in every format, so "pages" for DOCX and text are the pages the PDF of the same text has
 * (PDF-equivalent pages): the rates compare like with like.
 *
 * Needs data/squad/squad-v1.1-dev-b.json (`npx docqa data fetch squad`; DOCQA_DATA_DIR is honoured).
 *
 *   npx tsc --outDir dist/bench-build --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
 *     --strict --esModuleInterop --skipLibCheck bench/ingest.ts src/ingest/conversion-worker.ts
 *   node dist/bench-build/bench/ingest.js [--concurrency 2] [--articles 24] [--rounds 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { converterFor } from '../src/documents/converters/index.js';
import { prepareDocument } from '../src/documents/prepare.js';
import { ingestBatch } from '../src/ingest/batch.js';
import { WorkerConversion } from '../src/ingest/conversion.js';
import { collectFiles } from '../src/ingest/files.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { requireSquadFile } from '../src/data/fetch.js';
import { renderDocx, renderPdf } from '../test/fixtures/documents/render.js';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '2' },
    articles: { type: 'string', default: '24' },
    rounds: { type: 'string', default: '3' },
  },
});
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const SPLIT = { words: 150, overlap: 30 }; // the defaults of config.ts

interface Row {
  format: string;
  files: number;
  mb: number;
  pages: number;
  passages: number;
  /** Best of the rounds, seconds. */
  convertSplit: number;
  /** First round on fresh workers, seconds. */
  ingestCold: number;
  /** Best of the later rounds on the same workers, seconds. */
  ingestWarm: number;
}

async function makeCorpus(dir: string, count: number): Promise<Map<string, number>> {
  const data = (JSON.parse(fs.readFileSync(requireSquadFile('squad-v1.1-dev-b.json'), 'utf8')) as { data: { title: string; paragraphs: { context: string }[] }[] }).data;
  const pagesOf = new Map<string, number>();
  for (const f of ['pdf', 'docx', 'txt']) fs.mkdirSync(path.join(dir, f), { recursive: true });
  for (const a of data.slice(0, count)) {
    const title = a.title.replace(/_/gu, ' ');
    const paragraphs = a.paragraphs.map((p) => p.context.trim());
    const slug = a.title.toLowerCase().replace(/[^a-z0-9]+/gu, '-');
    const pdf = await renderPdf(paragraphs, { title, header: title, footer: (n, t) => `Page ${n} of ${t}`, hyphenate: true });
    fs.writeFileSync(path.join(dir, 'pdf', `${slug}.pdf`), pdf.bytes);
    fs.writeFileSync(path.join(dir, 'docx', `${slug}.docx`), await renderDocx({ title, sections: [{ paragraphs }] }));
    fs.writeFileSync(path.join(dir, 'txt', `${slug}.txt`), [title, ...paragraphs].join('\n\n'));
    pagesOf.set(slug, pdf.pageLines.length);
  }
  return pagesOf;
}

async function convertAndSplit(files: { file: string; name: string }[]): Promise<{ seconds: number; passages: number }> {
  const start = performance.now();
  let passages = 0;
  for (const f of files) {
    const data = fs.readFileSync(f.file);
    const converted = await converterFor(f.name).convert(data, f.name);
    passages += prepareDocument(converted, { name: f.name, source: f.file }, {}, SPLIT).passages.length;
  }
  return { seconds: (performance.now() - start) / 1000, passages };
}

async function ingestAll(dir: string, folder: string, conversion: WorkerConversion): Promise<{ seconds: number; passages: number }> {
  const store = new SqliteStore(path.join(dir, `bench-${folder}-${Date.now()}.sqlite`));
  await store.init();
  const ingestor = new Ingestor(store, SPLIT, { maxFileBytes: 50 << 20 }, conversion);
  try {
    const { files } = await collectFiles([path.join(dir, folder)]);
    const result = await ingestBatch(ingestor, files, { concurrency });
    const failed = result.outcomes.filter((o) => o.status === 'failed');
    if (failed.length > 0) throw new Error(`bench files failed: ${failed.map((o) => o.reason).join('; ')}`);
    return { seconds: result.seconds, passages: result.outcomes.reduce((n, o) => n + o.passages, 0) };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-bench-ingest-'));
  try {
    process.stderr.write(`rendering ${values.articles} SQuAD dev-b articles as PDF, DOCX and text...\n`);
    const pagesOf = await makeCorpus(dir, Number(values.articles));
    const pages = [...pagesOf.values()].reduce((a, b) => a + b, 0);
    const rows: Row[] = [];
    for (const folder of ['pdf', 'docx', 'txt']) {
      const { files } = await collectFiles([path.join(dir, folder)]);
      const bytes = files.reduce((n, f) => n + f.size, 0);
      let convertSplit = Infinity;
      let ingestCold = Infinity;
      let ingestWarm = Infinity;
      let passages = 0;
      const conversion = new WorkerConversion({ timeoutMs: 120_000, memoryMb: 1024, concurrency });
      try {
        for (let r = 0; r < rounds; r++) {
          process.stderr.write(`${folder}: round ${r + 1}/${rounds}\n`);
          const i = await ingestAll(dir, folder, conversion);
          if (r === 0) ingestCold = i.seconds;
          else ingestWarm = Math.min(ingestWarm, i.seconds);
          passages = i.passages;
          convertSplit = Math.min(convertSplit, (await convertAndSplit(files)).seconds);
        }
      } finally {
        await conversion.close();
      }
      rows.push({ format: folder, files: files.length, mb: bytes / 1e6, pages, passages, convertSplit, ingestCold, ingestWarm });
    }
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const lines = [
      `docqa ingest benchmark: ${values.articles} SQuAD dev-b articles per format, ${pages} PDF pages; best of ${rounds} rounds`,
      `machine: ${os.cpus().length} × ${cpu}, load average ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version}; ingest with ${concurrency} conversion workers into SQLite`,
      '',
      'format  files     MB  pages  passages | convert+split, 1 thread  | ingest, cold workers     | ingest, warm workers',
      '                                      |  pages/s passages/s     s |  pages/s passages/s     s |  pages/s passages/s     s',
      ...rows.map((r) => {
        const rate = (seconds: number) =>
          Number.isFinite(seconds)
            ? `${(r.pages / seconds).toFixed(1).padStart(8)} ${(r.passages / seconds).toFixed(1).padStart(10)} ${seconds.toFixed(2).padStart(5)}`
            : `${'-'.padStart(8)} ${'-'.padStart(10)} ${'-'.padStart(5)}`;
        return (
          `${r.format.padEnd(6)} ${String(r.files).padStart(6)} ${r.mb.toFixed(1).padStart(6)} ${String(r.pages).padStart(6)} ${String(r.passages).padStart(9)} | ` +
          `${rate(r.convertSplit)} | ${rate(r.ingestCold)} | ${rate(r.ingestWarm)}`
        );
      }),
      '',
      'pages for DOCX and text: the PDF pages of the same articles (DOCX and text have no pages of their own).',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
