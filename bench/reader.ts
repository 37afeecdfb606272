/**
 * Reader throughput, side by side in one run (not part of the test suite; no thresholds anywhere).
 *
 * For each ONNX file of the model folder (model.onnx = int8, and model.fp32.onnx when training/run.sh made it
 * locally: it is not shipped) and each batch size, reads
 * SQuAD dev-b questions with their paragraphs (several paragraphs per read() call, as the QA pipeline does) and
 * reports windows/s of the model run alone and end to end (tokenize + windows + model + decode). Configurations
 * are measured round-robin, repeatedly, and the median is reported, so that they share the machine's conditions.
 * See bench/README-reader.md.
 *
 *   npx tsc --module nodenext --moduleResolution nodenext --target es2022 --strict --skipLibCheck \
 *     --resolveJsonModule --rootDir . --outDir dist/bench-build bench/reader.ts
 *   node dist/bench-build/bench/reader.js [--model-dir DIR] [--files a.onnx,b.onnx] [--batch 1,8,16]
 *     [--windows 64] [--rounds 5] [--threads 0] [--max-seq 384] [--stride 128] [--passages 5] [--ep cpu]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { requireSquadFile } from '../src/data/fetch.js';
import { loadReader, type Reader, type ReaderPassage } from '../src/reader/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const REPO = fs.existsSync(path.join(ROOT, 'package.json')) ? ROOT : process.cwd();

const FP32_HINT =
  'The fp32 export is not shipped: `bash training/run.sh setup data train export` makes it (models/minilm-l6-squad/model.fp32.onnx)';

interface Args {
  modelDir: string;
  files: string[];
  batches: number[];
  windows: number;
  rounds: number;
  threads: number;
  maxSeq: number;
  stride: number;
  passages: number;
  ep: 'cpu' | 'cuda' | 'webgpu';
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const defaultDir = [path.join(REPO, 'models', 'minilm-l6-squad'), path.join(REPO, 'test', 'fixtures', 'models', 'tiny-roberta-qa')].find(
    (d) => fs.existsSync(d),
  )!;
  const modelDir = path.resolve(get('model-dir') ?? defaultDir);
  const requested = get('files')?.split(',');
  const files = requested ?? fs.readdirSync(modelDir).filter((f) => f.endsWith('.onnx')).sort();
  const missing = files.filter((f) => !fs.existsSync(path.join(modelDir, f)));
  if (missing.length > 0) {
    throw new Error(`bench/reader: ${missing.join(', ')} not in ${modelDir}${missing.includes('model.fp32.onnx') ? `. ${FP32_HINT}` : ''}`);
  }
  if (!requested && files.includes('model.onnx') && !files.includes('model.fp32.onnx')) {
    console.log(`note: ${modelDir} has no model.fp32.onnx, so int8 is measured alone. ${FP32_HINT}`);
  }
  return {
    modelDir,
    files,
    batches: (get('batch') ?? '1,8,16').split(',').map(Number),
    windows: Number(get('windows') ?? 64),
    rounds: Number(get('rounds') ?? 5),
    threads: Number(get('threads') ?? 0),
    maxSeq: Number(get('max-seq') ?? 384),
    stride: Number(get('stride') ?? 128),
    passages: Number(get('passages') ?? 5),
    ep: (get('ep') ?? 'cpu') as Args['ep'],
  };
}

interface Read {
  question: string;
  passages: ReaderPassage[];
}

/** Questions of SQuAD dev-b, each with its paragraph and the next ones (`perRead` paragraphs per read). */
function workload(perRead: number): Read[] {
  const file = requireSquadFile('squad-v1.1-dev-b.json'); // `npx docqa data fetch squad`
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    data: { paragraphs: { context: string; qas: { id: string; question: string }[] }[] }[];
  };
  const paragraphs = data.data.flatMap((a) => a.paragraphs);
  return paragraphs.map((p, i) => ({
    question: p.qas[0]!.question,
    passages: Array.from({ length: perRead }, (_, k) => {
      const q = paragraphs[(i + k) % paragraphs.length]!;
      return { id: `p${(i + k) % paragraphs.length}`, text: q.context };
    }),
  }));
}

interface Sample {
  windows: number;
  inferenceMs: number;
  totalMs: number;
}

/** Read until at least `minWindows` windows went through the model. */
async function measure(reader: Reader, reads: Read[], start: number, minWindows: number, batchSize: number, a: Args): Promise<Sample> {
  const s: Sample = { windows: 0, inferenceMs: 0, totalMs: 0 };
  for (let i = start; s.windows < minWindows; i++) {
    const r = reads[i % reads.length]!;
    const t = performance.now();
    const result = await reader.read(r.question, r.passages, { batchSize, maxSeqLength: a.maxSeq, docStride: a.stride });
    s.totalMs += performance.now() - t;
    s.inferenceMs += result.timings.inferenceMs;
    s.windows += result.windows;
  }
  return s;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const reads = workload(a.passages);
  console.log(
    `reader bench: ${a.modelDir} [${a.files.join(', ')}], ep ${a.ep}, threads ${a.threads || 'default'}, ` +
      `maxSeqLength ${a.maxSeq}, docStride ${a.stride}, ${a.passages} SQuAD paragraphs per read, ` +
      `>= ${a.windows} windows per sample, ${a.rounds} rounds (median)`,
  );
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);

  const readers = new Map<string, Reader>();
  for (const file of a.files) {
    const reader = await loadReader({ modelDir: a.modelDir, modelFile: file, threads: a.threads, executionProvider: a.ep });
    readers.set(file, reader);
    await measure(reader, reads, 0, Math.max(8, a.batches[0]!), a.batches[0]!, a); // warm-up
  }
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < a.rounds; round++) {
    for (const file of a.files) {
      for (const batch of a.batches) {
        const key = `${file}\t${batch}`;
        const s = await measure(readers.get(file)!, reads, round * 7, a.windows, batch, a);
        samples.set(key, [...(samples.get(key) ?? []), s]);
      }
    }
  }
  console.log(['file', 'batch', 'model windows/s', 'end-to-end windows/s', 'ms/window (model)', 'non-model share'].join('\t'));
  for (const [key, list] of samples) {
    const [file, batch] = key.split('\t');
    const modelRate = median(list.map((s) => (s.windows / s.inferenceMs) * 1000));
    const e2eRate = median(list.map((s) => (s.windows / s.totalMs) * 1000));
    const share = median(list.map((s) => 1 - s.inferenceMs / s.totalMs));
    console.log([file, batch, modelRate.toFixed(1), e2eRate.toFixed(1), (1000 / modelRate).toFixed(1), `${(share * 100).toFixed(0)}%`].join('\t'));
  }
  for (const r of readers.values()) await r.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
