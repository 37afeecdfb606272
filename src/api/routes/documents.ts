import type { IncomingMessage } from 'node:http';
import express, { Router, type RequestHandler } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { MAX_UPLOAD_FILES } from '../../config.js';
import { BadInputError, NotFoundError, TooLargeError, UnsupportedMediaTypeError, errorMessage } from '../../errors.js';
import { CONVERTERS } from '../../documents/converters/index.js';
import { failedOutcome, type IngestInput, type Ingestor } from '../../ingest/ingestor.js';
import { fileReport } from '../../ingest/report.js';
import type { MonitorService } from '../../monitor/service.js';
import type { Metrics } from '../../observability/metrics.js';
import { findDocumentByName, findDocumentBySource } from '../../store/find.js';
import type { DocumentStore } from '../../store/store.js';
import { requireScope } from '../auth.js';
import type { ApiOperations } from '../openapi.js';
import { documentDetailSchema, documentListSchema, ingestBatchReplySchema, ingestReportSchema } from '../replies.js';
import { documentNameSchema, documentQuerySchema, documentRefSchema, listSchema, sourceSchema, textDocumentSchema, uploadFieldsSchema } from '../schemas.js';
import { validate } from '../validate.js';
import { knownLengthBody } from '../body.js';

const documentIdParams = z.object({ id: z.string().meta({ description: "The document's id" }) });

export const documentOperations: ApiOperations = (api) => {
  const report = api.schema('IngestReport', ingestReportSchema);
  const binary = { type: 'string', contentMediaType: 'application/octet-stream' } as const;
  api.operation({
    method: 'post',
    path: '/v1/documents',
    operationId: 'uploadDocument',
    auth: '`ingest`',
    tags: ['documents'],
    summary: 'Upload documents (PDF, DOCX, text, Markdown, HTML)',
    description:
      'multipart/form-data with the file in the field `file` (optional `name`, `source`, and `meta` as a JSON object of ' +
      'typed values), or up to ' + MAX_UPLOAD_FILES + ' files in the field `files` (optional `meta` for all; the reply ' +
      'has one report per file); JSON `{name, text, source?, meta?}`; a text/plain or text/markdown body with ' +
      '`?name=`; or the raw file as the body with `?name=` and its content type. A document is identified by its ' +
      '`source` (default: its name): the same source with new content replaces it. The same converters, limits and ' +
      'timeout as `docqa ingest`.',
    request: {
      query: z.object({
        name: z.string().optional().meta({ description: 'The document name, for a text or file body' }),
        source: z.string().optional().meta({ description: "The document's identity (default: the name)" }),
      }),
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                file: binary,
                files: { type: 'array', items: binary, description: 'Several files (instead of `file`)' },
                name: { type: 'string', description: "The document name (default: the file's name)" },
                source: { type: 'string', description: "The document's identity (default: the name)" },
                meta: { type: 'string', description: 'Metadata as a JSON object of strings, numbers, booleans, dates, lists' },
              },
            },
          },
          'application/json': { schema: api.schema('TextDocument', textDocumentSchema) },
          'text/plain': { schema: { type: 'string' } },
          'text/markdown': { schema: { type: 'string' } },
          'application/pdf': { schema: binary },
          'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { schema: binary },
          'text/html': { schema: { type: 'string' } },
        },
      },
    },
    responses: {
      200: api.json(
        'Unchanged: the same document is already stored; or, for several files, one report per file',
        z.union([report, api.schema('IngestBatchReply', ingestBatchReplySchema)]),
      ),
      201: api.json('Created, or replaced the document of the same source', report),
      ...api.errors(400, 401, 413, 415, 503),
    },
  });
  api.operation({
    method: 'get',
    path: '/v1/documents',
    operationId: 'listDocuments',
    auth: '`ask` or `ingest`',
    tags: ['documents'],
    summary: 'List the stored documents',
    request: { query: listSchema },
    responses: {
      200: api.json('One page of documents and the total', api.schema('DocumentList', documentListSchema)),
      ...api.errors(400, 401, 503),
    },
  });
  api.operation({
    method: 'get',
    path: '/v1/documents/{id}',
    operationId: 'getDocument',
    auth: '`ask` or `ingest`',
    tags: ['documents'],
    summary: 'One document (and its passages with `?passages=true`)',
    request: {
      params: documentIdParams,
      query: documentQuerySchema,
    },
    responses: {
      200: api.json('The document', api.schema('DocumentDetail', documentDetailSchema)),
      ...api.errors(400, 404, 503),
    },
  });
  api.operation({
    method: 'delete',
    path: '/v1/documents/{id}',
    operationId: 'deleteDocument',
    auth: '`ingest`',
    tags: ['documents'],
    summary: 'Delete a document and its passages',
    request: { params: documentIdParams },
    responses: { 204: { description: 'Deleted' }, ...api.errors(400, 401, 404, 503) },
  });
  api.operation({
    method: 'delete',
    path: '/v1/documents',
    operationId: 'deleteDocumentBySource',
    auth: '`ingest`',
    tags: ['documents'],
    summary: 'Delete the document of a source, or of a name that only one document has',
    request: {
      query: z.object({
        source: z.string().optional().meta({ description: "The document's source" }),
        name: z.string().optional().meta({ description: 'A document name; 409 when several documents have it' }),
      }),
    },
    responses: { 204: { description: 'Deleted' }, ...api.errors(400, 401, 404, 409, 503) },
  });
};

export interface DocumentRouteDeps {
  store: DocumentStore;
  ingestor: Ingestor;
  metrics: Metrics;
  /** The drift monitor, fed with the data quality of what is written. */
  monitor?: MonitorService;
  maxUploadBytes: number;
}

const nameOnly = z.object({ name: documentNameSchema });
/** A name from ?name= or a multipart file name, by the same rules as JSON's `name` (400 naming `name`). */
const checkName = (raw: string) => validate(nameOnly, { name: raw }, 'name').name;

const isMultipart = (type: string | undefined) => /^multipart\/form-data\b/iu.test(type ?? '');
const isText = (type: string | undefined) => /^text\/(plain|markdown)\b/iu.test(type ?? '');
/** No charset parameter, or UTF-8 (also us-ascii, a subset). */
const isUtf8 = (type: string | undefined) => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/iu.exec(type ?? '')?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
};

type UploadedFiles = Record<'file' | 'files', Express.Multer.File[] | undefined>;

/**
 * Multipart uploads: one file in the field `file`, or up to MAX_UPLOAD_FILES in the field `files`, each kept in memory
 * up to maxUploadBytes (then 413).
 */
function multipartUpload(maxUploadBytes: number): RequestHandler {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxUploadBytes, files: MAX_UPLOAD_FILES, fields: 8, fieldSize: 64 * 1024, parts: MAX_UPLOAD_FILES + 8 },
    defParamCharset: 'utf8', // file names in UTF-8 (browsers and curl send them so)
  } as multer.Options).fields([
    { name: 'file', maxCount: 1 },
    { name: 'files', maxCount: MAX_UPLOAD_FILES },
  ]);
  return (req, res, next) => {
    if (!isMultipart(req.headers['content-type'])) return next();
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') {
          return next(new TooLargeError(`upload is over the limit of ${maxUploadBytes} bytes (maxUploadBytes)`, maxUploadBytes));
        }
        const field = err.code === 'LIMIT_UNEXPECTED_FILE' ? (err.field ?? 'file') : 'body';
        return next(
          new BadInputError(
            `${field}: ${err.message} (send one file in the field "file", or up to ${MAX_UPLOAD_FILES} in the field "files")`,
            field,
          ),
        );
      }
      next(new BadInputError(`malformed multipart body: ${errorMessage(err)}`, 'body'));
    });
  };
}

export function documentRoutes({ store, ingestor, metrics, monitor, maxUploadBytes }: DocumentRouteDeps): Router {
  const router = Router();
  const json = express.json({ limit: maxUploadBytes });
  // Text in another charset than UTF-8 is decoded here (express.text); UTF-8 text (or no charset) stays bytes, decoded
  // by the text converter in its worker: a 45 MB body is not decoded and encoded again on the event loop.
  const rawText = express.text({ type: (req) => isText(req.headers['content-type']) && !isUtf8(req.headers['content-type']), limit: maxUploadBytes });
  // any other non-JSON, non-multipart body is the file itself (e.g. Content-Type: application/pdf, ?name=x.pdf):
  // read into one buffer of its announced size, else (chunked, compressed) by express.raw
  const isRawFile = (req: IncomingMessage) => {
    const type = req.headers['content-type'] ?? '';
    return !isMultipart(type) && !/json/iu.test(type) && (!isText(type) || isUtf8(type));
  };
  const rawFileOfKnownLength = knownLengthBody(maxUploadBytes, isRawFile);
  const rawFile = express.raw({ type: isRawFile, limit: maxUploadBytes });

  /** The several files of a multipart upload in the field `files` (null when the upload uses `file`). */
  function multipleInputs(req: express.Request): IngestInput[] | null {
    if (!isMultipart(req.headers['content-type'])) return null;
    const uploaded = (req.files ?? {}) as UploadedFiles;
    if (!uploaded.files) return null;
    if (uploaded.file) throw new BadInputError('file: send either one file in "file" or several in "files", not both', 'file');
    const fields = validate(uploadFieldsSchema, req.body ?? {}, 'body');
    if (fields.name !== undefined || fields.source !== undefined) {
      throw new BadInputError('name: with several files each is named by its file name; "name" and "source" go with one "file"', fields.name !== undefined ? 'name' : 'source');
    }
    return uploaded.files.map((file, i) => {
      if (!file.originalname) throw new BadInputError(`files[${i}]: the file has no name`, 'files');
      return { data: file.buffer, name: file.originalname, mediaType: file.mimetype, ...(fields.meta ? { meta: fields.meta } : {}) };
    });
  }

  /** What was uploaded, in any of the accepted shapes. */
  function inputOf(req: express.Request): IngestInput {
    const queryName = typeof req.query.name === 'string' && req.query.name.trim() !== '' ? checkName(req.query.name) : '';
    const querySource =
      typeof req.query.source === 'string' && req.query.source.trim() ? { source: validate(sourceSchema, req.query.source, 'source') } : {};
    if (isMultipart(req.headers['content-type'])) {
      const file = ((req.files ?? {}) as UploadedFiles).file?.[0];
      if (!file) throw new BadInputError('file: a multipart upload needs one file in the field "file" (or several in "files")', 'file');
      const fields = validate(uploadFieldsSchema, req.body ?? {}, 'body');
      const name = fields.name ?? (queryName || (file.originalname ? checkName(file.originalname) : ''));
      if (!name) throw new BadInputError('name: the file has no name; send the field "name"', 'name');
      const source = fields.source !== undefined ? { source: fields.source } : querySource;
      return { data: file.buffer, name, ...source, mediaType: file.mimetype, ...(fields.meta ? { meta: fields.meta } : {}) };
    }
    if (req.is('application/json')) {
      const body = validate(textDocumentSchema, req.body ?? {}, 'body');
      // JSON carries text, whatever the name's extension
      return {
        data: Buffer.from(body.text, 'utf8'),
        name: body.name,
        ...(body.source !== undefined ? { source: body.source } : {}),
        format: 'text',
        ...(body.meta ? { meta: body.meta } : {}),
      };
    }
    if (typeof req.body === 'string') {
      if (!queryName) throw new BadInputError('name: query parameter is required for a text body', 'name');
      const format = req.is('text/markdown') ? 'markdown' : 'text';
      return { data: Buffer.from(req.body, 'utf8'), name: queryName, ...querySource, format };
    }
    if (Buffer.isBuffer(req.body) && isText(req.headers['content-type'])) {
      if (!queryName) throw new BadInputError('name: query parameter is required for a text body', 'name');
      const format = req.is('text/markdown') ? 'markdown' : 'text';
      return { data: req.body, name: queryName, ...querySource, format };
    }
    if (Buffer.isBuffer(req.body)) {
      const type = req.headers['content-type'];
      if (!queryName && type && CONVERTERS.some((c) => c.mediaTypes.includes(type.split(';')[0]!.trim().toLowerCase()))) {
        throw new BadInputError('name: query parameter is required for a file body', 'name');
      }
      if (!queryName) {
        throw new UnsupportedMediaTypeError(
          `send multipart/form-data with a file, JSON {name, text}, or a file body with ?name= (got ${req.headers['content-type'] ?? 'no content type'})`,
        );
      }
      return { data: req.body, name: queryName, ...querySource, mediaType: req.headers['content-type'] };
    }
    throw new BadInputError('send multipart/form-data with a file, JSON {name, text}, or a text/plain body with ?name=', 'body');
  }

  /**
   * Upload one document: multipart/form-data (field `file`, optional `name`, `source` and `meta` as a JSON object of
   * typed values) for PDF, DOCX, text, Markdown or HTML; JSON {name, text, source?, meta?}; a text/plain or
   * text/markdown body with ?name= (and ?source=); or the raw file as the body with ?name=. Several documents: up to
   * MAX_UPLOAD_FILES files in the multipart field `files` (optional `meta` for all), answered 200 with a result per
   * file. The file goes through the same converters, limits and
   * timeout as `docqa ingest`. 201 created/replaced, 200 unchanged, 400 unreadable, 413 too large, 415 unknown type.
   */
  router.post('/v1/documents', requireScope('ingest'), multipartUpload(maxUploadBytes), json, rawText, rawFileOfKnownLength, rawFile, async (req, res) => {
    const several = multipleInputs(req);
    if (several) {
      // Each file succeeds or fails alone (an unreachable store stops the request: 503).
      const files: ReturnType<typeof fileReport>[] = [];
      for (const input of several) {
        const outcome = await ingestor.ingestSafely(input);
        metrics.observeIngest(outcome);
        monitor?.observeIngest(outcome);
        files.push(fileReport(outcome));
      }
      const count = (status: string) => files.filter((f) => f.status === status).length;
      const summary = { total: files.length, created: count('created'), replaced: count('replaced'), unchanged: count('unchanged'), failed: count('failed') };
      res.status(200).json({ files, summary });
      return;
    }
    const input = inputOf(req);
    let outcome;
    try {
      outcome = await ingestor.ingest(input);
    } catch (err) {
      metrics.observeIngest(failedOutcome(input.name, err, 0, input.source));
      throw err;
    }
    metrics.observeIngest(outcome);
    monitor?.observeIngest(outcome);
    res.status(outcome.status === 'unchanged' ? 200 : 201).json(fileReport(outcome));
  });

  router.get('/v1/documents', requireScope('ask', 'ingest'), async (req, res) => {
    const { limit, offset } = validate(listSchema, req.query, 'query');
    const [documents, counts] = await Promise.all([store.listDocuments({ limit, offset }), store.counts()]);
    res.json({ documents, total: counts.documents, limit, offset });
  });

  router.get('/v1/documents/:id', requireScope('ask', 'ingest'), async (req, res) => {
    const doc = await store.getDocument(req.params.id);
    if (!doc) throw new NotFoundError(`no document with id ${req.params.id}`);
    const q = validate(documentQuerySchema, req.query, 'query');
    if (q.passages !== 'true') return void res.json(doc);
    const passages = await store.getPassages(doc.id, { offset: q.passageOffset, limit: q.passageLimit });
    res.json({ ...doc, passages, passagePage: { offset: q.passageOffset, limit: q.passageLimit, total: doc.passageCount } });
  });

  /** Deletes the document of a source, or of a name when only one document has it (409 listing them otherwise). */
  router.delete('/v1/documents', requireScope('ingest'), async (req, res) => {
    const ref = validate(documentRefSchema, req.query, 'query');
    const doc = ref.source !== undefined ? await findDocumentBySource(store, ref.source) : await findDocumentByName(store, ref.name!);
    if (!(await store.deleteDocument(doc.id))) throw new NotFoundError(`no document with id ${doc.id}`);
    res.status(204).end();
  });

  router.delete('/v1/documents/:id', requireScope('ingest'), async (req, res) => {
    if (!(await store.deleteDocument(req.params.id))) throw new NotFoundError(`no document with id ${req.params.id}`);
    res.status(204).end();
  });

  return router;
}
