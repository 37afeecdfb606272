/**
 * The reader pool with the real bundled model in worker threads (dist/reader/reader-worker.js, built by the test
 * setup): the same answers as the reader in this thread on SQuAD dev-b fixture questions, every concurrent read
 * answered (also through the micro-batcher), and a worker stopped mid-read gives a clean 503 error while the pool
 * replaces it and answers again.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '../../src/config.js';
import { UnavailableError } from '../../src/errors.js';
import { loadReader } from '../../src/reader/index.js';
import { ReaderPool } from '../../src/reader/pool.js';
import type { ReadResult, Reader, ReaderPassage } from '../../src/reader/types.js';
import { DIST_READER_WORKER } from '../helpers/dist.js';
import { readSquad, SQUAD_EXCERPT } from './helpers.js';

if (!existsSync(DIST_READER_WORKER)) throw new Error(`${DIST_READER_WORKER} is missing (the test setup builds dist/)`);

// 16 questions, each read over its own paragraph and the next two (3 passages, as a small retrieval would give)
const examples = readSquad(SQUAD_EXCERPT);
const contexts = [...new Set(examples.map((e) => e.context))];
const asks = examples
  .filter((_, i) => i % 7 === 0)
  .slice(0, 16)
  .map((e) => {
    const k = contexts.indexOf(e.context);
    const passages: ReaderPassage[] = [0, 1, 2].map((d) => ({ id: `p${(k + d) % contexts.length}`, text: contexts[(k + d) % contexts.length]! }));
    return { question: e.question, passages };
  });

const answersOf = (r: ReadResult) => r.spans.slice(0, 3).map((s) => ({ passageId: s.passageId, text: s.text, charStart: s.charStart, score: s.score }));
const start = (batchWaitMs?: number) =>
  ReaderPool.start({
    workers: 2,
    maxInFlightPerWorker: batchWaitMs ? 16 : 2,
    script: pathToFileURL(DIST_READER_WORKER),
    reader: { modelDir: DEFAULT_MODEL_DIR, threads: 1, batchWaitMs },
  });

describe('ReaderPool with the bundled ONNX model', () => {
  let inThread: Reader;
  let expected: ReturnType<typeof answersOf>[];
  beforeAll(async () => {
    inThread = await loadReader({ modelDir: DEFAULT_MODEL_DIR, threads: 1 });
    expected = [];
    for (const a of asks) expected.push(answersOf(await inThread.read(a.question, a.passages)));
  });
  afterAll(() => inThread.close());

  it('gives exactly the in-thread answers (text, offsets, scores) for concurrent reads', async () => {
    const pool = await start();
    try {
      expect(pool.model).toEqual(inThread.model);
      const results = await Promise.all(asks.map((a) => pool.read(a.question, a.passages)));
      expect(results.map(answersOf)).toEqual(expected);
    } finally {
      await pool.close();
    }
  });

  it('answers every concurrent read through the micro-batcher, with valid spans', async () => {
    const pool = await start(5);
    try {
      const results = await Promise.all(asks.map((a) => pool.read(a.question, a.passages)));
      results.forEach((r, i) => {
        expect(r.passages.map((p) => p.passageId)).toEqual(asks[i]!.passages.map((p) => p.id));
        for (const s of r.spans) {
          const text = asks[i]!.passages.find((p) => p.id === s.passageId)!.text;
          expect(text.slice(s.charStart, s.charEnd)).toBe(s.text);
        }
      });
      // int8 activations are quantized per batch, so a batch's other windows nudge the logits: where two spans score
      // close, the batched best answer may be the in-thread runner-up. Each best answer is still one of the other's
      // top 3 (a read answered from another question's windows would not be), and most agree exactly.
      results.forEach((r, i) => {
        const batchedTop = r.spans.slice(0, 3).map((s) => s.text);
        const inThreadTop = expected[i]!.map((e) => e.text);
        expect(inThreadTop.includes(r.spans[0]!.text) || batchedTop.includes(inThreadTop[0]!), `ask ${i}: ${r.spans[0]!.text} vs ${inThreadTop.join(' / ')}`).toBe(true);
      });
      const same = results.filter((r, i) => r.spans[0]?.text === expected[i]![0]?.text).length;
      expect(same).toBeGreaterThanOrEqual(asks.length / 2);
    } finally {
      await pool.close();
    }
  });

  it('a worker stopped mid-read fails its reads with a 503 error; the pool replaces it and answers', async () => {
    const pool = await start();
    try {
      const inFlight = asks.slice(0, 6).map((a) => pool.read(a.question, a.passages).then(answersOf, (e: unknown) => e));
      await pool.terminateWorker();
      const outcomes = await Promise.all(inFlight);
      const failed = outcomes.filter((o) => o instanceof UnavailableError);
      expect(failed.length).toBeGreaterThan(0);
      for (const f of failed) expect((f as Error).message).toMatch(/^the reader worker exited \(code 1\); the question was not read, ask again$/u);
      outcomes.forEach((o, i) => {
        if (!(o instanceof Error)) expect(o).toEqual(expected[i]);
      });
      const again = await Promise.all(asks.map((a) => pool.read(a.question, a.passages)));
      expect(again.map(answersOf)).toEqual(expected);
      expect(pool.replaced).toBe(1);
    } finally {
      await pool.close();
    }
  });
});

/** The nice value (field 19 of /proc/self/task/<tid>/stat) of each thread of this process. */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

describe('ReaderPool nice value (DOCQA_READER_NICE)', () => {
  it.runIf(process.platform === 'linux')('lowers the priority of its worker and of the onnxruntime threads it starts, not of this thread', async () => {
    const before = threadNices().filter((n) => n === 7).length;
    const pool = await ReaderPool.start({
      workers: 1,
      maxInFlightPerWorker: 2,
      script: pathToFileURL(DIST_READER_WORKER),
      reader: { modelDir: DEFAULT_MODEL_DIR, threads: 2, nice: 7 },
    });
    try {
      const result = await pool.read(asks[0]!.question, asks[0]!.passages);
      expect(result.spans.length).toBeGreaterThan(0);
      // the worker thread and onnxruntime's second intra-op thread (the calling thread is the first)
      expect(threadNices().filter((n) => n === 7).length - before).toBeGreaterThanOrEqual(2);
      expect(threadNices()[0]).toBe(0); // the main thread (first task) keeps its priority
    } finally {
      await pool.close();
    }
  });
});
