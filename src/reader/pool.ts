/**
 * The reader off the event loop: a Reader whose reads run in worker threads, each with its own reader (tokenizer,
 * ONNX session, decoding). The main thread only posts the question and passages and gets the spans back, so HTTP
 * routes (/healthz, /metrics, uploads) stay responsive while the model is busy.
 *
 * Dispatch: a read goes to the worker with the fewest reads in flight, up to `maxInFlightPerWorker` each (more than
 * one lets a worker's micro-batcher join windows of concurrent reads); the rest wait in arrival order. A worker
 * that crashes or exits fails only its own reads (UnavailableError, a 503) and is replaced.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { deserializeError, errorMessage, UnavailableError, type SerializedError } from '../errors.js';
import type { LoadReaderOptions } from './index.js';
import type { ModelInfo, ReadOptions, ReadResult, Reader, ReaderPassage } from './types.js';

export interface ReaderRequest {
  id: number;
  question: string;
  passages: ReaderPassage[];
  options?: Partial<ReadOptions>;
}

export type WorkerMessage =
  | { type: 'ready'; model: ModelInfo }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; ok: true; result: ReadResult }
  | { type: 'result'; id: number; ok: false; error: SerializedError };

/** A worker's workerData: what it loads, and the nice value it sets on its own thread first (0: unchanged). */
export type WorkerReaderOptions = LoadReaderOptions & { nice?: number };

export interface ReaderPoolOptions {
  /** Worker threads (each holds one ONNX session). */
  workers: number;
  /** Reads handed to one worker at a time. */
  maxInFlightPerWorker: number;
  /** What each worker loads (workerData of the worker script). */
  reader: WorkerReaderOptions;
  /** The worker script (tests pass a stand-in). */
  script?: URL;
}

interface Job {
  request: ReaderRequest;
  resolve(result: ReadResult): void;
  reject(err: unknown): void;
}

interface Slot {
  /** null while a replacement loads. */
  worker: Worker | null;
  ready: boolean;
  jobs: Map<number, Job>;
}

/** The compiled worker script next to this module (dist/reader/reader-worker.js). */
export const READER_WORKER_SCRIPT = new URL('./reader-worker.js', import.meta.url);

/** Intra-op threads per worker when the setting is 0 (onnxruntime's default would give every worker every core). */
export function threadsPerWorker(threads: number, workers: number, cores = cpus().length): number {
  return threads > 0 ? threads : Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

export class ReaderPool implements Reader {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers replaced after a crash or exit (for logs and tests). */
  replaced = 0;

  private constructor(
    readonly model: ModelInfo,
    private readonly options: ReaderPoolOptions,
    private readonly script: URL,
  ) {}

  /** Starts every worker and waits until each has loaded the model; a load error (bad model folder) is thrown. */
  static async start(options: ReaderPoolOptions): Promise<ReaderPool> {
    if (!(options.workers >= 1)) throw new RangeError('a reader pool needs at least one worker');
    const script = options.script ?? READER_WORKER_SCRIPT;
    const first = await ReaderPool.spawnReady(script, options.reader);
    const pool = new ReaderPool(first.model, options, script);
    pool.adopt(first.worker);
    try {
      const rest = await Promise.all(
        Array.from({ length: options.workers - 1 }, () => ReaderPool.spawnReady(script, options.reader)),
      );
      for (const r of rest) pool.adopt(r.worker);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private static spawnReady(script: URL, reader: WorkerReaderOptions): Promise<{ worker: Worker; model: ModelInfo }> {
    const worker = new Worker(fileURLToPath(script), { workerData: reader });
    return new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        cleanup();
        if (m.type === 'ready') resolve({ worker, model: m.model });
        else {
          void worker.terminate();
          reject(m.type === 'failed' ? deserializeError(m.error) : new Error(`reader worker: unexpected ${m.type} before ready`));
        }
      };
      const onError = (err: Error) => {
        cleanup();
        void worker.terminate();
        reject(new UnavailableError(`the reader worker failed to start: ${errorMessage(err)}`, { cause: err }));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new UnavailableError(`the reader worker exited (code ${code}) while loading the model`));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  private adopt(worker: Worker): Slot {
    const slot: Slot & { worker: Worker } = { worker, ready: true, jobs: new Map() };
    worker.unref();
    worker.on('message', (m: WorkerMessage) => {
      if (m.type !== 'result') return;
      const job = slot.jobs.get(m.id);
      if (!job) return;
      slot.jobs.delete(m.id);
      if (slot.jobs.size === 0) worker.unref();
      if (m.ok) job.resolve(m.result);
      else job.reject(deserializeError(m.error));
      this.dispatch();
    });
    worker.on('error', (err) => this.lose(slot, `the reader worker crashed (${errorMessage(err)})`));
    worker.on('exit', (code) => this.lose(slot, `the reader worker exited (code ${code})`));
    this.slots.add(slot);
    return slot;
  }

  /** A worker died: its reads fail, and a replacement is started (its reads wait for it). */
  private lose(slot: Slot, why: string): void {
    if (!this.slots.delete(slot)) return;
    for (const job of slot.jobs.values()) job.reject(new UnavailableError(`${why}; the question was not read, ask again`));
    slot.jobs.clear();
    if (this.closed) return;
    this.replaced++;
    void slot.worker?.terminate();
    this.restart();
  }

  private readySlots(): Slot[] {
    return [...this.slots].filter((s) => s.ready);
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.readySlots()) {
        if (s.jobs.size < this.options.maxInFlightPerWorker && (!best || s.jobs.size < best.jobs.size)) best = s;
      }
      if (!best) {
        // nothing ready and nothing loading: start again (the last restart failed)
        if (this.slots.size === 0 && !this.closed) this.restart();
        return;
      }
      const job = this.queue.shift()!;
      best.jobs.set(job.request.id, job);
      best.worker!.ref();
      best.worker!.postMessage(job.request);
    }
  }

  /** Starts a replacement worker; until it is ready its place is held, so reads wait for it. */
  private restart(): void {
    const loading: Slot = { worker: null, ready: false, jobs: new Map() };
    this.slots.add(loading);
    ReaderPool.spawnReady(this.script, this.options.reader).then(
      ({ worker }) => {
        this.slots.delete(loading);
        if (this.closed) return void worker.terminate();
        this.adopt(worker);
        this.dispatch();
      },
      (err: unknown) => {
        this.slots.delete(loading);
        // the model loaded before and does not now: fail what waits rather than let it wait forever
        if (this.readySlots().length === 0) {
          for (const job of this.queue.splice(0)) job.reject(new UnavailableError(`the reader cannot restart: ${errorMessage(err)}`));
        }
      },
    );
  }

  read(question: string, passages: ReaderPassage[], options?: Partial<ReadOptions>): Promise<ReadResult> {
    if (this.closed) return Promise.reject(new UnavailableError('the reader is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, question, passages, options }, resolve, reject });
      this.dispatch();
    });
  }

  /** Reads queued or in flight. */
  get pending(): number {
    let n = this.queue.length;
    for (const s of this.slots) n += s.jobs.size;
    return n;
  }

  /** Stops one worker as a crash would (operations and tests): its reads fail and it is replaced. */
  async terminateWorker(): Promise<void> {
    const slot = this.readySlots()[0];
    if (!slot) return;
    await slot.worker!.terminate();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = () => new UnavailableError('the reader is closed');
    for (const job of this.queue.splice(0)) job.reject(closedError());
    const slots = [...this.slots].filter((s) => s.ready);
    this.slots.clear();
    for (const s of slots) for (const job of s.jobs.values()) job.reject(closedError());
    await Promise.all(slots.map((s) => s.worker!.terminate()));
  }
}
