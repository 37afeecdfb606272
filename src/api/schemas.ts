import { z } from 'zod';
import {
  DEFAULT_PASSAGE_PAGE,
  MAX_ANSWER_TOP_K,
  MAX_FEEDBACK_ANSWER_CHARS,
  MAX_FEEDBACK_COMMENT_CHARS,
  MAX_PASSAGE_PAGE,
  MAX_QUESTION_CHARS,
  MAX_RETRIEVER_TOP_K,
  METADATA_LIMITS,
} from '../config.js';
import { VERDICTS } from '../querylog/record.js';
import { META_KEY_PATTERN, SYSTEM_META_KEYS } from '../documents/metadata.js';

// --- metadata and filters (the rules are src/documents/metadata.ts and src/store/filters.ts; the stores check again) ---

const KEY_RULE = "a metadata key is a letter or digit, then letters, digits, '_' or '-'";

/**
 * Checks an object's own keys before z.record sees them: z.record silently drops a key '__proto__' (JSON.parse makes
 * it an own key), which would turn a filter on it into no filter at all.
 */
function metaKeys(limit: number, what: string) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.length > limit) ctx.addIssue({ code: 'custom', message: `at most ${limit} ${what} (got ${keys.length})` });
    for (const key of keys) {
      if (key.length > METADATA_LIMITS.keyChars || !META_KEY_PATTERN.test(key)) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(key.slice(0, 80))}: ${KEY_RULE} (at most ${METADATA_LIMITS.keyChars})`, path: [key] });
      }
    }
    return value;
  };
}

/** A metadata value: a string (ISO-8601 date strings are dates), a finite number or a boolean. */
export const metaScalarSchema = z.union([z.string().max(METADATA_LIMITS.stringChars), z.number(), z.boolean()]);

/** Document metadata given at upload: typed values or lists of them; the system keys are docqa's. */
export const documentMetaSchema = z
  .preprocess(
    metaKeys(METADATA_LIMITS.keysPerDocument, 'keys'),
    z.record(z.string(), z.union([metaScalarSchema, z.array(metaScalarSchema).max(METADATA_LIMITS.valuesPerKey)])),
  )
  .superRefine((meta, ctx) => {
    for (const key of Object.keys(meta)) {
      if (SYSTEM_META_KEYS.includes(key)) {
        ctx.addIssue({ code: 'custom', message: `'${key}' is set by docqa (system keys: ${SYSTEM_META_KEYS.join(', ')})`, path: [key] });
      }
    }
  });

const rangeBound = z.union([z.number(), z.string().max(64)]);
const valueList = z.array(metaScalarSchema).max(METADATA_LIMITS.filterValues);

/** One metadata condition (src/store/filters.ts): a value, a list, {eq}, {in}, {range: {gte, lte}} or {exists}. */
export const metaConditionSchema = z.union([
  metaScalarSchema,
  valueList,
  z.object({ eq: metaScalarSchema }).strict(),
  z.object({ in: valueList }).strict(),
  z.object({ range: z.object({ gte: rangeBound.optional(), lte: rangeBound.optional() }).strict() }).strict(),
  z.object({ exists: z.boolean() }).strict(),
]);

const idList = z.array(z.string()).max(METADATA_LIMITS.filterValues);

export const filtersSchema = z
  .object({
    docIds: idList.optional(),
    names: idList.optional(),
    sources: idList.optional(),
    meta: z
      .preprocess(metaKeys(METADATA_LIMITS.filterKeys, 'keys'), z.record(z.string(), metaConditionSchema))
      .optional(),
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

/** A document's source (its identity, e.g. a URI; default: its name): like a name, up to 2048 characters. */
export const sourceSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(2048)
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters (CR, LF, ESC, ...)')
  .refine((s) => !/\p{Cs}/u.test(s), 'must be valid Unicode (a lone surrogate)');

export const textDocumentSchema = z
  .object({
    name: documentNameSchema,
    source: sourceSchema.optional(),
    text: z.string(),
    meta: documentMetaSchema.optional(),
  })
  .strict();

/** DELETE /v1/documents?source= or ?name= (exactly one). */
export const documentRefSchema = z
  .object({
    source: sourceSchema.optional(),
    name: documentNameSchema.optional(),
  })
  .strict()
  .refine((q) => (q.source === undefined) !== (q.name === undefined), { message: 'give exactly one of source, name' });

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
    source: sourceSchema.optional(),
    meta: jsonField.pipe(documentMetaSchema).optional(),
  })
  .strict();
