import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** The package root (where package.json, models/ and corpus/ live), wherever the process was started from. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_MODEL_DIR = path.join(PACKAGE_ROOT, 'models', 'minilm-l6-squad');

/** "No answer" below this confidence, for a model without a calibrator and no DOCQA_MIN_CONFIDENCE. */
export const DEFAULT_MIN_CONFIDENCE = 0.5;
/** Reader-mode evaluation's no-answer threshold when neither DOCQA_NO_ANSWER_THRESHOLD nor the model manifest gives one. */
export const DEFAULT_NO_ANSWER_THRESHOLD = 0.5;
/** The longest question (characters) docqa accepts, from the API, the CLI or an eval set. */
export const MAX_QUESTION_CHARS = 2000;
/** The most answers returned / passages read per question: the bounds of the settings and of a request's topK / retrieverTopK. */
export const MAX_ANSWER_TOP_K = 100;
export const MAX_RETRIEVER_TOP_K = 1000;
/** GET /v1/documents/:id?passages=true: passages per page by default (passageLimit) and at most. */
export const DEFAULT_PASSAGE_PAGE = 500;
export const MAX_PASSAGE_PAGE = 5000;
/** Feedback (POST /v1/feedback) bounds: the longest correctAnswer and comment (characters). */
export const MAX_FEEDBACK_ANSWER_CHARS = 1000;
export const MAX_FEEDBACK_COMMENT_CHARS = 2000;
/** The most query-log records one `docqa queries list|export` / `docqa feedback export` call returns. */
export const MAX_QUERY_LOG_PAGE = 100_000;
/** The most files one multipart upload may carry in its `files` field (each up to maxUploadBytes). */
export const MAX_UPLOAD_FILES = 10;
/**
 * The deepest element nesting docqa parses in an HTML file, in the HTML mammoth makes of a DOCX, and in a DOCX's
 * XML parts; deeper files fail fast as 'corrupt' (src/documents/nesting.ts). The parsers' cost grows with the
 * depth times the size (a 50,000-deep file held a conversion worker past its time limit); real documents stay
 * far below (browsers stop nesting at 512).
 */
export const MAX_NESTING_DEPTH = 1000;
/**
 * Bounds of document metadata and search filters (the same for the API, the CLI and the stores, see
 * src/documents/metadata.ts and src/store/filters.ts): keys per document / per filter, values per key or per list,
 * characters per key and per string value.
 */
export const METADATA_LIMITS = {
  keysPerDocument: 64,
  valuesPerKey: 100,
  keyChars: 64,
  stringChars: 1024,
  filterKeys: 32,
  filterValues: 1000,
} as const;

/** The node URLs of DOCQA_ES_URL (comma-separated). */
export function esNodeUrls(esUrl: string): string[] {
  return esUrl
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0));

/**
 * Every setting, its environment variable and its default. The environment variable of `fooBar` is
 * `DOCQA_FOO_BAR`. This is the one place settings are declared and validated.
 */
const schema = z.object({
  dataDir: z.string().min(1).default('./data'),
  store: z.enum(['sqlite', 'elasticsearch']).default('sqlite'),
  /**
   * SQLite: documents of more passages than this are written and deleted in transactions of at most this many
   * passages (and storeWriteSliceMs) with the event loop free in between (visible or gone at once, whole); 0: every document in one transaction
   * (the old path, kept for bench/load's comparison). docs/performance.md#uploads.
   */
  storeWriteChunk: int(0, 1_000_000).default(500),
  /** SQLite: a chunk's transaction ends once it has run this many ms, so the event loop is never held much longer. */
  storeWriteSliceMs: num(1, 60_000).default(10),
  /**
   * SQLite: where those chunks' transactions run: 'worker', a thread with its own connection (SQLite's checkpoints and
   * FTS5 merges off the event loop), or 'main', the event loop between yields. docs/performance.md#uploads.
   */
  storeWriteThread: z.enum(['main', 'worker']).default('worker'),
  modelDir: z.string().min(1).default(DEFAULT_MODEL_DIR),
  /** The ONNX file inside modelDir (the default model ships model.onnx, int8). */
  modelFile: z.string().min(1).default('model.onnx'),
  port: int(0, 65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // Elasticsearch
  /** One node's URL, or several comma-separated (nodes of one cluster: a request to a dead node is retried on another). */
  esUrl: z
    .string()
    .refine((v) => esNodeUrls(v).length > 0 && esNodeUrls(v).every(isHttpUrl), 'a URL (http or https), or several separated by commas')
    .default('http://127.0.0.1:9200'),
  esIndex: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, _ and -').default('docqa'),
  esApiKey: z.string().optional(),
  esUsername: z.string().optional(),
  esPassword: z.string().optional(),
  esCaFile: z.string().optional(),
  esTimeoutMs: int(100, 600_000).default(30_000),
  esAnalyzer: z.string().min(1).default('standard'),
  /** Primary shards of each new passage and documents index (a fixed setting of an index: see docs/elasticsearch.md, Cluster). */
  esShards: int(1, 128).default(1),
  /**
   * Replica copies of every shard: a number (e.g. 1: each shard on two nodes, survives the loss of one), or an
   * auto-expand range `min-max` / `min-all` that follows the number of nodes. The default `0-1` is green on one
   * node and keeps one replica from two nodes on. Applied to new indices and, at start-up, to the live ones.
   */
  esReplicas: z.coerce
    .string()
    .regex(/^(\d{1,2}|\d{1,2}-(\d{1,2}|all))$/, 'a number of replicas (e.g. 1) or an auto-expand range (e.g. 0-1 or 0-all)')
    .refine((v) => {
      const [lo, hi] = v.split('-');
      return hi === undefined || hi === 'all' || Number(lo) <= Number(hi);
    }, 'an auto-expand range min-max needs min <= max')
    .default('0-1'),
  /**
   * A write that has not committed this long after it started is taken for dead (a killed process): the orphan
   * sweep at the start of an ingest batch or a server deletes its passages. Far above one document's write time.
   */
  esOrphanGraceMs: int(0, 7 * 24 * 3_600_000).default(10 * 60_000),

  // Retrieval and reading
  retrieverTopK: int(1, MAX_RETRIEVER_TOP_K).default(10),
  answerTopK: int(1, MAX_ANSWER_TOP_K).default(3),
  /**
   * How answers from different passages are ranked: 'margin' (start+end logits minus the window's no-answer
   * logits), 'logit' (start+end logits) or 'probability' (Hugging Face's per-window score). See src/qa/ranking.ts.
   */
  answerRanking: z.enum(['margin', 'logit', 'probability']).default('margin'),
  /** Added to an answer's rank: this weight times its passage's BM25 score relative to the best passage's. */
  retrieverWeight: num(0, 1000).default(5),
  maxSeqLength: int(32, 4096).default(384),
  docStride: int(0, 4096).default(128),
  maxQuestionLength: int(4, 512).default(64),
  maxAnswerLength: int(1, 512).default(15),
  /**
   * docqa answers only when the best answer's confidence (the estimated probability that it is correct) is at
   * least this (0..1); default: the model's calibration (manifest.json), else 0.5. Per request: `minConfidence`.
   */
  minConfidence: num(0, 1).optional(),
  /** Reader-mode evaluation only: "no answer" when the reader's no-answer probability is at or above this. */
  noAnswerThreshold: num(0, 1).optional(),
  /** Characters of context shown on each side of an answer. */
  contextChars: int(0, 10_000).default(120),
  readerBatchSize: int(1, 1024).default(16),
  /** onnxruntime intra-op threads per session; 0: onnxruntime's default in-thread, the cores shared out over reader workers. */
  threads: int(0, 256).default(0),
  /**
   * Worker threads that read questions off the event loop (each with its own ONNX session, see
   * docs/performance.md); 0 reads in the main thread (the old path, kept for comparison).
   */
  readerWorkers: int(0, 64).default(1),
  /**
   * Nice value of the reader worker threads and of onnxruntime's threads they start (Linux: a per-thread
   * setting): the event loop, which serves /healthz, /metrics and uploads, goes first when the cores are busy
   * reading (bench/load: /healthz p99 6 vs 15 ms at 16 clients, answers/s -2 %, docs/performance.md). 0 (the
   * default): no change. Off by default because the model then also loads at that priority, before docqa
   * listens: on a machine kept busy by other processes, start-up took over a minute at 10.
   */
  readerNice: int(0, 19).default(0),
  /**
   * Micro-batching across concurrent asks: windows arriving within this many ms share one session run of at most
   * readerBatchSize windows, length-bucketed. 0: off (each ask runs its own batches). Off by default: on 2 CPU
   * cores it did not raise throughput (docs/performance.md).
   */
  readerBatchWaitMs: num(0, 1000).default(0),
  executionProvider: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),

  // Ingestion
  passageWords: int(10, 2000).default(150),
  passageOverlap: int(0, 1000).default(30),
  maxFileBytes: int(1, 2 ** 40).default(50 * 1024 * 1024),
  fileTimeoutMs: int(100, 3_600_000).default(60_000),
  ingestConcurrency: int(1, 64).default(2),
  /**
   * Files up to this many bytes are converted in a lane of their own (one more worker thread), so small uploads do
   * not wait behind big, slow conversions; 0: one lane for all files.
   */
  ingestSmallFileBytes: int(0, 2 ** 40).default(1024 * 1024),
  /** Heap limit (MiB) of each conversion worker thread; a file that needs more fails alone ('out_of_memory'). */
  fileMemoryMb: int(64, 65_536).default(1024),

  // Query log and feedback (src/querylog): in <dataDir>/querylog.sqlite, or the index <esIndex>-queries
  /** Record every HTTP ask (id, question, answers, decision, model, timings, filters) and accept feedback on it. */
  queryLog: bool.default(true),
  /** false: the log keeps only the question's sha256 and length, never its text (privacy). */
  logQuestions: bool.default(true),
  /** Records older than this many days are deleted (0: kept however old). */
  queryLogRetentionDays: num(0, 36_500).default(30),
  /** At most this many records are kept, the oldest deleted first (0: no limit). */
  queryLogMaxRows: int(0, 1_000_000_000).default(1_000_000),
  /** How often `serve` enforces the retention (it also does at start). */
  queryLogPruneIntervalMs: int(1000, 7 * 24 * 3_600_000).default(3_600_000),

  // Drift monitor (src/monitor/): the sliding window compared with the baseline, and the observation log
  /** Most recent values per feature compared with the baseline. */
  monitorWindow: int(10, 1_000_000).default(1000),
  /** Fewest values (in the window and in the baseline) for a drift figure; fewer: 'insufficient_data'. */
  monitorMinValues: int(1, 1_000_000).default(100),
  /** Observations kept in <data-dir>/monitor/observations.jsonl (to mark a past time window as the baseline). */
  monitorRetain: int(100, 10_000_000).default(50_000),

  // HTTP
  /** Plain keys with every scope (simple setups); scoped keys: `docqa keys create` (stored hashed in dataDir/keys.db). */
  apiKeys: list.default([]),
  maxUploadBytes: int(1, 2 ** 40).default(50 * 1024 * 1024),
  /** The largest body of POST /v1/ask (after decompression). */
  maxAskBytes: int(256, 1024 * 1024).default(16 * 1024),
  /** The largest JSON body of any other route that does not set its own limit (after decompression). */
  maxJsonBytes: int(256, 2 ** 30).default(64 * 1024),
  /** `/metrics`: open to anyone, or only to keys with the admin scope (when keys are configured). */
  metricsAuth: z.enum(['open', 'admin']).default('open'),
  /** Requests per minute per key (per client address without keys) on /v1; 0: no limit. */
  rateLimitPerMinute: int(0, 1_000_000).default(600),
  /** Asks read at once; more wait in a queue of maxQueuedAsks, beyond which asks are shed with 503. */
  maxConcurrentAsks: int(1, 1024).default(4),
  maxQueuedAsks: int(0, 100_000).default(32),
  /** The server-side ceiling of a request's retrieverTopK (passages read per question). */
  maxRequestRetrieverTopK: int(1, MAX_RETRIEVER_TOP_K).default(100),
  /** A whole request (headers and body) must arrive within this; slower clients are cut (408). */
  requestTimeoutMs: int(1000, 3_600_000).default(60_000),
  headersTimeoutMs: int(1000, 600_000).default(20_000),
  /** SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to this long, then cut them. */
  shutdownTimeoutMs: int(0, 600_000).default(10_000),
  /** Origins allowed to call the API from a browser (CORS), comma-separated; `*` allows any. */
  corsOrigins: list.default([]),
  /** Host names accepted on writes without keys (DNS rebinding guard); default: loopback names and the listen host. */
  allowedHosts: list.default([]),
  /** Put each question's text in the access log too (off: the access log never holds questions). */
  accessLogQuestions: bool.default(false),
});

export type Config = z.infer<typeof schema>;

/** Every setting at its default (what loadConfig gives with no environment and no overrides). */
export const CONFIG_DEFAULTS: Readonly<Config> = Object.freeze(schema.parse({}));
export type ConfigInput = Partial<{ [K in keyof Config]: unknown }>;

const KEYS = Object.keys(schema.shape) as (keyof Config)[];

export function envName(key: string): string {
  return 'DOCQA_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

const ENV_TO_KEY = new Map(KEYS.map((k) => [envName(k), k]));

/**
 * Builds the config from the environment (DOCQA_*) and explicit overrides (CLI flags win). Unknown DOCQA_
 * variables and invalid values throw a ConfigError that names the setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('DOCQA_') || value === undefined) continue;
    const key = ENV_TO_KEY.get(name);
    if (!key) {
      const near = closestName(name, [...ENV_TO_KEY.keys()]);
      throw new ConfigError(
        `unknown setting ${name}${near ? ` (did you mean ${near}?)` : ''} (known: ${[...ENV_TO_KEY.keys()].join(', ')})`,
      );
    }
    if (value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!ENV_TO_KEY.has(envName(key))) throw new ConfigError(`unknown setting ${key}`);
    raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new ConfigError(`invalid setting ${envName(key)} (${key}): ${issue.message}`);
  }
  const config = parsed.data;
  const givenKeys = raw.apiKeys;
  if ((typeof givenKeys === 'string' || (Array.isArray(givenKeys) && givenKeys.length > 0)) && config.apiKeys.length === 0) {
    throw new ConfigError(
      'invalid setting DOCQA_API_KEYS (apiKeys): it is set but holds no key (only commas or spaces); unset it to run without keys, or give at least one key',
    );
  }
  if (config.passageOverlap >= config.passageWords) {
    throw new ConfigError(
      `invalid setting DOCQA_PASSAGE_OVERLAP (passageOverlap): must be smaller than DOCQA_PASSAGE_WORDS (${config.passageWords})`,
    );
  }
  return config;
}

/** Edit distance (insert, delete, substitute one character). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name nearest to a misspelt one, when near enough (at most a third of its length apart). */
export function closestName(name: string, known: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(name, k);
    if (!best || d < best.d) best = { name: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}
