/**
 * docqa's reader against its peers, side by side in one run (not part of the test suite; no thresholds anywhere):
 *
 *   - docqa: src/reader on the bundled ONNX file(s);
 *   - transformers.js: @huggingface/transformers' pipeline('question-answering') on the same ONNX file(s);
 *   - Python: Hugging Face transformers' pipeline("question-answering"), PyTorch CPU, the same model's fp32 weights.
 *
 * Same questions (the first --questions of SQuAD 1.1 dev-b in file order, each with its own paragraph), same intra-op
 * threads, one question at a time. Each peer is a child process that loads once and then answers every question
 * when told "run FROM TO"; the questions go in chunks of --chunk, each chunk through every peer one after the other
 * (the order rotates), so that the peers share the machine's conditions. Wall and CPU time are both reported. EM/F1: the official SQuAD metric
 * (src/eval/squad-metrics.ts) on each peer's answer strings. See bench/peers/README.md.
 *
 *   npx tsc --module nodenext --moduleResolution nodenext --target es2022 --strict --skipLibCheck \
 *     --resolveJsonModule --rootDir . --outDir dist/bench-build bench/peers/peers.ts bench/peers/docqa-peer.ts
 *   node dist/bench-build/bench/peers/peers.js [--questions 300] [--chunk 20] [--threads N]
 *     [--files model.onnx,model.fp32.onnx] [--peers docqa,transformersjs,python] [--json out.json]
 *   (--peers name:file, e.g. transformersjs:model.onnx, runs that peer on that file only)
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { requireSquadFile } from '../../src/data/fetch.js';
import { getTokens, normalizeAnswer, scorePrediction } from '../../src/eval/squad-metrics.js';
import { answerTokensOver, emGapCauses, notVerbatim } from './diagnostics.js';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // dist/bench-build/bench/peers
const REPO = path.resolve(HERE, '..', '..', '..', '..');
const PEERS_DIR = path.join(REPO, 'bench', 'peers');

interface Args {
  questions: number;
  chunk: number;
  threads: number;
  modelDir: string;
  files: string[];
  peers: string[];
  torchModel: string;
  python: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const modelDir = path.resolve(get('model-dir') ?? path.join(REPO, 'models', 'minilm-l6-squad'));
  const files = get('files')?.split(',') ?? ['model.onnx', 'model.fp32.onnx'].filter((f) => fs.existsSync(path.join(modelDir, f)));
  for (const f of files) {
    if (!fs.existsSync(path.join(modelDir, f))) {
      throw new Error(`${path.join(modelDir, f)} is missing${f === 'model.fp32.onnx' ? ': `bash training/run.sh setup data train export` makes it (docs/training.md)' : ''}`);
    }
  }
  return {
    questions: Number(get('questions') ?? 300),
    chunk: Number(get('chunk') ?? 20),
    threads: Number(get('threads') ?? os.cpus().length),
    modelDir,
    files,
    peers: (get('peers') ?? 'docqa,transformersjs,python').split(','),
    torchModel: path.resolve(get('torch-model') ?? path.join(PEERS_DIR, '.cache', 'minilm-l6-squad-torch')),
    python: path.resolve(get('python') ?? path.join(REPO, 'training', '.venv', 'bin', 'python')),
    json: get('json'),
  };
}

interface Question {
  id: string;
  question: string;
  context: string;
  answers: string[];
}

/** The first `n` questions of SQuAD 1.1 dev-b in file order (article -> paragraph -> qa), with their paragraph. */
function workload(n: number): Question[] {
  const data = JSON.parse(fs.readFileSync(requireSquadFile('squad-v1.1-dev-b.json'), 'utf8')) as {
    data: { paragraphs: { context: string; qas: { id: string; question: string; answers: { text: string }[] }[] }[] }[];
  };
  const out: Question[] = [];
  for (const p of data.data.flatMap((a) => a.paragraphs)) {
    for (const q of p.qas) {
      if (out.length < n) out.push({ id: q.id, question: q.question, context: p.context, answers: q.answers.map((a) => a.text) });
    }
  }
  return out;
}

interface Peer {
  name: string;
  file: string;
  weights: string;
  command: string;
  args: string[];
}

interface RunResult {
  answers: string[];
  ms: number[];
  modelMs: number;
  cpuMs: number;
  answerTokens?: number[];
}

class Child {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(readonly peer: Peer) {
    this.proc = spawn(peer.command, peer.args, { cwd: REPO, env: { ...process.env, TOKENIZERS_PARALLELISM: 'false' } });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  /** The next JSON line (other lines, e.g. a library's log, are skipped). */
  async next(): Promise<Record<string, unknown>> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) throw new Error(`${this.peer.name} (${this.peer.file}) exited: ${this.stderr.trim().slice(-1500)}`);
      if (r.value.startsWith('{')) return JSON.parse(r.value) as Record<string, unknown>;
    }
  }

  async run(from: number, to: number): Promise<RunResult> {
    this.proc.stdin.write(`run ${from} ${to}\n`);
    return (await this.next()) as unknown as RunResult;
  }

  quit(): void {
    this.proc.stdin.end('quit\n');
  }
}

function peersOf(a: Args, workloadFile: string): Peer[] {
  const list: Peer[] = [];
  const common = ['--workload', workloadFile, '--threads', String(a.threads)];
  for (const file of a.files) {
    const weights = file === 'model.onnx' ? 'int8' : file.includes('fp32') ? 'fp32' : '?';
    const wanted = (name: string) => a.peers.includes(name) || a.peers.includes(`${name}:${file}`);
    if (wanted('docqa')) {
      list.push({ name: 'docqa', file, weights, command: process.execPath, args: [path.join(HERE, 'docqa-peer.js'), '--model-dir', a.modelDir, '--file', file, ...common] });
    }
    if (wanted('transformersjs')) {
      if (!fs.existsSync(path.join(PEERS_DIR, 'node_modules', '@huggingface', 'transformers'))) {
        throw new Error('transformers.js is not installed for the bench: `ONNXRUNTIME_NODE_INSTALL=skip npm ci --prefix bench/peers`');
      }
      list.push({ name: 'transformers.js', file, weights, command: process.execPath, args: [path.join(PEERS_DIR, 'transformersjs-peer.mjs'), '--model-dir', a.modelDir, '--file', file, ...common] });
    }
  }
  if (a.peers.includes('python')) {
    if (!fs.existsSync(a.python)) throw new Error(`${a.python} not found: \`bash training/run.sh setup\` makes training/.venv`);
    if (!fs.existsSync(path.join(a.torchModel, 'config.json'))) {
      throw new Error(`${a.torchModel} not found: \`training/.venv/bin/python bench/peers/make_torch_model.py\` makes it from model.fp32.onnx`);
    }
    list.push({ name: 'Python pipeline', file: 'PyTorch (from model.fp32.onnx)', weights: 'fp32', command: a.python, args: [path.join(PEERS_DIR, 'hf_pipeline_peer.py'), '--model', a.torchModel, ...common] });
  }
  return list;
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const machine = () => `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const questions = workload(a.questions);
  const workloadFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-peers-')), 'workload.json');
  fs.writeFileSync(workloadFile, JSON.stringify(questions.map(({ id, question, context }) => ({ id, question, context }))));
  console.log(
    `peers bench: ${questions.length} SQuAD 1.1 dev-b questions (file order) with their paragraphs, one question at a time, ` +
      `${a.threads} intra-op thread(s) each, chunks of ${a.chunk} questions round-robin, model ${path.relative(REPO, a.modelDir) || a.modelDir}`,
  );
  console.log(`machine at start: ${machine()}`);

  const children: Child[] = [];
  try {
    for (const peer of peersOf(a, workloadFile)) {
      const child = new Child(peer);
      const ready = (await child.next()).ready as { runtime: string; threads: number };
      console.log(`ready: ${peer.name} ${peer.file}: ${ready.runtime}, threads ${ready.threads}`);
      children.push(child);
    }
    // one pass over the questions in chunks; every chunk goes through every peer (the order rotates), so that the
    // machine's load, which moves over minutes, falls on all peers alike
    const results = new Map<Child, RunResult>(children.map((c) => [c, { answers: [], ms: [], modelMs: 0, cpuMs: 0, answerTokens: [] }]));
    for (let from = 0, turn = 0; from < questions.length; from += a.chunk, turn++) {
      const to = Math.min(questions.length, from + a.chunk);
      for (let k = 0; k < children.length; k++) {
        const child = children[(k + turn) % children.length]!;
        const r = await child.run(from, to);
        const acc = results.get(child)!;
        acc.answers.push(...r.answers);
        acc.ms.push(...r.ms);
        acc.modelMs += r.modelMs;
        acc.cpuMs += r.cpuMs;
        acc.answerTokens!.push(...(r.answerTokens ?? []));
      }
      console.log(`questions ${from}-${to - 1} done (load average ${os.loadavg()[0]!.toFixed(2)})`);
    }
    console.log(`machine at end:   ${machine()}`);

    const reference = children.find((c) => c.peer.name === 'docqa' && c.peer.file === 'model.onnx') ?? children[0]!;
    const summary = children.map((c) => {
      const r = results.get(c)!;
      const scores = r.answers.map((ans, i) => scorePrediction(questions[i]!.answers, ans));
      return {
        peer: c.peer,
        msPerQuestion: sum(r.ms) / questions.length,
        cpuMsPerQuestion: r.cpuMs / questions.length,
        modelMsPerQuestion: r.modelMs / questions.length,
        em: (100 * sum(scores.map((x) => x.exact))) / questions.length,
        f1: (100 * sum(scores.map((x) => x.f1))) / questions.length,
        answers: r.answers,
        answerTokens: r.answerTokens!.length > 0 ? r.answerTokens : undefined,
        exact: scores.map((x) => x.exact),
        ms: r.ms,
      };
    });
    const ref = summary.find((s) => s.peer === reference.peer)!;
    const rows = [['reader', 'file (weights)', 'wall ms/q', 'answers/s', 'CPU ms/q', 'answers/CPU-s', 'model ms/q', 'other ms/q', 'EM', 'F1', 'docqa speed-up (wall)', 'docqa speed-up (CPU)']];
    for (const s of summary) {
      rows.push([
        s.peer.name,
        `${s.peer.file} (${s.peer.weights})`,
        s.msPerQuestion.toFixed(2),
        (1000 / s.msPerQuestion).toFixed(2),
        s.cpuMsPerQuestion.toFixed(2),
        (1000 / s.cpuMsPerQuestion).toFixed(2),
        s.modelMsPerQuestion.toFixed(2),
        (s.msPerQuestion - s.modelMsPerQuestion).toFixed(2),
        s.em.toFixed(2),
        s.f1.toFixed(2),
        `${(s.msPerQuestion / ref.msPerQuestion).toFixed(2)}x`,
        `${(s.cpuMsPerQuestion / ref.cpuMsPerQuestion).toFixed(2)}x`,
      ]);
    }
    console.log(table(rows));
    console.log(
      `(speed-up = this row's time per question / docqa ${ref.peer.file}'s = docqa's answers/s / this row's; wall = elapsed time of the calls, ` +
        `CPU = the process's CPU time (all threads); model = wall time inside the model run(s), other = wall - model: tokenization, windows, decoding)`,
    );
    // same weights, side by side
    for (const s of summary.filter((x) => x.peer.name === 'docqa')) {
      const same = summary.filter((x) => x !== s && x.peer.weights === s.peer.weights);
      for (const o of same) {
        console.log(`same weights (${s.peer.weights}): docqa ${(o.msPerQuestion / s.msPerQuestion).toFixed(2)}x (wall) / ${(o.cpuMsPerQuestion / s.cpuMsPerQuestion).toFixed(2)}x (CPU) the answers/s of ${o.peer.name}, EM ${(s.em - o.em >= 0 ? '+' : '') + (s.em - o.em).toFixed(2)}, F1 ${(s.f1 - o.f1 >= 0 ? '+' : '') + (s.f1 - o.f1).toFixed(2)}`);
      }
    }
    // why transformers.js answers differently
    for (const s of summary.filter((x) => x.peer.name === 'transformers.js')) {
      const docqa = summary.find((x) => x.peer.name === 'docqa' && x.peer.file === s.peer.file);
      const long = answerTokensOver(s.answerTokens ?? [], 15);
      const changed = notVerbatim(s.answers, questions.map((q) => q.context));
      const agree = docqa ? s.answers.filter((x, i) => normalizeAnswer(x) === normalizeAnswer(docqa.answers[i]!)).length : NaN;
      const longer = docqa ? s.answers.filter((x, i) => getTokens(x).length > getTokens(docqa.answers[i]!).length).length : NaN;
      console.log(
        `transformers.js ${s.peer.file}: ${long} answers longer than 15 tokens (no max_answer_len), ${changed} answers not verbatim in the paragraph ` +
          `(decoded from tokens: lower-cased, accents and spacing changed), same normalised answer as docqa: ${agree}/${questions.length}, ` +
          `more words than docqa's: ${longer}`,
      );
    }
    for (const s of summary.filter((x) => x.peer.name === 'transformers.js')) {
      const docqa = summary.find((x) => x.peer.name === 'docqa' && x.peer.file === s.peer.file);
      if (!docqa || !s.answerTokens) continue;
      const g = emGapCauses(docqa.answers, s.answers, docqa.exact, s.exact, s.answerTokens, 15);
      const pts = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
      console.log(
        `EM gap docqa - transformers.js (${s.peer.file}) = ${pts(docqa.em - s.em)}: same span decoded from tokens ${g.decodedOnly} q (${pts(g.decodedEm)} EM), ` +
          `answer > 15 tokens ${g.tooLong} q (${pts(g.tooLongEm)} EM), another span <= 15 tokens ${g.otherSpan} q (${pts(g.otherSpanEm)} EM)`,
      );
    }
    if (a.json) {
      fs.writeFileSync(a.json, JSON.stringify({ machine: machine(), args: a, questions: questions.map((q) => q.id), summary }, null, 1));
      console.log(`wrote ${a.json}`);
    }
  } finally {
    for (const c of children) c.quit();
    fs.rmSync(path.dirname(workloadFile), { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
