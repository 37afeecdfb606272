/**
 * The one progress mechanism of the CLI: a live cli-progress bar when the output is a terminal, plain lines
 * otherwise (logs, CI, pipes). Ingest builds its per-file progress on it (src/ingest/progress.ts); eval reports
 * questions done with countProgress.
 */
import cliProgress from 'cli-progress';

/** A cli-progress bar on `out` in docqa's style; `format` may use cli-progress's fields and the payload's. */
export function terminalBar(out: NodeJS.WritableStream, format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { stream: out, format, barsize: 24, hideCursor: true, fps: 5, etaBuffer: 20, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
}

/** Told how many of `total` are done: 0 when the run starts, then after each item. */
export type CountProgress = (done: number, total: number) => void;

/**
 * Progress of a run of `total` like items (eval's questions) on `out`: a bar with rate and ETA on a terminal,
 * else a line at every tenth ("120/1200 questions (10.0%), 3.52/s, about 307 s left").
 */
export function countProgress(out: NodeJS.WritableStream & { isTTY?: boolean }, unit: string): CountProgress {
  if (out.isTTY) {
    const bar = terminalBar(out, `{bar} {percentage}% | ${unit} {value}/{total} | {rate}/s | ETA {eta_formatted}`);
    let started = 0;
    return (done, total) => {
      if (done === 0) {
        started = performance.now();
        bar.start(total, 0, { rate: '0.00' });
        return;
      }
      bar.update(done, { rate: (done / Math.max((performance.now() - started) / 1000, 1e-3)).toFixed(2) });
      if (done >= total) bar.stop();
    };
  }
  let started = 0;
  let lastTenth = 0;
  return (done, total) => {
    if (done === 0) {
      started = performance.now();
      lastTenth = 0;
      return;
    }
    const tenth = Math.floor((10 * done) / total);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 1e-3);
    const left = done < total ? `about ${Math.ceil((total - done) / Math.max(rate, 1e-9))} s left` : `${seconds.toFixed(1)} s`;
    out.write(`${done}/${total} ${unit} (${((100 * done) / total).toFixed(1)}%), ${rate.toFixed(2)}/s, ${left}\n`);
  };
}
