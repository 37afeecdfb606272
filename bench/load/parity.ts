/**
 * Answer parity of micro-batching (not part of the test suite): the 500 SQuAD dev-b questions of the parity fixture
 * (test/fixtures/parity/minilm-l6-squad-devb-500.json, answers of Hugging Face's pipeline on the same int8 ONNX
 * file), read by the bundled model in this thread
 *   - one window per session run (batchSize 1, what the parity test checks: identical to the HF pipeline),
 *   - through the micro-batcher with `--clients` reads in flight (runs of up to 16 windows of different questions),
 * and how many best answers (text and offsets) differ between the two, and from the HF pipeline.
 *
 *   npm run build && npx tsc -p bench/load/tsconfig.json && node dist/bench-build/bench/load/parity.js [--clients 16]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadReader } from '../../src/reader/index.js';
import type { ReadOptions, ReadResult, Reader } from '../../src/reader/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const { values: args } = parseArgs({ options: { clients: { type: 'string', default: '16' }, wait: { type: 'string', default: '3' } } });

interface Fixture {
  modelFile: string;
  settings: { max_seq_len: number; doc_stride: number; max_answer_len: number };
  items: { id: string; question: string; context: string; answer: string }[];
}
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'parity', 'minilm-l6-squad-devb-500.json'), 'utf8')) as Fixture;
const modelFile = path.join(ROOT, fixture.modelFile);
const options: Partial<ReadOptions> = {
  maxSeqLength: fixture.settings.max_seq_len,
  docStride: fixture.settings.doc_stride,
  maxAnswerLength: fixture.settings.max_answer_len,
  maxQuestionLength: 512,
};

async function readAll(reader: Reader, clients: number, batchSize: number): Promise<ReadResult[]> {
  const out = new Array<ReadResult>(fixture.items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < fixture.items.length) {
        const i = next++;
        const item = fixture.items[i]!;
        out[i] = await reader.read(item.question, [{ id: item.id, text: item.context }], { ...options, batchSize });
      }
    }),
  );
  return out;
}

const best = (r: ReadResult) => (r.spans[0] ? `${r.spans[0].text}@${r.spans[0].charStart}` : '');
const load = (batchWaitMs?: number) => loadReader({ modelDir: path.dirname(modelFile), modelFile: path.basename(modelFile), batchWaitMs, maxBatch: 16 });

const single = await load();
const unbatched = await readAll(single, 1, 1);
await single.close();
const batcher = await load(Number(args.wait));
const batched = await readAll(batcher, Number(args.clients), 16);
await batcher.close();

const n = fixture.items.length;
const differ = batched.filter((r, i) => best(r) !== best(unbatched[i]!)).length;
const textDiffer = batched.filter((r, i) => r.spans[0]?.text !== unbatched[i]!.spans[0]?.text).length;
const hf = (rs: ReadResult[]) => rs.filter((r, i) => r.spans[0]?.text === fixture.items[i]!.answer).length;
let maxScoreDiff = 0;
batched.forEach((r, i) => {
  if (best(r) === best(unbatched[i]!)) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(r.spans[0]!.score - unbatched[i]!.spans[0]!.score));
});
console.log(`micro-batching parity on ${n} fixture questions (${args.clients} reads in flight, wait ${args.wait} ms, runs of <= 16 windows)`);
console.log('| | best answers equal to one-window-per-run | same text (offsets may differ) | equal to the HF pipeline | max score difference where equal |');
console.log('|---|---|---|---|---|');
console.log(`| one window per run (batchSize 1) | ${n}/${n} | ${n}/${n} | ${hf(unbatched)}/${n} | 0 |`);
console.log(`| micro-batched | ${n - differ}/${n} | ${n - textDiffer}/${n} | ${hf(batched)}/${n} | ${maxScoreDiff.toExponential(2)} |`);
