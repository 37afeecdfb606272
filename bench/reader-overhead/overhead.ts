/**
 * The reader's overhead over a bare onnxruntime session, side by side in one run (not part of the test suite;
 * no thresholds anywhere).
 *
 * For the same questions and passages, the same windows go through
 *   - bare: an onnxruntime-node InferenceSession created with the reader's session options, fed the padded batches
 *     the reader would run (built before timing: the session.run calls alone are timed), and
 *   - reader: docqa's `reader.read()` end to end (tokenize, windows, batches, tensors, session.run, decode, answers).
 * The batches are recorded by running the reader's own composition (createReader) with a runner that records the
 * windows it is given, so both sides run exactly the same windows in the same batches. Question by question, bare
 * and reader run one after the other (the order alternates), for --rounds passes; wall and CPU time are reported with
 * the ratio reader / bare of each pass and their median. See bench/reader-overhead/README.md.
 *
 *   npx tsc --module nodenext --moduleResolution nodenext --target es2022 --strict --skipLibCheck \
 *     --resolveJsonModule --rootDir . --outDir dist/bench-build bench/reader-overhead/overhead.ts
 *   node dist/bench-build/bench/reader-overhead/overhead.js [--questions 40] [--passages 5] [--rounds 3]
 *     [--threads 1] [--batch 16] [--file model.onnx] [--model-dir models/minilm-l6-squad]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { requireSquadFile } from '../../src/data/fetch.js';
import { loadReader, type ReaderPassage } from '../../src/reader/index.js';
import { padBatch } from '../../src/reader/batch.js';
import { loadTokenizer, modelInfo } from '../../src/reader/model-folder.js';
import { createReader } from '../../src/reader/reader.js';
import type { Window } from '../../src/reader/windows.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    modelDir: path.resolve(get('model-dir') ?? path.join(REPO, 'models', 'minilm-l6-squad')),
    file: get('file') ?? 'model.onnx',
    questions: Number(get('questions') ?? 40),
    passages: Number(get('passages') ?? 5),
    rounds: Number(get('rounds') ?? 3),
    threads: Number(get('threads') ?? 1),
    batches: (get('batch') ?? '16').split(',').map(Number),
  };
}

interface Read {
  question: string;
  passages: ReaderPassage[];
}

/** The first `n` SQuAD 1.1 dev-b questions (file order), each with its paragraph and the next `perRead - 1`. */
function workload(n: number, perRead: number): Read[] {
  const data = JSON.parse(fs.readFileSync(requireSquadFile('squad-v1.1-dev-b.json'), 'utf8')) as {
    data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
  };
  const paragraphs = data.data.flatMap((a) => a.paragraphs);
  const reads: Read[] = [];
  paragraphs.forEach((p, i) => {
    for (const q of p.qas) {
      if (reads.length >= n) return;
      reads.push({
        question: q.question,
        passages: Array.from({ length: perRead }, (_, k) => {
          const j = (i + k) % paragraphs.length;
          return { id: `p${j}`, text: paragraphs[j]!.context };
        }),
      });
    }
  });
  return reads;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const machine = () =>
  `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}, onnxruntime-node ${ort.env.versions?.common ?? '?'}`;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const reads = workload(a.questions, a.passages);
  console.log(
    `reader overhead bench: ${reads.length} SQuAD 1.1 dev-b questions x ${a.passages} paragraphs, ${path.relative(REPO, a.modelDir)}/${a.file}, ` +
      `${a.threads} intra-op thread(s), batch ${a.batches.join('/')}, ${a.rounds} rounds round-robin (median)`,
  );
  console.log(`machine at start: ${machine()}`);
  const onnxPath = path.join(a.modelDir, a.file);

  // the batches the reader runs, recorded through its own composition (no model run)
  const tokenizer = await loadTokenizer(a.modelDir);
  const recorded: Window[][] = [];
  const recorder = createReader({
    model: await modelInfo(a.modelDir, a.file),
    tokenizer,
    runner: {
      async run(windows) {
        recorded.push([...windows]);
        return windows.map((w) => ({ start: new Float32Array(w.inputIds.length), end: new Float32Array(w.inputIds.length) }));
      },
      async close() {},
    },
  });

  // the bare session: the reader's options (src/reader/session.ts)
  const bare = await ort.InferenceSession.create(onnxPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(a.threads > 0 ? { intraOpNumThreads: a.threads } : {}),
  });
  const reader = await loadReader({ modelDir: a.modelDir, modelFile: a.file, threads: a.threads });

  const rows: string[][] = [
    ['batch', 'windows', 'bare wall ms/q', 'reader wall ms/q', 'reader/bare wall (rounds)', 'bare CPU ms/q', 'reader CPU ms/q', 'reader/bare CPU (rounds)', 'reader: model ms/q', 'tokenize+windows ms/q', 'decode ms/q'],
  ];
  for (const batchSize of a.batches) {
    const feedsPerRead: Record<string, ort.Tensor>[][] = [];
    let windows = 0;
    for (const r of reads) {
      recorded.length = 0;
      await recorder.read(r.question, r.passages, { batchSize });
      feedsPerRead.push(
        recorded.map((batch) => {
          windows += batch.length;
          const p = padBatch(batch, tokenizer.padTokenId);
          const dims = [p.size, p.length];
          const all: Record<string, ort.Tensor> = {
            input_ids: new ort.Tensor('int64', p.inputIds, dims),
            attention_mask: new ort.Tensor('int64', p.attentionMask, dims),
            token_type_ids: new ort.Tensor('int64', p.tokenTypeIds, dims),
          };
          return Object.fromEntries(bare.inputNames.map((n) => [n, all[n]!]));
        }),
      );
    }
    // warm-up both
    for (const feeds of feedsPerRead.slice(0, 3).flat()) await bare.run(feeds);
    for (const r of reads.slice(0, 3)) await reader.read(r.question, r.passages, { batchSize });

    // per question, bare and reader one after the other (the order alternates), so that both see the same load
    const bareMs: number[] = [];
    const readerMs: number[] = [];
    const bareCpu: number[] = [];
    const readerCpu: number[] = [];
    const split: { model: number; tokenize: number; decode: number }[] = [];
    for (let round = 0; round < a.rounds; round++) {
      const t = { bare: 0, reader: 0, bareCpu: 0, readerCpu: 0 };
      const s = { model: 0, tokenize: 0, decode: 0 };
      const runBare = async (i: number) => {
        const c = process.cpuUsage();
        const t0 = performance.now();
        for (const feeds of feedsPerRead[i]!) await bare.run(feeds);
        t.bare += performance.now() - t0;
        const u = process.cpuUsage(c);
        t.bareCpu += (u.user + u.system) / 1000;
      };
      const runReader = async (i: number) => {
        const r = reads[i]!;
        const c = process.cpuUsage();
        const t0 = performance.now();
        const res = await reader.read(r.question, r.passages, { batchSize });
        t.reader += performance.now() - t0;
        const u = process.cpuUsage(c);
        t.readerCpu += (u.user + u.system) / 1000;
        s.model += res.timings.inferenceMs;
        s.tokenize += res.timings.tokenizeMs;
        s.decode += res.timings.decodeMs;
      };
      for (let i = 0; i < reads.length; i++) {
        if ((i + round) % 2 === 0) {
          await runBare(i);
          await runReader(i);
        } else {
          await runReader(i);
          await runBare(i);
        }
      }
      const n = reads.length;
      bareMs.push(t.bare / n);
      readerMs.push(t.reader / n);
      bareCpu.push(t.bareCpu / n);
      readerCpu.push(t.readerCpu / n);
      split.push({ model: s.model / n, tokenize: s.tokenize / n, decode: s.decode / n });
    }
    const b = median(bareMs);
    const r = median(readerMs);
    const mid = split[readerMs.indexOf(r)]!;
    const wallRatios = readerMs.map((x, i) => x / bareMs[i]!);
    const cpuRatios = readerCpu.map((x, i) => x / bareCpu[i]!);
    rows.push([
      String(batchSize),
      String(windows),
      b.toFixed(2),
      r.toFixed(2),
      `${median(wallRatios).toFixed(3)} (${wallRatios.map((x) => x.toFixed(3)).join(', ')})`,
      median(bareCpu).toFixed(2),
      median(readerCpu).toFixed(2),
      `${median(cpuRatios).toFixed(3)} (${cpuRatios.map((x) => x.toFixed(3)).join(', ')})`,
      mid.model.toFixed(2),
      mid.tokenize.toFixed(2),
      mid.decode.toFixed(2),
    ]);
  }
  console.log(`machine at end:   ${machine()}`);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  console.log(
    '(reader/bare = docqa read() over the bare session.run calls of the same batches, per question, median of the rounds; ' +
      'wall = elapsed, CPU = process CPU time of all threads; the limit of the issue is 1.10)',
  );
  await reader.close();
  await bare.release();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
