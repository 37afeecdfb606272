import express, { Router } from 'express';
import { BadInputError, NotFoundError } from '../../errors.js';
import type { Ingestor, IngestOutcome } from '../../ingest/ingestor.js';
import type { Metrics } from '../../observability/metrics.js';
import type { DocumentStore } from '../../store/store.js';
import { listSchema, textDocumentSchema } from '../schemas.js';

export interface DocumentRouteDeps {
  store: DocumentStore;
  ingestor: Ingestor;
  metrics: Metrics;
  maxUploadBytes: number;
}

export function documentRoutes({ store, ingestor, metrics, maxUploadBytes }: DocumentRouteDeps): Router {
  const router = Router();
  const rawText = express.text({ type: ['text/plain', 'text/markdown'], limit: maxUploadBytes });

  function record(outcome: IngestOutcome): IngestOutcome {
    metrics.ingestDocuments.inc({ status: outcome.status });
    if (outcome.status === 'created' || outcome.status === 'replaced') metrics.ingestPassages.inc(outcome.passages);
    return outcome;
  }

  /** JSON {name, text, meta?}, or a text/plain or text/markdown body with ?name=. */
  router.post('/v1/documents', rawText, async (req, res) => {
    let input: { name: string; text: string; meta?: Record<string, string> };
    if (req.is('application/json')) {
      input = textDocumentSchema.parse(req.body ?? {});
    } else if (typeof req.body === 'string') {
      const name = typeof req.query.name === 'string' ? req.query.name.trim() : '';
      if (!name) throw new BadInputError('name: query parameter is required for a text body', 'name');
      input = { name, text: req.body };
    } else {
      throw new BadInputError('send JSON {name, text} or a text/plain body with ?name=', 'body');
    }
    const outcome = record(
      await ingestor.ingest({
        data: Buffer.from(input.text, 'utf8'),
        name: input.name,
        mediaType: req.is('text/markdown') ? 'text/markdown' : 'text/plain',
        meta: input.meta,
      }),
    );
    res.status(outcome.status === 'unchanged' ? 200 : 201).json(outcome);
  });

  router.get('/v1/documents', async (req, res) => {
    const { limit, offset } = listSchema.parse(req.query);
    const [documents, counts] = await Promise.all([store.listDocuments({ limit, offset }), store.counts()]);
    res.json({ documents, total: counts.documents, limit, offset });
  });

  router.get('/v1/documents/:id', async (req, res) => {
    const doc = await store.getDocument(req.params.id);
    if (!doc) throw new NotFoundError(`no document with id ${req.params.id}`);
    const passages = req.query.passages === 'true' ? await store.getPassages(doc.id) : undefined;
    res.json(passages ? { ...doc, passages } : doc);
  });

  router.delete('/v1/documents/:id', async (req, res) => {
    if (!(await store.deleteDocument(req.params.id))) throw new NotFoundError(`no document with id ${req.params.id}`);
    res.status(204).end();
  });

  return router;
}
