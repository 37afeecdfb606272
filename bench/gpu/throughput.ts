/**
 * Passages per second of the bundled reader at batch 1, 16 and 64 on the execution provider that
 * DOCQA_EXECUTION_PROVIDER names (cpu, cuda, webgpu; read by src/config.ts like the service does). Not part of the
 * test suite; no thresholds. Run by bench/gpu/run.sh (see bench/gpu/README.md).
 *
 * Workload: SQuAD 1.1 dev-b paragraphs (data/squad, `npx docqa data fetch squad`), read B at a time with one of their
 * questions and batchSize B, so one read() = ceil(windows / B) session runs; a paragraph longer than a window
 * gives more windows. passages/s = windows / wall time of read() (tokenize + model + decode); model windows/s =
 * windows / time inside session.run. Each batch size runs for about --seconds after a warm-up read.
 *
 *   node dist/bench-build/bench/gpu/throughput.js [--batch 1,16,64] [--seconds 10] [--max-seq 384]
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config.js';
import { requireSquadFile } from '../../src/data/fetch.js';
import { loadReader } from '../../src/reader/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const batches = arg('batch', '1,16,64').split(',').map(Number);
  const seconds = Number(arg('seconds', '10'));
  const maxSeqLength = Number(arg('max-seq', '384'));
  const data = JSON.parse(fs.readFileSync(requireSquadFile('squad-v1.1-dev-b.json', config.dataDir), 'utf8')) as {
    data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
  };
  const paragraphs = data.data.flatMap((a) => a.paragraphs);
  const ep = config.executionProvider;
  const t0 = performance.now();
  const reader = await loadReader({ modelDir: config.modelDir, modelFile: config.modelFile, executionProvider: ep, threads: config.threads });
  console.log(
    `gpu bench: ${config.modelDir}/${config.modelFile}, execution provider ${ep} (DOCQA_EXECUTION_PROVIDER), threads ${config.threads || 'default'}, ` +
      `maxSeqLength ${maxSeqLength}, loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  console.log(['ep', 'batch', 'reads', 'windows', 'passages/s', 'model windows/s', 'ms/session run'].join('\t'));
  let next = 0;
  for (const batchSize of batches) {
    const read = async () => {
      const passages = Array.from({ length: batchSize }, (_, k) => {
        const p = paragraphs[(next + k) % paragraphs.length]!;
        return { id: `p${k}`, text: p.context };
      });
      const question = paragraphs[next % paragraphs.length]!.qas[0]!.question;
      next += batchSize;
      return reader.read(question, passages, { batchSize, maxSeqLength, topKPerPassage: 1 });
    };
    await read(); // warm-up (and, on a GPU, kernel compilation for new shapes)
    let reads = 0;
    let windows = 0;
    let modelMs = 0;
    let runs = 0;
    const t = performance.now();
    while (performance.now() - t < seconds * 1000 || reads < 2) {
      const r = await read();
      reads++;
      windows += r.windows;
      modelMs += r.timings.inferenceMs;
      runs += Math.ceil(r.windows / batchSize);
    }
    const wall = performance.now() - t;
    console.log([ep, batchSize, reads, windows, ((windows / wall) * 1000).toFixed(1), ((windows / modelMs) * 1000).toFixed(1), (modelMs / runs).toFixed(1)].join('\t'));
  }
  await reader.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
