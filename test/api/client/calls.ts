/**
 * Calls every route of docqa through a client generated from its OpenAPI document by tools nobody here wrote:
 * types by openapi-typescript (docqa-api.d.ts, `scripts/openapi-types`), calls by openapi-fetch. This file must
 * type-check against the types generated from the live document (test/api/openapi.test.ts checks that, then runs it
 * against a listening server), so a route or field the document gets wrong fails here.
 */
import createClient from 'openapi-fetch';
import type { paths } from './docqa-api.js';

export interface Call {
  operation: string;
  status: number;
  /** What the call checked about the typed reply. */
  ok: boolean;
}

export async function callEveryRoute(baseUrl: string, apiKey?: string): Promise<Call[]> {
  const client = createClient<paths>({ baseUrl, headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} });
  const calls: Call[] = [];
  const record = (operation: string, response: Response, ok: boolean) => calls.push({ operation, status: response.status, ok });

  const health = await client.GET('/healthz');
  record('health', health.response, health.data?.status === 'ok');
  const ready = await client.GET('/readyz');
  record('ready', ready.response, ready.data?.status === 'ready');
  const metrics = await client.GET('/metrics', { parseAs: 'text' });
  record('metrics', metrics.response, typeof metrics.data === 'string' && metrics.data.includes('# HELP'));
  const monitor = await client.GET('/v1/monitor');
  record('monitor', monitor.response, Array.isArray(monitor.data?.features) && typeof monitor.data.windowSize === 'number');
  const spec = await client.GET('/openapi.json');
  record('openapi', spec.response, spec.data?.openapi === '3.1.0');
  const docs = await client.GET('/docs', { parseAs: 'text' });
  record('docs', docs.response, typeof docs.data === 'string' && docs.data.includes('swagger-ui'));
  const page = await client.GET('/', { parseAs: 'text' });
  record('webPage', page.response, typeof page.data === 'string' && page.data.includes('<html'));

  const text = 'The Rhine rises in the Swiss Alps and flows into the North Sea. It is 1,230 kilometres long.';
  // a 200 may also be the several-files reply ({files, summary}): one document's report is the other shape
  const single = <T extends object>(data: T | undefined): Exclude<T, { files: unknown }> | undefined =>
    data && !('files' in data) ? (data as Exclude<T, { files: unknown }>) : undefined;
  const created = await client.POST('/v1/documents', { body: { name: 'rhine.txt', text, meta: { lang: 'en' } } });
  const id = single(created.data)?.documentId ?? '';
  record('uploadDocument', created.response, single(created.data)?.status === 'created' && id.length > 0);

  const form = new FormData();
  form.append('file', new Blob(['Tesla was born in Smiljan in 1856.'], { type: 'text/plain' }), 'tesla.txt');
  const multipart = await client.POST('/v1/documents', {
    // the generated type of a multipart body is its fields; openapi-fetch sends the FormData as it is
    body: { file: 'tesla.txt' },
    bodySerializer: () => form,
  });
  const uploaded = single(multipart.data);
  record('uploadDocument', multipart.response, uploaded?.name === 'tesla.txt' && uploaded.passages > 0);

  const asked = await client.POST('/v1/ask', { body: { question: 'Where does the Rhine flow into?', topK: 2, minConfidence: 0 } });
  const answer = asked.data?.answers[0];
  record('ask', asked.response, !!answer && text.slice(answer.charStart, answer.charEnd) === answer.text && asked.data?.noAnswer.chosen === false);

  const judged = await client.POST('/v1/feedback', { body: { askId: asked.data?.id ?? '', verdict: 'correct', answerIndex: 0 } });
  record('feedback', judged.response, judged.data?.status === 'created' && judged.data.feedback.verdict === 'correct');

  const refused = await client.POST('/v1/ask', { body: { question: '' } });
  record('ask', refused.response, refused.error?.error.code === 'bad_input' && refused.error.error.field === 'question');

  const list = await client.GET('/v1/documents', { params: { query: { limit: 10 } } });
  record('listDocuments', list.response, !!list.data?.documents.some((d) => d.id === id) && list.data.total >= 2);

  const one = await client.GET('/v1/documents/{id}', { params: { path: { id }, query: { passages: 'true', passageLimit: 5 } } });
  record('getDocument', one.response, one.data?.name === 'rhine.txt' && (one.data.passages?.length ?? 0) > 0);

  const removed = await client.DELETE('/v1/documents/{id}', { params: { path: { id } } });
  record('deleteDocument', removed.response, removed.response.status === 204);

  const bySource = await client.DELETE('/v1/documents', { params: { query: { source: 'tesla.txt' } } });
  record('deleteDocumentBySource', bySource.response, bySource.response.status === 204);

  const missing = await client.GET('/v1/documents/{id}', { params: { path: { id } } });
  record('getDocument', missing.response, missing.error?.error.code === 'not_found');
  return calls;
}
