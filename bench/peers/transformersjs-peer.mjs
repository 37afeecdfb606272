/**
 * bench/peers' transformers.js peer: @huggingface/transformers' pipeline('question-answering') on the same ONNX
 * file as docqa, in Node (onnxruntime-node, CPU). Installed for the bench only: `npm ci --prefix bench/peers`.
 * Started by bench/peers/peers.ts (not meant to be run by hand):
 *
 *   node bench/peers/transformersjs-peer.mjs --workload W.json --model-dir DIR --file model.onnx --threads N
 *
 * The model folder is loaded offline as it is (no copy): subfolder '' and model_file_name = the file without
 * '.onnx', dtype fp32 so that no suffix is added (the file's own weights, int8 or fp32, are what runs).
 * Protocol: see hf_pipeline_peer.py ({"ready"}, "run FROM TO" -> {"answers", "ms", "modelMs", "cpuMs", "answerTokens"}, "quit").
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import { env, pipeline } from '@huggingface/transformers';

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) throw new Error(`--${name} is required`);
  return process.argv[i + 1];
};
const items = JSON.parse(fs.readFileSync(arg('workload'), 'utf8'));
const modelDir = path.resolve(arg('model-dir'));
const file = arg('file');
const threads = Number(arg('threads'));

env.allowRemoteModels = false;
env.localModelPath = path.dirname(modelDir);
const qa = await pipeline('question-answering', path.basename(modelDir), {
  local_files_only: true,
  subfolder: '',
  model_file_name: file.replace(/\.onnx$/, ''),
  dtype: 'fp32',
  device: 'cpu',
  session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
});

// measurement only: the time inside onnxruntime's session.run
const session = qa.model.sessions.model;
let modelMs = 0;
const run = session.run.bind(session);
session.run = async (...args) => {
  const t = performance.now();
  try {
    return await run(...args);
  } finally {
    modelMs += performance.now() - t;
  }
};

for (const it of items.slice(0, 8)) await qa(it.question, it.context, { top_k: 1 });
const pkg = JSON.parse(fs.readFileSync(new URL('./node_modules/@huggingface/transformers/package.json', import.meta.url), 'utf8'));
const ortPkg = JSON.parse(fs.readFileSync(new URL('./node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8'));
console.log(JSON.stringify({ ready: { runtime: `@huggingface/transformers ${pkg.version}, onnxruntime-node ${ortPkg.version}`, threads } }));

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  const [cmd, from, to] = line.trim().split(' ');
  if (cmd === 'quit') break;
  if (cmd !== 'run') continue;
  const answers = [];
  const ms = [];
  const answerTokens = [];
  modelMs = 0;
  const cpu = process.cpuUsage();
  for (const it of items.slice(Number(from ?? 0), Number(to ?? items.length))) {
    const t = performance.now();
    const out = await qa(it.question, it.context, { top_k: 1 });
    ms.push(performance.now() - t);
    answers.push(out.answer);
  }
  const used = process.cpuUsage(cpu);
  // diagnostics, outside the timed loop: the length of each answer in the model's tokens
  for (const a of answers) answerTokens.push(qa.tokenizer.encode(a, { add_special_tokens: false }).length);
  console.log(JSON.stringify({ answers, ms, modelMs, cpuMs: (used.user + used.system) / 1000, answerTokens }));
}
rl.close();
await qa.dispose();
