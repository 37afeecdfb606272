import { z } from 'zod';
import {
  DEFAULT_PASSAGE_PAGE,
  MAX_ANSWER_TOP_K,
  MAX_FEEDBACK_ANSWER_CHARS,
  MAX_FEEDBACK_COMMENT_CHARS,
  MAX_PASSAGE_PAGE,
  MAX_QUESTION_CHARS,
  MAX_RETRIEVER_TOP_K,
} from '../config.js';
import { VERDICTS } from '../querylog/record.js';

const stringOrList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

export const filtersSchema = z
  .object({
    docIds: z.array(z.string()).optional(),
    names: z.array(z.string()).optional(),
    meta: z.record(z.string(), stringOrList).optional(),
  })
  .strict();

export const askSchema = z
  .object({
    question: z.string().trim().min(1, 'must not be empty').max(MAX_QUESTION_CHARS),
    topK: z.number().int().min(1).max(MAX_ANSWER_TOP_K).optional(),
    retrieverTopK: z.number().int().min(1).max(MAX_RETRIEVER_TOP_K).optional(),
    filters: filtersSchema.optional(),
    minConfidence: z.number().min(0).max(1).optional(),
  })
  .strict();

/** POST /v1/feedback: a user's verdict on one ask (its `id`), idempotent per ask (a re-post replaces it). */
export const feedbackSchema = z
  .object({
    askId: z.string().trim().min(1, 'must not be empty').max(200),
    verdict: z.enum(VERDICTS),
    answerIndex: z.number().int().min(0).max(MAX_ANSWER_TOP_K - 1).optional(),
    correctAnswer: z.string().trim().min(1, 'must not be empty').max(MAX_FEEDBACK_ANSWER_CHARS).optional(),
    comment: z.string().max(MAX_FEEDBACK_COMMENT_CHARS).optional(),
  })
  .strict();

/** The longest document name (characters), whichever way it comes (JSON, multipart, ?name=). */
export const MAX_DOCUMENT_NAME_CHARS = 1024;

/**
 * A document name, the one validator of JSON `name`, the multipart field or file name and `?name=`: trimmed, 1 to
 * MAX_DOCUMENT_NAME_CHARS characters, no control characters (CR, LF, ESC, ...) and no lone surrogates.
 */
export const documentNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_DOCUMENT_NAME_CHARS)
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters (CR, LF, ESC, ...)')
  .refine((s) => !/\p{Cs}/u.test(s), 'must be valid Unicode (a lone surrogate)');

export const textDocumentSchema = z
  .object({
    name: documentNameSchema,
    text: z.string(),
    meta: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const listSchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** GET /v1/documents/:id: passages are paged (a big document has tens of thousands). */
export const documentQuerySchema = z.object({
  passages: z.enum(['true', 'false']).default('false'),
  passageOffset: z.coerce.number().int().min(0).default(0),
  passageLimit: z.coerce.number().int().min(1).max(MAX_PASSAGE_PAGE).default(DEFAULT_PASSAGE_PAGE),
});

/** JSON inside a form field. */
const jsonField = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON' });
    return z.NEVER;
  }
});

/** The text fields of a multipart document upload (the file itself is the part `file`). */
export const uploadFieldsSchema = z
  .object({
    name: documentNameSchema.optional(),
    meta: jsonField.pipe(z.record(z.string(), z.string())).optional(),
  })
  .strict();
