/**
 * ReaderPool's control flow with a stand-in worker (test/fixtures/reader/fake-reader-worker.mjs): dispatch across
 * workers, typed errors crossing the thread boundary, a crashed worker failing only its own reads and being
 * replaced, load errors at start, close. The real model in workers: reader-pool-onnx.test.ts.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { DocqaError, UnavailableError } from '../../src/errors.js';
import { ReaderPool, threadsPerWorker } from '../../src/reader/pool.js';

const FAKE = pathToFileURL(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'reader', 'fake-reader-worker.mjs'));
const start = (workers: number, extra: Record<string, unknown> = {}) =>
  ReaderPool.start({ workers, maxInFlightPerWorker: 2, script: FAKE, reader: { modelDir: 'x', ...extra } });
const passages = [{ id: 'p1', text: 'some text' }];

describe('ReaderPool (stand-in workers)', () => {
  const pools: ReaderPool[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  it('answers every concurrent read, spread over the workers, with the model info of the worker', async () => {
    const pool = await start(2);
    pools.push(pool);
    expect(pool.model.name).toBe('fake');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.read(`q${i}`, passages)));
    expect(results.map((r) => r.spans[0]!.text)).toEqual(Array.from({ length: 12 }, (_, i) => `q${i}`));
    // the fake puts its threadId in score: two workers took part
    expect(new Set(results.map((r) => r.spans[0]!.score)).size).toBe(2);
    expect(pool.pending).toBe(0);
  });

  it('passes a typed error through unchanged (code, message, field)', async () => {
    const pool = await start(1);
    pools.push(pool);
    const err = await pool.read('bad question', passages).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocqaError);
    expect(err).toMatchObject({ code: 'bad_input', message: 'the question is empty', details: { field: 'question' } });
    expect((await pool.read('after', passages)).spans[0]!.text).toBe('after');
  });

  it('a worker that exits or throws fails only its own reads (503) and is replaced', async () => {
    const pool = await start(1);
    pools.push(pool);
    // one worker, two reads in flight: the slow one shares the crashing worker and fails with it
    const [crashed, slow] = await Promise.all([
      pool.read('crash now', passages).catch((e: unknown) => e),
      pool.read('slow one', passages).catch((e: unknown) => e),
    ]);
    expect(crashed).toBeInstanceOf(UnavailableError);
    expect((crashed as Error).message).toBe('the reader worker exited (code 3); the question was not read, ask again');
    expect(slow).toBeInstanceOf(UnavailableError);
    const queuedBehind = await Promise.all(['a', 'b', 'c'].map((q) => pool.read(q, passages)));
    expect(queuedBehind.map((r) => r.spans[0]!.text)).toEqual(['a', 'b', 'c']);
    const thrown = await pool.read('throw now', passages).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UnavailableError);
    expect((thrown as Error).message).toMatch(/^the reader worker crashed \(boom\)/u);
    expect((await pool.read('still there', passages)).spans[0]!.text).toBe('still there');
    expect(pool.replaced).toBe(2);
  });

  it('throws the load error at start (a bad model folder)', async () => {
    const err = await start(2, { failLoad: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'config', message: 'model folder x: model.onnx is missing' });
  });

  it('rejects reads after close, and reads in flight at close', async () => {
    const pool = await start(1);
    const inFlight = pool.read('slow read', passages).catch((e: unknown) => e);
    await pool.close();
    expect(await inFlight).toBeInstanceOf(UnavailableError);
    await expect(pool.read('late', passages)).rejects.toThrow('the reader is closed');
  });

  it('shares the cores out over the workers when the thread setting is 0', () => {
    expect(threadsPerWorker(0, 1, 2)).toBe(2);
    expect(threadsPerWorker(0, 2, 2)).toBe(1);
    expect(threadsPerWorker(0, 4, 2)).toBe(1);
    expect(threadsPerWorker(3, 2, 2)).toBe(3);
  });
});
