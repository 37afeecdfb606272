/**
 * Where conversion runs. PDF and DOCX parsing can hang or balloon on hostile input, so in production each file is
 * converted in a worker thread with a time limit and a heap limit; a worker that overruns is terminated (which
 * stops it whatever it is doing) and replaced, and only that file fails.
 *
 * - WorkerConversion: a pool of `concurrency` worker threads running conversion-worker.js.
 * - SizeLanes: small files in their own lane (defaultConversion's choice when smallFileBytes is set).
 * - InlineConversion: the same converters in this thread, with a timeout that can only give up waiting (it cannot
 *   stop a busy loop). Used where the compiled worker script does not exist, i.e. when running the TypeScript
 *   sources directly (tests); `defaultConversion` picks.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConvertedDocument } from '../documents/converter.js';
import { converterByFormat } from '../documents/converters/index.js';
import { UnreadableDocumentError } from '../documents/failure.js';
import { layoutPassages, type PassageLayout } from '../documents/prepare.js';
import type { SplitOptions } from '../documents/splitter.js';
import { DocqaError, deserializeError, errorMessage, type SerializedError } from '../errors.js';
import { COPY_SLICE_BYTES, copySliced, decodeUtf8Sliced } from '../util/event-loop.js';
import { PiecedText, type TextSource } from '../documents/pieced-text.js';

export interface ConversionRequest {
  data: Buffer;
  name: string;
  /** The converter's format (decided by the caller from the name or media type). */
  format: string;
  /**
   * Also hash and split the text into passage positions (PassageLayout), in the worker: the CPU-heavy half of
   * preparing a document stays off the event loop.
   */
  split?: SplitOptions;
}

/**
 * A converted document, with its passage layout when the request asked for one. Its text is a string, or a
 * PiecedText when a worker sent a big one as bytes.
 */
export type ConversionResult = Omit<ConvertedDocument, 'text'> & { text: TextSource; layout?: PassageLayout };

/** Texts of at least this many characters come back from a conversion worker as UTF-8 bytes, decoded in slices. */
export const TEXT_BYTES_CHARS = 1024 * 1024;

export interface ConversionLimits {
  /** Per-file time limit. */
  timeoutMs: number;
  /** Per-worker V8 heap limit (old generation), in MiB. */
  memoryMb: number;
  /** Files converted at the same time (worker threads). */
  concurrency: number;
  /**
   * Files up to this many bytes convert in their own lane (one more worker), so a small upload never waits behind
   * big, slow conversions; 0: one lane for all.
   */
  smallFileBytes?: number;
}

export interface Conversion {
  readonly isolated: boolean;
  convert(request: ConversionRequest): Promise<ConversionResult>;
  /**
   * Starts the workers that answer small files now rather than at the first file (a worker loads every converter:
   * under load that took seconds, paid by the first small upload). Optional; a server calls it at start.
   */
  warm?(): void;
  /** Stops the workers; in-flight conversions fail. */
  close(): Promise<void>;
}

export { serializeError, deserializeError, type SerializedError } from '../errors.js';

function timeoutError(name: string, ms: number): UnreadableDocumentError {
  return new UnreadableDocumentError(name, 'timeout', `conversion did not finish within ${ms} ms (fileTimeoutMs); gave up`);
}

export class InlineConversion implements Conversion {
  readonly isolated = false;
  constructor(private readonly timeoutMs: number) {}

  async convert({ data, name, format, split }: ConversionRequest): Promise<ConversionResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(name, this.timeoutMs)), this.timeoutMs);
    });
    try {
      const doc = await Promise.race([converterByFormat(format).convert(data, name), timeout]);
      return split ? { ...doc, layout: layoutPassages(doc, split) } : doc;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {}
}

interface Job {
  request: ConversionRequest;
  /** The bytes to send: a private copy, transferred to the worker, when the file is big. */
  bytes: { data: Uint8Array; transfer: boolean };
  resolve(doc: ConversionResult): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer?: NodeJS.Timeout;
}

/**
 * Replies of conversion-worker.js. `textBytes`: the text as UTF-8 (transferred), when it is big; `doc.text` is
 * empty then.
 */
export type WorkerReply = { ok: true; doc: ConvertedDocument & { layout?: PassageLayout }; textBytes?: Uint8Array } | { ok: false; error: SerializedError };

export class WorkerConversion implements Conversion {
  readonly isolated = true;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(
    private readonly limits: ConversionLimits,
    private readonly script: URL = WORKER_SCRIPT,
  ) {}

  async convert(request: ConversionRequest): Promise<ConversionResult> {
    if (this.closed) throw new DocqaError('internal', 'the conversion pool is closed');
    // a big file travels as a copy made in slices and then transferred: cloning 45 MB in postMessage held the
    // event loop for tens of ms (the caller's buffer stays its own)
    const big = request.data.byteLength >= COPY_SLICE_BYTES;
    const bytes = { data: big ? await copySliced(request.data) : request.data, transfer: big };
    if (this.closed) throw new DocqaError('internal', 'the conversion pool is closed');
    return new Promise((resolve, reject) => {
      this.queue.push({ request, bytes, resolve, reject });
      this.dispatch();
    });
  }

  /** Starts one worker ahead of the first file (it stays idle and unreferenced until used). */
  warm(): void {
    if (!this.closed && this.slots.size === 0) this.spawn();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = [...this.slots].find((s) => s.job === null);
      if (!slot) {
        if (this.slots.size >= this.limits.concurrency) return;
        slot = this.spawn();
      }
      this.run(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(fileURLToPath(this.script), {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: 64, stackSizeMb: 8 },
      stdout: false,
      stderr: false,
    });
    worker.unref(); // an idle pool never keeps the process alive
    const slot: Slot = { worker, job: null };
    worker.on('message', (reply: WorkerReply) => {
      const job = slot.job;
      if (!job) return;
      this.finish(slot);
      if (!reply.ok) job.reject(deserializeError(reply.error));
      else if (!reply.textBytes) job.resolve(reply.doc);
      else decodeUtf8Sliced(reply.textBytes).then((pieces) => job.resolve({ ...reply.doc, text: new PiecedText(pieces) }), job.reject);
      this.dispatch();
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const job = slot.job;
      this.retire(slot);
      if (job) {
        const name = job.request.name;
        job.reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new UnreadableDocumentError(name, 'out_of_memory', `conversion ran out of memory (limit ${this.limits.memoryMb} MiB, fileMemoryMb)`)
            : new UnreadableDocumentError(name, 'converter_crashed', `the converter crashed (${errorMessage(err)})`),
        );
      }
      this.dispatch();
    });
    worker.on('exit', (code) => {
      const job = slot.job;
      this.retire(slot);
      if (job) job.reject(new UnreadableDocumentError(job.request.name, 'converter_crashed', `the converter exited (code ${code})`));
      this.dispatch();
    });
    this.slots.add(slot);
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      const current = slot.job;
      this.retire(slot);
      void slot.worker.terminate();
      if (current) current.reject(timeoutError(current.request.name, this.limits.timeoutMs));
      this.dispatch();
    }, this.limits.timeoutMs);
    const { name, format, split } = job.request;
    const { data, transfer } = job.bytes;
    slot.worker.postMessage({ data, name, format, split }, transfer ? [data.buffer as ArrayBuffer] : []);
  }

  private finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = null;
    slot.worker.unref();
  }

  /** Takes a worker out of the pool (it timed out, crashed or exited); its job is the caller's to settle. */
  private retire(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = null;
    this.slots.delete(slot);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new DocqaError('internal', 'the conversion pool is closed'));
    const slots = [...this.slots];
    this.slots.clear();
    for (const s of slots) {
      clearTimeout(s.timer);
      s.job?.reject(new DocqaError('internal', 'the conversion pool is closed'));
      s.job = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

/**
 * Fair scheduling by size: small files go to their own conversion (a lane of one worker), big ones to the main
 * pool, so six slow DOCX conversions do not hold a 44-byte upload. Each lane keeps arrival order.
 */
export class SizeLanes implements Conversion {
  readonly isolated: boolean;
  constructor(
    private readonly small: Conversion,
    private readonly large: Conversion,
    private readonly smallFileBytes: number,
  ) {
    this.isolated = small.isolated && large.isolated;
  }

  convert(request: ConversionRequest): Promise<ConversionResult> {
    return (request.data.length <= this.smallFileBytes ? this.small : this.large).convert(request);
  }

  /** Warms the small-file lane: its worker is ready when the first small upload arrives behind big ones. */
  warm(): void {
    this.small.warm?.();
  }

  async close(): Promise<void> {
    await Promise.all([this.small.close(), this.large.close()]);
  }
}

/** The compiled worker script next to this module (dist/ingest/conversion-worker.js). */
export const WORKER_SCRIPT = new URL('./conversion-worker.js', import.meta.url);

/** Worker threads when the compiled worker script exists (always, once built), else inline conversion. */
export function defaultConversion(limits: ConversionLimits): Conversion {
  if (!fs.existsSync(fileURLToPath(WORKER_SCRIPT))) return new InlineConversion(limits.timeoutMs);
  const large = new WorkerConversion(limits);
  if (!limits.smallFileBytes) return large;
  return new SizeLanes(new WorkerConversion({ ...limits, concurrency: 1 }), large, limits.smallFileBytes);
}
