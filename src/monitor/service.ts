/**
 * The drift monitor as a service (the I/O edge): observations of asks and ingests are appended to
 * `<data-dir>/monitor/observations.jsonl` (by `serve` and by `docqa ingest` alike; no question text, only its
 * length), and the baseline lives in `<data-dir>/monitor/baseline.json`. A report reads what was appended since the
 * last one into the in-memory sliding window (DriftMonitor), and the baseline again when the file changed, so a
 * baseline marked by `docqa monitor baseline` and ingests of a CLI run show up in a running server without a restart.
 * The log keeps the newest `retain` observations (it is rewritten when it holds twice as many), so a time window can
 * be marked as the baseline after the fact.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { EvalResult } from '../eval/result.js';
import type { IngestOutcome } from '../ingest/ingestor.js';
import type { AskResult } from '../qa/answer.js';
import {
  emptyBaseline,
  evalRunSource,
  evalRunValues,
  markBaseline,
  parseBaseline,
  type Baseline,
} from './baseline.js';
import { askObservation, featureValues, ingestObservation, parseObservation, type FeatureName, type Observation } from './features.js';
import { DriftMonitor, type DriftReport } from './monitor.js';

export interface MonitorSettings {
  /** Values per feature in the sliding window (DOCQA_MONITOR_WINDOW). */
  windowSize: number;
  /** Fewest values, in the window and in the baseline, for a drift figure (DOCQA_MONITOR_MIN_VALUES). */
  minValues: number;
  /** Observations kept in the log (DOCQA_MONITOR_RETAIN). */
  retain: number;
}

/** A page list longer than this is cut in the log (one observation stays one small write). */
const MAX_PAGES_PER_OBSERVATION = 5000;

export interface MonitorReport extends DriftReport {
  baselineFile: string;
  logFile: string;
  /** When the baseline file was last changed (null: none marked yet). */
  baselineUpdatedAt: string | null;
  /** Why the baseline file could not be read (it is then ignored), null when fine. */
  baselineError: string | null;
}

export interface MarkResult {
  baseline: Baseline;
  marked: FeatureName[];
  skipped: { feature: FeatureName; values: number }[];
  file: string;
}

export function monitorDir(dataDir: string): string {
  return path.join(dataDir, 'monitor');
}

export class MonitorService {
  readonly logFile: string;
  readonly baselineFile: string;
  private readonly monitor: DriftMonitor;
  private appends: Promise<void> = Promise.resolve();
  private log = { ino: -1, offset: 0, lines: 0, partial: '' };
  private baselineStamp = '';
  private baseline: Baseline | null = null;
  private baselineError: string | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    dataDir: string,
    readonly settings: MonitorSettings,
    private readonly onError: (message: string) => void = () => {},
  ) {
    const dir = monitorDir(dataDir);
    this.logFile = path.join(dir, 'observations.jsonl');
    this.baselineFile = path.join(dir, 'baseline.json');
    this.monitor = new DriftMonitor({ windowSize: settings.windowSize, minValues: settings.minValues });
  }

  observeAsk(result: AskResult): void {
    this.record(askObservation(result));
  }

  observeIngest(outcome: IngestOutcome): void {
    const o = ingestObservation(outcome);
    if (o) this.record({ ...o, charsPerPage: o.charsPerPage.slice(0, MAX_PAGES_PER_OBSERVATION) });
  }

  /** Appends an observation to the log (in order, in the background; `flush` waits for it). Failures are reported, never thrown. */
  record(o: Observation): void {
    const line = JSON.stringify(o) + '\n';
    this.appends = this.appends.then(async () => {
      try {
        await fs.mkdir(path.dirname(this.logFile), { recursive: true });
        await fs.appendFile(this.logFile, line);
      } catch (err) {
        this.onError(`monitor: could not append to ${this.logFile}: ${errorMessage(err)}`);
      }
    });
  }

  flush(): Promise<void> {
    return this.appends;
  }

  /** The drift of the sliding window against the baseline, after reading what the files gained since the last call. */
  async report(): Promise<MonitorReport> {
    await this.flush();
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
    await this.refreshing;
    return {
      ...this.monitor.report(),
      baselineFile: this.baselineFile,
      logFile: this.logFile,
      baselineUpdatedAt: this.baseline?.updatedAt ?? null,
      baselineError: this.baselineError,
    };
  }

  /** Every logged observation with since <= t < until (Unix ms). */
  async observationsBetween(since: number, until: number): Promise<Observation[]> {
    await this.flush();
    const { observations } = await this.readAll();
    return observations.filter((o) => o.t >= since && o.t < until);
  }

  /** Marks the features observed in [since, until) as the baseline (each needs minValues values). */
  async markWindow(since: Date, until: Date, only?: readonly FeatureName[]): Promise<MarkResult> {
    const values = featureValues(await this.observationsBetween(since.getTime(), until.getTime()));
    return this.mark(values, { kind: 'window', since: since.toISOString(), until: until.toISOString() }, only);
  }

  /** Marks the ask features of a stored open-mode eval run as the baseline. */
  async markEvalRun(run: EvalResult, only?: readonly FeatureName[]): Promise<MarkResult> {
    return this.mark(evalRunValues(run), evalRunSource(run), only);
  }

  async currentBaseline(): Promise<Baseline | null> {
    await this.refreshBaseline();
    return this.baseline;
  }

  private async mark(values: Partial<Record<FeatureName, number[]>>, source: Parameters<typeof markBaseline>[2], only?: readonly FeatureName[]): Promise<MarkResult> {
    const previous = (await this.currentBaseline()) ?? emptyBaseline();
    const result = markBaseline(previous, values, source, { minValues: this.settings.minValues, ...(only ? { only } : {}) });
    if (result.marked.length > 0) {
      await fs.mkdir(path.dirname(this.baselineFile), { recursive: true });
      const tmp = `${this.baselineFile}.${process.pid}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(result.baseline) + '\n');
      await fs.rename(tmp, this.baselineFile);
      await this.refreshBaseline();
    }
    return { ...result, file: this.baselineFile };
  }

  private async refresh(): Promise<void> {
    await this.refreshBaseline();
    let stat;
    try {
      stat = await fs.stat(this.logFile);
    } catch {
      if (this.log.ino !== -1) this.monitor.clear();
      this.log = { ino: -1, offset: 0, lines: 0, partial: '' };
      return;
    }
    if (stat.ino !== this.log.ino || stat.size < this.log.offset) {
      this.monitor.clear();
      this.log = { ino: stat.ino, offset: 0, lines: 0, partial: '' };
    }
    if (stat.size > this.log.offset) {
      const handle = await fs.open(this.logFile, 'r');
      try {
        const length = stat.size - this.log.offset;
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, this.log.offset);
        this.log.offset += bytesRead;
        const text = this.log.partial + buf.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        this.log.partial = lines.pop() ?? '';
        for (const line of lines) {
          const o = parseLine(line);
          if (!o) continue;
          this.log.lines++;
          this.monitor.observe(o);
        }
      } finally {
        await handle.close();
      }
    }
    if (this.log.lines > 2 * this.settings.retain) await this.compact();
  }

  /** Rewrites the log with its newest `retain` observations (atomically: a new file renamed over the old). */
  private async compact(): Promise<void> {
    const { observations } = await this.readAll();
    const kept = observations.slice(-this.settings.retain);
    const tmp = `${this.logFile}.${process.pid}.tmp`;
    await fs.writeFile(tmp, kept.map((o) => JSON.stringify(o) + '\n').join(''));
    await fs.rename(tmp, this.logFile);
    this.monitor.clear();
    this.log = { ino: -1, offset: 0, lines: 0, partial: '' };
    await this.refresh();
  }

  private async readAll(): Promise<{ observations: Observation[] }> {
    let text: string;
    try {
      text = await fs.readFile(this.logFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { observations: [] };
      throw err;
    }
    const observations: Observation[] = [];
    for (const line of text.split('\n')) {
      const o = parseLine(line);
      if (o) observations.push(o);
    }
    return { observations };
  }

  private async refreshBaseline(): Promise<void> {
    let stamp: string;
    try {
      const s = await fs.stat(this.baselineFile);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      this.baseline = null;
      this.baselineError = null;
      this.baselineStamp = '';
      this.monitor.setBaseline(null);
      return;
    }
    if (stamp === this.baselineStamp) return;
    this.baselineStamp = stamp;
    try {
      const parsed = parseBaseline(JSON.parse(await fs.readFile(this.baselineFile, 'utf8')));
      this.baseline = parsed;
      this.baselineError = parsed ? null : `${this.baselineFile} is not a docqa monitor baseline`;
    } catch (err) {
      this.baseline = null;
      this.baselineError = `${this.baselineFile}: ${errorMessage(err)}`;
    }
    if (this.baselineError) this.onError(`monitor: ${this.baselineError} (ignored)`);
    this.monitor.setBaseline(this.baseline);
  }
}

function parseLine(line: string): Observation | null {
  if (line.trim() === '') return null;
  try {
    return parseObservation(JSON.parse(line));
  } catch {
    return null;
  }
}
