import client from 'prom-client';
import type { AskResult } from '../qa/answer.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SCORE_BUCKETS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

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
  readonly answerScore = new client.Histogram({
    name: 'docqa_answer_score',
    help: 'Score of the best answer per question (0..1)',
    buckets: SCORE_BUCKETS,
    registers: [this.registry],
  });
  readonly noAnswerScore = new client.Histogram({
    name: 'docqa_no_answer_score',
    help: 'No-answer score per question (0..1)',
    buckets: SCORE_BUCKETS,
    registers: [this.registry],
  });
  readonly ingestDocuments = new client.Counter({
    name: 'docqa_ingest_documents_total',
    help: 'Documents ingested, by outcome (created, replaced, unchanged, failed)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly ingestPassages = new client.Counter({
    name: 'docqa_ingest_passages_total',
    help: 'Passages written by ingestion',
    registers: [this.registry],
  });
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
    this.noAnswerScore.observe(result.noAnswer.score);
    if (result.noAnswer.chosen) this.noAnswers.inc();
    const best = result.answers[0];
    if (best) this.answerScore.observe(best.score);
  }

  /** A gauge whose value is read at scrape time. */
  gauge(name: string, help: string, read: () => Promise<number> | number): void {
    new client.Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }
}
