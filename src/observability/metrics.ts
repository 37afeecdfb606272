import client from 'prom-client';
import type { AskResult } from '../qa/answer.js';
import type { IngestOutcome } from '../ingest/ingestor.js';
import type { StoreCounts } from '../store/store.js';
import type { DriftReport } from '../monitor/monitor.js';
import { IngestMetrics } from './ingest-metrics.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** How long a scrape waits for fresh store counts before it reports the last good ones. */
export const STORE_COUNTS_WAIT_MS = 1000;
const SCORE_BUCKETS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

/** Labels of the docqa_eval_* gauges. */
export const EVAL_LABELS = ['model', 'version', 'file', 'dataset', 'sample', 'mode', 'top_k'] as const;

/** One stored eval run as the docqa_eval_* gauges export it (scores in percent, like the official script). */
export interface EvalGaugeRow {
  labels: Record<(typeof EVAL_LABELS)[number], string>;
  exact: number;
  f1: number;
  hasAns: { exact: number; f1: number } | null;
  noAns: { exact: number; f1: number } | null;
  bestF1: number;
  /** k -> share 0..1 (open mode). */
  recallAtK: Record<string, number> | null;
  mrr: number | null;
  latencyP95Seconds: number;
  questions: number;
  timestampSeconds: number;
}

/** Windows of the rolling feedback precision (docqa_feedback_precision{window}), with their length in seconds. */
export const FEEDBACK_WINDOWS = { '1h': 3600, '24h': 86_400, '7d': 7 * 86_400 } as const;
export type FeedbackWindow = keyof typeof FEEDBACK_WINDOWS;

/** Feedback of one model version within one window, as the docqa_feedback_* gauges export it. */
export interface FeedbackPrecisionRow {
  model: string;
  version: string;
  window: FeedbackWindow;
  /** Asks judged (correct + partial + wrong) in the window, by the time of their feedback. */
  judged: number;
  correct: number;
  /** correct / judged; null when nothing was judged. */
  precision: number | null;
}

/** Waits for `p`, or `ms` at most (the timer does not keep the process alive). */
async function raceTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([p, waited]);
  clearTimeout(timer);
}

/**
 * A value read at scrape time from a source that may fail or hang: one read at a time however many scrapes come in,
 * a scrape waits for it at most a bounded time, and a failing or slow source leaves the last good value (with the
 * time it was read) instead of failing the scrape (issue 16).
 */
class LastGood<T> {
  value: T | null = null;
  /** When `value` was read (ms since the epoch); null before the first good read. */
  at: number | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly source: () => Promise<T> | T,
    private readonly onError: () => void = () => undefined,
  ) {}

  /** Starts a read unless one is already running; never rejects. */
  refresh(): Promise<void> {
    this.inFlight ??= Promise.resolve()
      .then(this.source)
      .then(
        (value) => {
          this.value = value;
          this.at = Date.now();
        },
        () => this.onError(),
      )
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Waits at most `waitMs` for a read, then returns the last good value. */
  async within(waitMs: number): Promise<T | null> {
    await raceTimeout(this.refresh(), waitMs);
    return this.value;
  }
}

/** What the query log gauges show, read from the log at scrape time. */
export interface QueryLogFigures {
  precision: FeedbackPrecisionRow[];
  /** Records in the log. */
  records: number;
}

/**
 * The service's Prometheus metrics, on a registry of their own (so tests and several apps in one process do not
 * collide). Everything exported on /metrics is declared here.
 */
export class Metrics {
  readonly registry = new client.Registry();

  readonly httpRequests = new client.Counter({
    name: 'docqa_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new client.Histogram({
    name: 'docqa_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly httpErrors = new client.Counter({
    name: 'docqa_http_errors_total',
    help: 'HTTP error replies by route, status and error code',
    labelNames: ['route', 'status', 'code'] as const,
    registers: [this.registry],
  });
  readonly askStage = new client.Histogram({
    name: 'docqa_ask_stage_duration_seconds',
    help: 'Time spent per stage of answering a question',
    labelNames: ['stage'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly questions = new client.Counter({
    name: 'docqa_questions_total',
    help: 'Questions answered',
    registers: [this.registry],
  });
  readonly noAnswers = new client.Counter({
    name: 'docqa_no_answer_total',
    help: 'Questions where docqa chose "no answer"',
    registers: [this.registry],
  });
  readonly passagesRead = new client.Counter({
    name: 'docqa_passages_read_total',
    help: 'Passages read by the reader (throughput)',
    registers: [this.registry],
  });
  readonly answerConfidence = new client.Histogram({
    name: 'docqa_answer_confidence',
    help: 'Confidence of the best answer per question (0..1, the estimated probability that it is correct)',
    buckets: SCORE_BUCKETS,
    registers: [this.registry],
  });
  readonly noAnswerScore = new client.Histogram({
    name: 'docqa_reader_no_answer_score',
    help: "The reader's own no-answer probability per question (0..1)",
    buckets: SCORE_BUCKETS,
    registers: [this.registry],
  });
  /** Ingestion's data-quality series, docqa_ingest_* (src/observability/ingest-metrics.ts). */
  readonly ingest = new IngestMetrics(this.registry);

  /** Records one file's ingest outcome: its status, and for written documents their data-quality figures. */
  observeIngest(outcome: IngestOutcome): void {
    this.ingest.observe(outcome);
  }

  readonly modelInfo = new client.Gauge({
    name: 'docqa_model_info',
    help: 'The loaded reader model (value 1)',
    labelNames: ['name', 'version'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) client.collectDefaultMetrics({ register: this.registry, prefix: 'docqa_' });
  }

  observeAsk(result: AskResult): void {
    this.questions.inc();
    this.passagesRead.inc(result.retrieved);
    this.askStage.observe({ stage: 'retrieve' }, result.timings.retrieveMs / 1000);
    this.askStage.observe({ stage: 'read' }, result.timings.readMs / 1000);
    this.askStage.observe({ stage: 'total' }, result.timings.totalMs / 1000);
    this.noAnswerScore.observe(result.noAnswer.readerNoAnswerScore);
    if (result.noAnswer.chosen) this.noAnswers.inc();
    if (result.noAnswer.bestConfidence !== null) this.answerConfidence.observe(result.noAnswer.bestConfidence);
  }

  /** A gauge whose value is read at scrape time. */
  gauge(name: string, help: string, read: () => Promise<number> | number): void {
    // like the store counts: a failing or hanging source keeps its last good value
    const reading = new LastGood(read);
    const wait = () => this.storeCountsWaitMs;
    new client.Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        const last = await reading.within(wait());
        if (last !== null) this.set(last);
      },
    });
  }

  // ---- Store counts (issue 16): cached, so that a scrape never fails or hangs while the store is down ----
  private storeCounts: LastGood<StoreCounts> | null = null;
  private storeCountsWaitMs = STORE_COUNTS_WAIT_MS;
  readonly storeCountErrors = new client.Counter({
    name: 'docqa_store_count_errors_total',
    help: 'Failed reads of the store counts behind docqa_store_documents/passages (the last good counts are kept)',
    registers: [this.registry],
  });

  /**
   * Starts reading the store counts unless a read is already running (at most one at a time, however many scrapes
   * come in while the store hangs). Call after writes to refresh early; never rejects.
   */
  refreshStoreCounts(): Promise<void> {
    return this.storeCounts?.refresh() ?? Promise.resolve();
  }

  /** The counts a scrape reports: a fresh read when the store answers within the wait, else the last good ones. */
  private async scrapedStoreCounts(): Promise<StoreCounts | null> {
    const counts = this.storeCounts;
    if (!counts) return null;
    // the gauges are collected one after the other in one scrape: read the store once per scrape
    if (counts.at === null || Date.now() - counts.at > 1000) return counts.within(this.storeCountsWaitMs);
    return counts.value;
  }

  /**
   * Exports docqa_store_documents and docqa_store_passages from `read` (the store's counts) and
   * docqa_store_counts_age_seconds. A scrape waits at most `waitMs` for a fresh read; when the store fails or is
   * slower, the scrape reports the last good counts (their age says how old), or 0 with an age of +Inf before the
   * first good read.
   */
  trackStoreCounts(read: () => Promise<StoreCounts>, options: { waitMs?: number } = {}): void {
    const first = this.storeCounts === null;
    this.storeCounts = new LastGood(read, () => this.storeCountErrors.inc());
    if (options.waitMs !== undefined) this.storeCountsWaitMs = options.waitMs;
    if (!first) return;
    const counts = () => this.scrapedStoreCounts();
    const cacheAt = () => this.storeCounts?.at ?? null;
    const countGauge = (name: string, help: string, key: keyof StoreCounts) =>
      new client.Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set((await counts())?.[key] ?? 0);
        },
      });
    countGauge('docqa_store_documents', 'Documents in the store (last good count, see docqa_store_counts_age_seconds)', 'documents');
    countGauge('docqa_store_passages', 'Passages in the store (last good count, see docqa_store_counts_age_seconds)', 'passages');
    new client.Gauge({
      name: 'docqa_store_counts_age_seconds',
      help: 'Age of the store counts reported by docqa_store_documents/passages (grows while the store is down; +Inf: never counted)',
      registers: [this.registry],
      collect() {
        const at = cacheAt();
        this.set(at === null ? Infinity : (Date.now() - at) / 1000);
      },
    });
  }
  // ---- end of store counts ----

  // ---- Evaluation scores (issue 6): the latest stored `docqa eval` run per model version, dataset, sample, mode
  // and top-k, read from ${dataDir}/eval/runs at scrape time (see src/eval/gauges.ts), so an alert can fire on a drop.
  private evalSource: (() => Promise<EvalGaugeRow[]>) | null = null;
  private evalCache: { at: number; rows: Promise<EvalGaugeRow[]> } | null = null;

  private evalRows(): Promise<EvalGaugeRow[]> {
    if (!this.evalSource) return Promise.resolve([]);
    const now = Date.now();
    // the gauges below are collected one after the other in one scrape: read the runs once per scrape
    if (!this.evalCache || now - this.evalCache.at > 1000) {
      this.evalCache = { at: now, rows: this.evalSource().catch(() => []) };
    }
    return this.evalCache.rows;
  }

  private evalGauge<L extends string>(name: string, help: string, extraLabels: readonly L[], values: (row: EvalGaugeRow) => [Partial<Record<L, string>>, number][]): void {
    const rows = () => this.evalRows();
    new client.Gauge<string>({
      name,
      help,
      labelNames: [...EVAL_LABELS, ...extraLabels] as string[],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await rows()) {
          for (const [extra, value] of values(row)) {
            if (Number.isFinite(value)) this.set({ ...row.labels, ...extra }, value);
          }
        }
      },
    });
  }

  /** Exports the latest eval scores; `load` is called at most once a second, at scrape time. */
  trackEvalScores(load: () => Promise<EvalGaugeRow[]>): void {
    const first = this.evalSource === null;
    this.evalSource = load;
    this.evalCache = null;
    if (!first) return;
    const subsets = (r: EvalGaugeRow, key: 'exact' | 'f1'): [{ subset: string }, number][] => [
      [{ subset: 'all' }, r[key]],
      ...(r.hasAns ? ([[{ subset: 'has_ans' }, r.hasAns[key]]] as [{ subset: string }, number][]) : []),
      ...(r.noAns ? ([[{ subset: 'no_ans' }, r.noAns[key]]] as [{ subset: string }, number][]) : []),
    ];
    this.evalGauge('docqa_eval_exact', 'Exact match (official SQuAD, percent) of the latest eval run', ['subset'], (r) => subsets(r, 'exact'));
    this.evalGauge('docqa_eval_f1', 'F1 (official SQuAD, percent) of the latest eval run', ['subset'], (r) => subsets(r, 'f1'));
    this.evalGauge('docqa_eval_best_f1', 'Best F1 (percent) over no-answer thresholds of the latest eval run', [], (r) => [[{}, r.bestF1]]);
    this.evalGauge('docqa_eval_recall_at_k', 'Open mode: share of answerable questions with a gold answer in the top k passages', ['k'], (r) =>
      Object.entries(r.recallAtK ?? {}).map(([k, v]) => [{ k }, v] as [{ k: string }, number]),
    );
    this.evalGauge('docqa_eval_mrr', 'Open mode: mean reciprocal rank of the first passage with a gold answer', [], (r) => (r.mrr === null ? [] : [[{}, r.mrr]]));
    this.evalGauge('docqa_eval_latency_p95_seconds', 'p95 latency per question of the latest eval run', [], (r) => [[{}, r.latencyP95Seconds]]);
    this.evalGauge('docqa_eval_questions', 'Questions evaluated in the latest eval run', [], (r) => [[{}, r.questions]]);
    this.evalGauge('docqa_eval_timestamp_seconds', 'When the latest eval run was made (Unix time)', [], (r) => [[{}, r.timestampSeconds]]);
  }
  // ---- end of evaluation scores ----

  // ---- Query log and feedback (issue 13): rolling precision from user feedback, computed from the query log at
  // scrape time (not from process memory, so it survives restarts); see src/querylog.
  readonly feedbackReceived = new client.Counter({
    name: 'docqa_feedback_received_total',
    help: 'Feedback posts accepted by this process, by verdict (POST /v1/feedback; a re-post replaces the ask\'s feedback)',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  readonly queryLogFailures = new client.Counter({
    name: 'docqa_query_log_write_failures_total',
    help: 'Asks answered but not recorded in the query log (the log store failed)',
    registers: [this.registry],
  });
  readonly queryLogReadErrors = new client.Counter({
    name: 'docqa_query_log_read_errors_total',
    help: 'Failed or slow reads of the query log behind docqa_feedback_* and docqa_query_log_records (the last good values are kept)',
    registers: [this.registry],
  });
  private queryLog: LastGood<QueryLogFigures> | null = null;

  /**
   * The figures a scrape reports: one read of the log per scrape (the gauges are collected together and share it),
   * waited for at most STORE_COUNTS_WAIT_MS; when the log fails or is slower, the last good figures.
   */
  private async queryLogFigures(): Promise<QueryLogFigures | null> {
    return this.queryLog?.within(this.storeCountsWaitMs) ?? null;
  }

  /**
   * Exports docqa_feedback_precision and docqa_feedback_judged per model, version and window (1h, 24h, 7d), and
   * docqa_query_log_records, read from `load` (the query log) at scrape time, so they survive restarts. A window
   * without feedback has no precision series.
   */
  trackQueryLog(load: () => Promise<QueryLogFigures>): void {
    const first = this.queryLog === null;
    this.queryLog = new LastGood(load, () => this.queryLogReadErrors.inc());
    if (!first) return;
    const figures = () => this.queryLogFigures();
    const labelNames = ['model', 'version', 'window'] as const;
    new client.Gauge({
      name: 'docqa_feedback_precision',
      help: 'Share of judged answers that users marked correct (correct / judged), per model version, over the last 1h / 24h / 7d of feedback',
      labelNames,
      registers: [this.registry],
      async collect() {
        const f = await figures();
        this.reset();
        for (const r of f?.precision ?? []) {
          if (r.precision !== null) this.set({ model: r.model, version: r.version, window: r.window }, r.precision);
        }
      },
    });
    new client.Gauge({
      name: 'docqa_feedback_judged',
      help: 'Asks with feedback (correct, partial or wrong), per model version, over the last 1h / 24h / 7d of feedback',
      labelNames,
      registers: [this.registry],
      async collect() {
        const f = await figures();
        this.reset();
        for (const r of f?.precision ?? []) this.set({ model: r.model, version: r.version, window: r.window }, r.judged);
      },
    });
    new client.Gauge({
      name: 'docqa_query_log_records',
      help: 'Asks kept in the query log',
      registers: [this.registry],
      async collect() {
        const f = await figures();
        if (f) this.set(f.records);
      },
    });
  }
  // ---- end of query log and feedback ----

  // ---- Drift (issue 13): the monitor's sliding window against its baseline (src/monitor/), read at scrape time ----
  private driftSource: (() => Promise<DriftReport>) | null = null;
  private driftCache: { at: number; report: Promise<DriftReport | null> } | null = null;

  private driftReport(): Promise<DriftReport | null> {
    if (!this.driftSource) return Promise.resolve(null);
    const now = Date.now();
    if (!this.driftCache || now - this.driftCache.at > 1000) {
      this.driftCache = { at: now, report: this.driftSource().catch(() => null) };
    }
    return this.driftCache.report;
  }

  /** Exports the drift gauges (docqa_drift_*{feature}); `load` is called at most once a second, at scrape time. */
  trackDrift(load: () => Promise<DriftReport>): void {
    const first = this.driftSource === null;
    this.driftSource = load;
    this.driftCache = null;
    if (!first) return;
    const report = () => this.driftReport();
    const gauge = (name: string, help: string, value: (f: DriftReport['features'][number]) => number | null | undefined) =>
      new client.Gauge({
        name,
        help,
        labelNames: ['feature'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const f of (await report())?.features ?? []) {
            const v = value(f);
            if (v !== null && v !== undefined && Number.isFinite(v)) this.set({ feature: f.feature }, v);
          }
        },
      });
    gauge('docqa_drift_psi', 'Population stability index of the feature in the sliding window against the baseline (> 0.1 moderate, > 0.2 significant drift)', (f) => f.psi);
    gauge('docqa_drift_ks_statistic', 'Two-sample Kolmogorov-Smirnov statistic D of the window against the baseline (continuous features)', (f) => f.ks?.statistic);
    gauge('docqa_drift_window_mean', 'Mean of the feature in the sliding window (for binary features: the rate)', (f) => f.window.mean);
    gauge('docqa_drift_baseline_mean', 'Mean of the feature in the baseline', (f) => f.baseline?.mean);
    gauge('docqa_drift_window_values', 'Values of the feature in the sliding window', (f) => f.window.values);
  }
  // ---- end of drift ----
}
