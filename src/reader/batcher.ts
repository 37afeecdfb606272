/**
 * Dynamic micro-batching across concurrent reads: windows handed to `run` by several reads within `maxWaitMs` go
 * through one session run. The pending windows are sorted by length and cut into runs of at most `maxBatch`
 * (length buckets, so a run pads little). One session run at a time; windows that arrive while a run is in
 * flight wait for it and go into the next one. Pure control flow over a WindowRunner (the session, or a fake).
 *
 * With dynamic int8 quantization the logits of a window depend on the other windows of its batch (activations
 * are quantized per tensor), so answers can differ slightly from unbatched reading; docs/performance.md reports
 * the measured parity.
 */
import type { WindowLogits, WindowRunner } from './session.js';
import type { Window } from './windows.js';

export interface BatchingOptions {
  /** Most windows in one session run. */
  maxBatch: number;
  /** How long the first pending window waits for others before its run starts. */
  maxWaitMs: number;
}

interface Pending {
  windows: readonly Window[];
  results: WindowLogits[];
  left: number;
  failed: boolean;
  resolve(out: WindowLogits[]): void;
  reject(err: unknown): void;
}

export interface BatchingRunner extends WindowRunner {
  /** Session runs made and windows sent so far (windows / runs = the mean batch size). */
  readonly stats: { runs: number; windows: number; calls: number };
}

/** Cuts the pending calls' windows into length-sorted runs of at most maxBatch: [call index, window index][] each. */
export function planRuns(calls: readonly (readonly Window[])[], maxBatch: number): [number, number][][] {
  const all: [number, number][] = calls.flatMap((ws, c) => ws.map((_, w): [number, number] => [c, w]));
  const len = ([c, w]: [number, number]) => calls[c]![w]!.inputIds.length;
  all.sort((a, b) => len(b) - len(a) || a[0] - b[0] || a[1] - b[1]);
  const runs: [number, number][][] = [];
  for (let i = 0; i < all.length; i += maxBatch) runs.push(all.slice(i, i + maxBatch));
  return runs;
}

export function createBatchingRunner(inner: WindowRunner, options: BatchingOptions): BatchingRunner {
  if (!(options.maxBatch >= 1)) throw new RangeError('maxBatch must be >= 1');
  let queue: Pending[] = [];
  let queued = 0;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  const stats = { runs: 0, windows: 0, calls: 0 };

  async function drain(): Promise<void> {
    timer = undefined;
    running = true;
    try {
      while (queue.length > 0) {
        const calls = queue;
        queue = [];
        queued = 0;
        for (const run of planRuns(calls.map((c) => c.windows), options.maxBatch)) {
          const live = run.filter(([c]) => !calls[c]!.failed);
          if (live.length === 0) continue;
          let out: WindowLogits[];
          try {
            stats.runs++;
            stats.windows += live.length;
            out = await inner.run(live.map(([c, w]) => calls[c]!.windows[w]!));
          } catch (err) {
            for (const [c] of live) {
              const call = calls[c]!;
              if (!call.failed) {
                call.failed = true;
                call.reject(err);
              }
            }
            continue;
          }
          live.forEach(([c, w], i) => {
            const call = calls[c]!;
            call.results[w] = out[i]!;
            if (--call.left === 0) call.resolve(call.results);
          });
        }
      }
    } finally {
      running = false;
    }
  }

  const schedule = () => {
    if (running) return; // the loop in drain() takes what arrived during its run
    if (queued >= options.maxBatch || options.maxWaitMs <= 0) {
      clearTimeout(timer);
      void drain();
    } else {
      timer ??= setTimeout(() => void drain(), options.maxWaitMs);
    }
  };

  return {
    stats,
    run(windows) {
      if (windows.length === 0) return Promise.resolve([]);
      stats.calls++;
      return new Promise<WindowLogits[]>((resolve, reject) => {
        queue.push({ windows, results: new Array(windows.length), left: windows.length, failed: false, resolve, reject });
        queued += windows.length;
        schedule();
      });
    },
    async close() {
      clearTimeout(timer);
      await inner.close();
    },
  };
}
