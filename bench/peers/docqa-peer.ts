/**
 * bench/peers' docqa peer: docqa's reader (src/reader) on a model folder's ONNX file, one read() per question
 * with its paragraph, docqa's default read options (maxSeqLength 384, docStride 128, maxAnswerLength 15,
 * batchSize 16) and the best answer. Started by bench/peers/peers.ts (not meant to be run by hand):
 *
 *   node dist/bench-build/bench/peers/docqa-peer.js --workload W.json --model-dir DIR --file model.onnx --threads N
 *
 * Protocol: see hf_pipeline_peer.py ({"ready"}, "run FROM TO" -> {"answers", "ms", "modelMs", "cpuMs"}, "quit").
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { loadReader } from '../../src/reader/index.js';

interface Item {
  id: string;
  question: string;
  context: string;
}

const arg = (name: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) throw new Error(`--${name} is required`);
  return process.argv[i + 1]!;
};

async function main(): Promise<void> {
  const items = JSON.parse(fs.readFileSync(arg('workload'), 'utf8')) as Item[];
  const threads = Number(arg('threads'));
  const reader = await loadReader({ modelDir: arg('model-dir'), modelFile: arg('file'), threads });
  const answer = async (it: Item) => {
    const r = await reader.read(it.question, [{ id: it.id, text: it.context }], { topKPerPassage: 1 });
    return { text: r.spans[0]?.text ?? '', modelMs: r.timings.inferenceMs };
  };
  for (const it of items.slice(0, 8)) await answer(it);
  const ortVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  console.log(JSON.stringify({ ready: { runtime: `docqa reader, onnxruntime-node ${ortVersion}`, threads } }));

  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, from, to] = line.trim().split(' ');
    if (cmd === 'quit') break;
    if (cmd !== 'run') continue;
    const answers: string[] = [];
    const ms: number[] = [];
    let modelMs = 0;
    const cpu = process.cpuUsage();
    for (const it of items.slice(Number(from ?? 0), Number(to ?? items.length))) {
      const t = performance.now();
      const a = await answer(it);
      ms.push(performance.now() - t);
      answers.push(a.text);
      modelMs += a.modelMs;
    }
    const used = process.cpuUsage(cpu);
    console.log(JSON.stringify({ answers, ms, modelMs, cpuMs: (used.user + used.system) / 1000 }));
  }
  rl.close();
  await reader.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
