import client from 'prom-client';
import type { IngestOutcome } from '../ingest/ingestor.js';

const CHARS_PER_PAGE_BUCKETS = [0, 1, 100, 250, 500, 1000, 2000, 3000, 4000, 6000, 10_000];
const PASSAGE_WORD_BUCKETS = [1, 5, 10, 25, 50, 75, 100, 125, 150, 175, 200, 300, 500];

/**
 * Ingestion's data-quality series (issue 5): what goes into the index, per written document. The server exports
 * them as `docqa_ingest_*`; a `docqa ingest --metrics-file` run exports only these, as `docqa_cli_ingest_*`
 * (IngestRunMetrics), so a textfile collector's series never collide with the server's.
 */
export class IngestMetrics {
  readonly documents: client.Counter<'status'>;
  readonly passages: client.Counter;
  readonly pages: client.Counter;
  readonly emptyPages: client.Counter;
  readonly charsPerPage: client.Histogram;
  readonly passageWords: client.Histogram;
  readonly failures: client.Counter<'reason'>;
  readonly scanLike: client.Counter;
  readonly emptyPageRatio: client.Gauge;
  private pageTotals = { pages: 0, empty: 0 };

  constructor(registry: client.Registry, prefix = 'docqa_ingest') {
    const registers = [registry];
    this.documents = new client.Counter({ name: `${prefix}_documents_total`, help: 'Documents ingested, by outcome (created, replaced, unchanged, failed)', labelNames: ['status'] as const, registers });
    this.passages = new client.Counter({ name: `${prefix}_passages_total`, help: 'Passages written by ingestion', registers });
    this.pages = new client.Counter({ name: `${prefix}_pages_total`, help: 'Pages of the documents written by ingestion (paginated formats: PDF)', registers });
    this.emptyPages = new client.Counter({ name: `${prefix}_empty_pages_total`, help: 'Pages without any text (no text layer, blank) of the documents written by ingestion', registers });
    this.charsPerPage = new client.Histogram({ name: `${prefix}_chars_per_page`, help: 'Characters of text per page of the documents written by ingestion', buckets: CHARS_PER_PAGE_BUCKETS, registers });
    this.passageWords = new client.Histogram({ name: `${prefix}_passage_words`, help: 'Words per passage written by ingestion', buckets: PASSAGE_WORD_BUCKETS, registers });
    this.failures = new client.Counter({ name: `${prefix}_failures_total`, help: 'Files that could not be ingested, by reason (corrupt, encrypted, timeout, too_large, ...)', labelNames: ['reason'] as const, registers });
    this.scanLike = new client.Counter({ name: `${prefix}_scan_like_documents_total`, help: 'Documents written although most of their pages have no text layer (scans needing OCR)', registers });
    const totals = () => this.pageTotals;
    this.emptyPageRatio = new client.Gauge({
      name: `${prefix}_empty_page_ratio`,
      help: 'Share of the pages written by ingestion (since start) that have no text',
      registers,
      collect() {
        const { pages, empty } = totals();
        this.set(pages > 0 ? empty / pages : 0);
      },
    });
  }

  /** Records one file's ingest outcome: its status, and for written documents their data-quality figures. */
  observe(outcome: IngestOutcome): void {
    this.documents.inc({ status: outcome.status });
    if (outcome.status === 'failed') {
      this.failures.inc({ reason: outcome.failure ?? 'internal' });
      return;
    }
    if (outcome.status !== 'created' && outcome.status !== 'replaced') return;
    this.passages.inc(outcome.passages);
    const q = outcome.quality;
    if (!q) return;
    this.pages.inc(q.pages);
    this.emptyPages.inc(q.emptyPages);
    this.pageTotals.pages += q.pages;
    this.pageTotals.empty += q.emptyPages;
    for (const n of q.charsPerPage) this.charsPerPage.observe(n);
    for (const n of q.passageWords) this.passageWords.observe(n);
    if (q.looksScanned) this.scanLike.inc();
  }
}

/**
 * What `docqa ingest --metrics-file` writes: only this run's ingest series, prefixed `docqa_cli_ingest_`, plus when
 * the run started and ended and whether it succeeded (the usual batch-job gauges), on a registry of their own: no
 * server series, no process series.
 */
export class IngestRunMetrics {
  readonly registry = new client.Registry();
  readonly ingest = new IngestMetrics(this.registry, 'docqa_cli_ingest');
  private readonly started = new client.Gauge({ name: 'docqa_cli_ingest_run_start_timestamp_seconds', help: 'When the docqa ingest run started (Unix time)', registers: [this.registry] });
  private readonly ended = new client.Gauge({ name: 'docqa_cli_ingest_run_end_timestamp_seconds', help: 'When the docqa ingest run ended (Unix time)', registers: [this.registry] });
  private readonly duration = new client.Gauge({ name: 'docqa_cli_ingest_run_duration_seconds', help: 'How long the docqa ingest run took', registers: [this.registry] });
  private readonly success = new client.Gauge({ name: 'docqa_cli_ingest_run_success', help: '1 when every file of the docqa ingest run was ingested, else 0', registers: [this.registry] });
  private readonly startedAt = Date.now();

  constructor() {
    this.started.set(this.startedAt / 1000);
  }

  observe(outcome: IngestOutcome): void {
    this.ingest.observe(outcome);
  }

  /** Marks the end of the run and returns the Prometheus text. */
  async finish(success: boolean): Promise<string> {
    const now = Date.now();
    this.ended.set(now / 1000);
    this.duration.set((now - this.startedAt) / 1000);
    this.success.set(success ? 1 : 0);
    return this.registry.metrics();
  }
}
