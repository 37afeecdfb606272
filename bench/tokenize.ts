/**
 * The reader's preprocessing time per window: tokenizing the question and the passages and building the windows,
 * as reader.ts does before running the model (its `timings.tokenizeMs`), in wall time and in CPU time of all the
 * process's threads (the tokenizers library encodes a batch on several threads). Optionally the same for a second,
 * compiled build of the reader (e.g. an older revision) in the same process, measured round-robin with this one,
 * so both share the machine's conditions. Not part of the test suite; no thresholds.
 *
 *   npx tsc --module nodenext --moduleResolution nodenext --target es2022 --strict --skipLibCheck \
 *     --resolveJsonModule --rootDir . --outDir dist/bench-build bench/tokenize.ts
 *   node dist/bench-build/bench/tokenize.js [--model-dirs a,b] [--other DIR] [--rounds 7] [--reads 100]
 *     [--passages 5] [--max-seq 384] [--stride 128]
 *
 * --other DIR: a build whose DIR/reader/model-folder.js and DIR/reader/windows.js export loadTokenizer and
 * buildWindows (e.g. `tsc -p tsconfig.build.json --outDir /tmp/old/dist` in a `git archive` of an older commit,
 * with its node_modules). Workload: the questions and paragraphs of test/fixtures/parity (500 SQuAD dev-b
 * questions), each read with its paragraph and the next `passages - 1`. See bench/README-reader.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadTokenizer } from '../src/reader/model-folder.js';
import { buildWindows, truncateQuestion, type PairTemplate } from '../src/reader/windows.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const REPO = fs.existsSync(path.join(ROOT, 'package.json')) ? ROOT : process.cwd();

interface Tokenized {
  ids: number[];
}
/** Either build's tokenizer: this one encodes asynchronously (encodeAll), older ones synchronously (encode). */
interface AnyTokenizer {
  encode(text: string): Tokenized | Promise<Tokenized>;
  encodeAll?: (texts: readonly string[]) => Promise<Tokenized[]>;
  template: PairTemplate;
  clsTokenId: number | undefined;
}
interface Impl {
  name: string;
  loadTokenizer: (dir: string) => Promise<AnyTokenizer>;
  buildWindows: typeof buildWindows;
}
interface Read {
  question: string;
  passages: { id: string; text: string }[];
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The reader's preprocess stage (reader.ts): tokenize the question and the passages, cut the windows. */
async function preprocess(impl: Impl, tokenizer: AnyTokenizer, read: Read, options: { maxSeqLength: number; docStride: number }): Promise<number> {
  const texts = read.passages.map((p) => p.text);
  let question: Tokenized;
  let contexts: Tokenized[];
  if (tokenizer.encodeAll) {
    [question, ...contexts] = (await tokenizer.encodeAll([read.question, ...texts])) as [Tokenized, ...Tokenized[]];
  } else {
    question = (await tokenizer.encode(read.question)) as Tokenized;
    contexts = texts.map((t) => tokenizer.encode(t) as Tokenized);
  }
  const questionIds = truncateQuestion(question.ids, 64);
  let windows = 0;
  contexts.forEach((c, i) => {
    windows += impl.buildWindows(i, questionIds, c.ids, tokenizer.template, tokenizer.clsTokenId, { ...options, maxQuestionLength: 64 }).length;
  });
  return windows;
}

function workload(perRead: number): Read[] {
  const file = path.join(REPO, 'test', 'fixtures', 'parity', 'minilm-l6-squad-devb-500.json');
  const { items } = JSON.parse(fs.readFileSync(file, 'utf8')) as { items: { question: string; context: string }[] };
  const paragraphs = [...new Set(items.map((i) => i.context))];
  const index = new Map(paragraphs.map((p, i) => [p, i]));
  return items.map((item) => {
    const first = index.get(item.context)!;
    return {
      question: item.question,
      passages: Array.from({ length: perRead }, (_, k) => {
        const i = (first + k) % paragraphs.length;
        return { id: `p${i}`, text: paragraphs[i]! };
      }),
    };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dirs = (
    arg(argv, 'model-dirs') ??
    ['models/minilm-l6-squad', 'test/fixtures/models/tiny-roberta-qa', 'test/fixtures/models/tiny-xlmr-qa'].join(',')
  )
    .split(',')
    .map((d) => path.resolve(REPO, d));
  const rounds = Number(arg(argv, 'rounds') ?? 7);
  const readsPerRound = Number(arg(argv, 'reads') ?? 100);
  const perRead = Number(arg(argv, 'passages') ?? 5);
  const options = { maxSeqLength: Number(arg(argv, 'max-seq') ?? 384), docStride: Number(arg(argv, 'stride') ?? 128) };

  const impls: Impl[] = [{ name: 'this build', loadTokenizer: loadTokenizer as Impl['loadTokenizer'], buildWindows }];
  const other = arg(argv, 'other');
  if (other) {
    const load = (file: string) => import(pathToFileURL(path.resolve(other, 'reader', file)).href);
    const [folder, windows] = await Promise.all([load('model-folder.js'), load('windows.js')]);
    impls.push({ name: path.resolve(other), loadTokenizer: folder.loadTokenizer, buildWindows: windows.buildWindows });
  }
  const reads = workload(perRead);
  console.log(
    `tokenize bench: ${readsPerRound} reads per round (question + ${perRead} SQuAD paragraphs each), ${rounds} rounds ` +
      `(median), maxSeqLength ${options.maxSeqLength}, docStride ${options.docStride}`,
  );
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);

  const loaded = new Map<string, { impl: Impl; tokenizer: AnyTokenizer }>();
  const key = (impl: Impl, dir: string) => `${impl.name}\t${path.relative(REPO, dir)}`;
  for (const dir of dirs) {
    for (const impl of impls) {
      try {
        const tokenizer = await impl.loadTokenizer(dir);
        for (const r of reads.slice(0, 20)) await preprocess(impl, tokenizer, r, options); // warm-up
        loaded.set(key(impl, dir), { impl, tokenizer });
      } catch (err) {
        console.log(`${key(impl, dir)}: cannot load (${err instanceof Error ? err.message : String(err)})`);
      }
    }
  }
  const samples = new Map<string, { wall: number[]; cpu: number[]; windows: number }>();
  for (let round = 0; round < rounds; round++) {
    const slice = Array.from({ length: readsPerRound }, (_, i) => reads[(round * readsPerRound + i) % reads.length]!);
    for (const [k, { impl, tokenizer }] of loaded) {
      let windows = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (const r of slice) windows += await preprocess(impl, tokenizer, r, options);
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const s = samples.get(k) ?? { wall: [], cpu: [], windows: 0 };
      s.wall.push(wall / windows);
      s.cpu.push((cpu.user + cpu.system) / 1000 / windows);
      s.windows = windows;
      samples.set(k, s);
    }
  }
  console.log(['build', 'model folder', 'windows/round', 'wall ms/window', 'CPU ms/window (all threads)'].join('\t'));
  for (const [k, s] of samples) {
    console.log([k, s.windows, median(s.wall).toFixed(3), median(s.cpu).toFixed(3)].join('\t'));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
