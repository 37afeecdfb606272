/**
 * The zod schemas of the HTTP API's replies: what the OpenAPI document declares and what
 * test/api/openapi.test.ts checks every real reply against. The domain types the routes send must fit them (the
 * compile-time checks at the bottom), so the types, the schemas and the replies cannot drift apart silently.
 */
import { z } from 'zod';
import type { DocumentRecord, Passage } from '../documents/document.js';
import type { FileReport } from '../ingest/report.js';
import type { AskResult } from '../qa/answer.js';
import { VERDICTS } from '../querylog/record.js';
import type { FeedbackOutcome } from '../querylog/recorder.js';
import type { MonitorReport } from '../monitor/service.js';
import { ERROR_CODES } from './errors.js';

export const errorReplySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      field: z.string().optional().meta({ description: 'The request field at fault (400)' }),
      requestId: z.string().optional().meta({ description: "The request's id (X-Request-Id), as in the log" }),
    }),
  })
  .meta({ id: 'ErrorReply', description: 'Every error reply' });

const documentRefSchema = z.object({ id: z.string(), name: z.string() });

export const answerSchema = z
  .object({
    text: z.string(),
    confidence: z.number().min(0).max(1).meta({ description: 'The estimated probability that the answer is correct' }),
    score: z.number().meta({ description: "For experts: the reader's span score within its passage, 0..1" }),
    logit: z.number().meta({ description: 'For experts: start + end logit' }),
    rankScore: z.number().meta({ description: 'For experts: what answers are ranked by' }),
    document: documentRefSchema,
    page: z.number().int().nullable().meta({ description: '1-based page of the answer; null when the document has no pages' }),
    charStart: z.number().int().meta({ description: 'Offset of the answer in the document text (UTF-16 code units)' }),
    charEnd: z.number().int(),
    context: z.string().meta({ description: 'The passage text around the answer' }),
    offsetsInContext: z.object({ start: z.number().int(), end: z.number().int() }),
    passageId: z.string(),
    retrieverScore: z.number().meta({ description: "The passage's BM25 score" }),
  })
  .meta({ description: 'One answer, traced to the exact characters (and page) of its document' });

export const noAnswerSchema = z
  .object({
    chosen: z.boolean().meta({ description: 'true: docqa found no answer it trusts (any answers are only candidates)' }),
    minConfidence: z.number(),
    bestConfidence: z.number().nullable(),
    calibrated: z.boolean(),
    readerNoAnswerScore: z.number(),
    reason: z.string().meta({ description: "The decision in words ('' when answering)" }),
  })
  .meta({ description: "docqa's decision to answer or not, and why" });

export const askReplySchema = z.object({
  id: z.string().meta({ description: "The ask's id (also X-Request-Id): POST /v1/feedback takes a verdict on it" }),
  question: z.string(),
  answers: z.array(answerSchema),
  noAnswer: noAnswerSchema,
  timings: z.object({ retrieveMs: z.number(), readMs: z.number(), totalMs: z.number() }),
  model: z.object({ name: z.string(), version: z.string() }),
  retrieved: z.number().int().meta({ description: 'Passages read' }),
});

/** A metadata value as stored: a string (ISO-8601 date strings are dates), number, boolean, or a list of them. */
const metaValueReply = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);

export const documentRecordSchema = z.object({
  id: z.string(),
  name: z.string().meta({ description: 'Display name; several documents may share it' }),
  source: z.string().meta({ description: "The document's identity: the path as given to `docqa ingest`, or the `source` given (default: the name)" }),
  meta: z.record(z.string(), metaValueReply),
  pageCount: z.number().int(),
  passageCount: z.number().int(),
  charCount: z.number().int(),
  createdAt: z.string().meta({ description: 'ISO-8601 time the document was written' }),
});

export const passageSchema = z.object({
  id: z.string(),
  docId: z.string(),
  text: z.string(),
  charStart: z.number().int(),
  charEnd: z.number().int(),
  page: z.number().int().nullable(),
  seq: z.number().int(),
  heading: z.string().optional(),
});

export const documentDetailSchema = documentRecordSchema.extend({
  passages: z.array(passageSchema).optional().meta({ description: 'With `?passages=true`: one page of passages' }),
  passagePage: z
    .object({ offset: z.number().int(), limit: z.number().int(), total: z.number().int() })
    .optional()
    .meta({ description: 'With `?passages=true`: which page of passages, and how many there are' }),
});

export const documentListSchema = z.object({
  documents: z.array(documentRecordSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const ingestReportSchema = z
  .object({
    name: z.string(),
    source: z.string(),
    status: z.enum(['created', 'replaced', 'unchanged', 'failed']),
    documentId: z.string().optional(),
    format: z.string().optional(),
    pages: z.number().int(),
    passages: z.number().int(),
    chars: z.number().int(),
    warnings: z.array(z.string()),
    skipped: z.boolean().optional(),
    duplicateOf: z.string().optional(),
    reason: z.string().optional(),
    errorCode: z.string().optional(),
    failure: z.string().optional(),
    ms: z.number(),
    emptyPages: z.number().int().optional(),
    looksScanned: z.boolean().optional(),
  })
  .meta({ description: 'The outcome of ingesting one document' });

export const ingestBatchReplySchema = z
  .object({
    files: z.array(ingestReportSchema),
    summary: z.object({
      total: z.number().int(),
      created: z.number().int(),
      replaced: z.number().int(),
      unchanged: z.number().int(),
      failed: z.number().int(),
    }),
  })
  .meta({ description: 'The outcome of a multipart upload of several files (field `files`): one report per file' });

export const feedbackReplySchema = z.object({
  askId: z.string(),
  status: z.enum(['created', 'replaced']).meta({ description: "created: the ask's first feedback; replaced: it replaced the earlier one" }),
  feedback: z.object({
    verdict: z.enum(VERDICTS),
    answerIndex: z.number().int().nullable().meta({ description: 'The answer judged; null: the verdict is on the no-answer decision' }),
    correctAnswer: z.string().nullable(),
    comment: z.string().nullable(),
    time: z.string().meta({ description: 'When the feedback was (last) given (ISO 8601, UTC)' }),
  }),
});

const driftStatus = z.enum(['ok', 'warning', 'critical', 'no_baseline', 'insufficient_data']);

export const monitorReplySchema = z.object({
  windowSize: z.number().int(),
  minValues: z.number().int(),
  thresholds: z.object({ warning: z.number(), critical: z.number() }),
  lastObservationAt: z.number().nullable().meta({ description: 'Unix ms of the newest observation in the window' }),
  features: z.array(
    z.object({
      feature: z.string(),
      kind: z.enum(['continuous', 'binary']),
      description: z.string(),
      psi: z.number().nullable(),
      ks: z.object({ statistic: z.number(), pValue: z.number() }).nullable(),
      status: driftStatus,
      window: z.object({ values: z.number().int(), mean: z.number().nullable() }),
      baseline: z
        .object({
          values: z.number().int(),
          mean: z.number(),
          source: z.union([
            z.object({ kind: z.literal('eval-run'), runId: z.string(), dataset: z.string(), model: z.string(), createdAt: z.string() }),
            z.object({ kind: z.literal('window'), since: z.string(), until: z.string() }),
          ]),
          markedAt: z.string(),
        })
        .nullable(),
    }),
  ),
  baselineFile: z.string(),
  logFile: z.string(),
  baselineUpdatedAt: z.string().nullable(),
  baselineError: z.string().nullable(),
});

export const healthReplySchema = z.object({ status: z.literal('ok') });

export const readyReplySchema = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean() }).catchall(z.unknown())),
});

// Compile-time checks: what the routes send fits the declared replies.
type Fits<T, Schema extends z.ZodType> = T extends z.input<Schema> ? true : never;
const fits = <_ extends true>() => undefined;
fits<Fits<Omit<AskResult, 'candidates' | 'passages'> & { id: string }, typeof askReplySchema>>();
fits<Fits<FeedbackOutcome, typeof feedbackReplySchema>>();
fits<Fits<MonitorReport, typeof monitorReplySchema>>();
fits<Fits<DocumentRecord, typeof documentRecordSchema>>();
fits<Fits<Passage, typeof passageSchema>>();
fits<Fits<FileReport, typeof ingestReportSchema>>();
