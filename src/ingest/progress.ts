/**
 * Progress of an ingest run: a live bar (cli-progress, util/progress.ts) on a terminal, or one plain line per file
 * when the output is not a terminal (logs, CI, pipes).
 */
import { terminalBar } from '../util/progress.js';
import type { SourceFile } from './files.js';
import type { IngestOutcome } from './ingestor.js';

export interface Progress {
  start(totalFiles: number): void;
  fileStarted(file: SourceFile): void;
  fileDone(outcome: IngestOutcome): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, fileStarted() {}, fileDone() {}, stop() {} };

/** "created   a/b.pdf: 3 pages, 12 passages (0.41 s)" or "failed    x.pdf: [corrupt] x.pdf: not a readable PDF (...)". */
export function outcomeLine(o: IngestOutcome): string {
  let detail: string;
  if (o.status === 'failed') detail = `[${o.failure ?? 'internal'}] ${o.reason ?? ''}`;
  else {
    const pages = o.pages > 0 ? `${o.pages} pages, ` : '';
    const how = o.skipped ? ', skipped: same bytes' : o.duplicateOf ? `, same text as ${o.duplicateOf}` : '';
    detail = `${o.name}: ${pages}${o.passages} passages (${(o.ms / 1000).toFixed(2)} s${how})`;
  }
  const warn = o.warnings.map((w) => `\n          ! ${w}`).join('');
  return `${o.status.padEnd(9)} ${detail}${warn}`;
}

export function lineProgress(out: NodeJS.WritableStream): Progress {
  let total = 0;
  let done = 0;
  return {
    start(n) {
      total = n;
    },
    fileStarted() {},
    fileDone(o) {
      done++;
      out.write(`[${done}/${total}] ${outcomeLine(o)}\n`);
    },
    stop() {},
  };
}

export function barProgress(out: NodeJS.WritableStream): Progress {
  const bar = terminalBar(
    out,
    '{bar} {percentage}% | files {value}/{total} | pages {pages} | passages {passages} | {pagesRate} pages/s, {passagesRate} passages/s | ETA {eta_formatted} | {file}',
  );
  let pages = 0;
  let passages = 0;
  let started = 0;
  const inFlight = new Set<string>();
  const payload = () => {
    const s = Math.max(0.001, (performance.now() - started) / 1000);
    const file = [...inFlight][0] ?? '';
    return {
      pages,
      passages,
      pagesRate: (pages / s).toFixed(1),
      passagesRate: (passages / s).toFixed(1),
      file: file.length > 40 ? `…${file.slice(-39)}` : file,
    };
  };
  return {
    start(n) {
      started = performance.now();
      bar.start(n, 0, payload());
    },
    fileStarted(f) {
      inFlight.add(f.source);
      bar.update(payload());
    },
    fileDone(o) {
      inFlight.delete(o.source);
      if (o.quality) {
        pages += o.quality.pages;
        passages += o.quality.passageWords.length;
      }
      bar.increment(1, payload());
    },
    stop() {
      bar.stop();
    },
  };
}
