import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, tempServices } from '../helpers/services.js';
import { encryptPdf, renderDocx, renderPdf, squadArticle } from '../fixtures/documents/render.js';
import { makeZip, readZipEntries } from '../fixtures/documents/zip.js';

type S = Awaited<ReturnType<typeof tempServices>>;

/** Real services with a 64 KiB upload limit, and their HTTP app as `docqa serve` gets it (Services.httpApp). */
async function appFor(apiKeys: string[] = []): Promise<{ services: S; app: Express }> {
  const services = await tempServices({ apiKeys, maxUploadBytes: 64 * 1024 });
  return { services, app: await services.httpApp() };
}

describe('HTTP API (in-process, real SQLite store and real ONNX tiny model)', () => {
  let services: S;
  let app: Express;
  const teslaText = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8');

  beforeAll(async () => {
    ({ services, app } = await appFor());
  });
  afterAll(async () => {
    await services.cleanup();
  });

  it('answers health and readiness', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.store).toEqual({ ok: true, kind: 'sqlite' });
    expect(ready.body.checks.model.name).toBe('tiny-roberta-qa');
  });

  it('ingests a text upload and answers with answers traced to exact document characters', async () => {
    const up = await request(app).post('/v1/documents').send({ name: 'tesla.txt', text: teslaText, meta: { lang: 'en' } });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name: 'tesla.txt', status: 'created' });
    expect(up.body.passages).toBeGreaterThan(10);
    const again = await request(app).post('/v1/documents').send({ name: 'tesla.txt', text: teslaText });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('unchanged');

    const res = await request(app).post('/v1/ask').send({ question: 'Where did Tesla study electrical engineering?', topK: 3 });
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.question).toBe('Where did Tesla study electrical engineering?');
    expect(body.model).toEqual({ name: 'tiny-roberta-qa', version: expect.any(String) });
    expect(body.answers.length).toBeGreaterThan(0);
    expect(body.answers.length).toBeLessThanOrEqual(3);
    expect(body.retrieved).toBeGreaterThan(0);
    for (const a of body.answers) {
      expect(a.document).toEqual({ id: up.body.documentId, name: 'tesla.txt' });
      expect(teslaText.slice(a.charStart, a.charEnd)).toBe(a.text);
      expect(a.context.slice(a.offsetsInContext.start, a.offsetsInContext.end)).toBe(a.text);
      expect(a.page).toBeNull();
      expect(a.score).toBeGreaterThan(0);
      expect(a.score).toBeLessThanOrEqual(1);
      expect(a.passageId.startsWith(`${up.body.documentId}:`)).toBe(true);
    }
    // ordered by confidence, a probability; the experts' numbers are there too
    const confidences = body.answers.map((a: { confidence: number }) => a.confidence);
    expect([...confidences].sort((x, y) => y - x)).toEqual(confidences);
    for (const a of body.answers) {
      expect(a.confidence).toBeGreaterThan(0);
      expect(a.confidence).toBeLessThan(1);
      expect(Number.isFinite(a.logit) && Number.isFinite(a.rankScore)).toBe(true);
    }
    expect(body.noAnswer.bestConfidence).toBe(confidences[0]);
    expect(body.noAnswer.chosen).toBe(body.noAnswer.bestConfidence < body.noAnswer.minConfidence);
    expect(body.noAnswer.readerNoAnswerScore).toBeGreaterThan(0);
    expect(body.candidates).toBeUndefined();
    // a per-request minimum confidence decides: 0 always answers, 1 never
    const always = await request(app).post('/v1/ask').send({ question: 'Where did Tesla study?', minConfidence: 0 });
    expect(always.body.noAnswer).toMatchObject({ chosen: false, minConfidence: 0, reason: '' });
    const never = await request(app).post('/v1/ask').send({ question: 'Where did Tesla study?', minConfidence: 1 });
    expect(never.body.noAnswer).toMatchObject({ chosen: true, minConfidence: 1 });
    expect(never.body.noAnswer.reason).toMatch(/^No answer found in your documents \(best candidate '.+', confidence 0\.\d\d, below the minimum 1\.00\)\.$/);
    for (const key of ['retrieveMs', 'readMs', 'totalMs']) expect(body.timings[key]).toBeGreaterThanOrEqual(0);
  });

  it('filters by document name and says so when nothing matches', async () => {
    const res = await request(app)
      .post('/v1/ask')
      .send({ question: 'Where did Tesla study?', filters: { names: ['no-such-doc.txt'] } });
    expect(res.status).toBe(200);
    expect(res.body.answers).toEqual([]);
    expect(res.body.retrieved).toBe(0);
    expect(res.body.noAnswer).toMatchObject({ readerNoAnswerScore: 1, chosen: true, bestConfidence: null });
    expect(res.body.noAnswer.reason).toBe('No answer found in your documents: no passage matches the question.');
  });

  it('rejects invalid requests with 400 naming the field, without stack traces', async () => {
    const cases: [unknown, string][] = [
      [{}, 'question'],
      [{ question: '   ' }, 'question'],
      [{ question: 'q', topK: 0 }, 'topK'],
      [{ question: 'q', topK: 'three' }, 'topK'],
      [{ question: 'q', filters: { names: 'x' } }, 'filters.names'],
      [{ question: 'q', minConfidence: 1.5 }, 'minConfidence'],
      [{ question: 'q', minConfidence: 'high' }, 'minConfidence'],
      [{ question: 'q', extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await request(app).post('/v1/ask').send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('bad_input');
      if (field) expect(res.body.error.field).toBe(field);
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
    }
    const broken = await request(app).post('/v1/ask').set('Content-Type', 'application/json').send('{"question": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error.field).toBe('body');
  });

  it('a 400 about the request as a whole names it too (found by the HTTP fuzz: these had no error.field)', async () => {
    const json = (url: string, body: string) => request(app).post(url).set('Content-Type', 'application/json').send(body);
    const cases: [Promise<request.Response>, string, RegExp][] = [
      // a body of the wrong kind: the body
      [json('/v1/ask', '["q"]'), 'body', /^body: .*expected object/u],
      [json('/v1/feedback', '[1]'), 'body', /^body: /u],
      [json('/v1/documents', '[]'), 'body', /^body: /u],
      // an unknown key: the key, even an empty one (then the body)
      [json('/v1/ask', '{"question":"q","__proto__":1}'), '__proto__', /Unrecognized key/u],
      [json('/v1/feedback', '{"askId":"a","verdict":"wrong","":1}'), 'body', /^body: Unrecognized key/u],
      [json('/v1/ask', '{"question":"q","filters":{"nope":[]}}'), 'filters.nope', /^filters: Unrecognized key/u],
      // a rule across query parameters, an unknown query key, a bad ?source=
      [request(app).delete('/v1/documents'), 'query', /^query: give exactly one of source, name/u],
      [request(app).delete('/v1/documents?source=a&name=b'), 'query', /give exactly one/u],
      [request(app).delete('/v1/documents?name=a&%25=1'), '%', /Unrecognized key/u],
      [request(app).post('/v1/documents?name=a.txt&source=%1B').set('Content-Type', 'text/plain').send('text'), 'source', /^source: /u],
    ];
    for (const [pending, field, message] of cases) {
      const res = await pending;
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'bad_input', field });
      expect(res.body.error.message).toMatch(message);
    }
  });

  it('rejects uploads that are empty, binary or too large', async () => {
    const empty = await request(app).post('/v1/documents').send({ name: 'e.txt', text: '   ' });
    expect(empty.status).toBe(400);
    const noName = await request(app).post('/v1/documents').set('Content-Type', 'text/plain').send('hello');
    expect(noName.status).toBe(400);
    expect(noName.body.error.field).toBe('name');
    const big = await request(app).post('/v1/documents').send({ name: 'big.txt', text: 'x '.repeat(40_000) });
    expect(big.status).toBe(413);
    // a JSON upload is text whatever its name's extension
    const noExt = await request(app).post('/v1/documents').send({ name: 'README', text: 'plain words here' });
    expect(noExt.status).toBe(201);
    expect(noExt.body.status).toBe('created');
  });

  it('accepts a text/plain body with ?name= and lists, shows and deletes documents', async () => {
    const up = await request(app)
      .post('/v1/documents?name=notes.md')
      .set('Content-Type', 'text/markdown')
      .send('# Notes\n\nThe meeting is on Tuesday in room 4.');
    expect(up.status).toBe(201);
    const list = await request(app).get('/v1/documents?limit=10');
    expect(list.body.documents.map((d: { name: string }) => d.name)).toContain('notes.md');
    const show = await request(app).get(`/v1/documents/${up.body.documentId}?passages=true`);
    expect(show.body.passages[0].heading).toBe('Notes');
    expect(show.body.meta.format).toBe('markdown');
    expect((await request(app).delete(`/v1/documents/${up.body.documentId}`)).status).toBe(204);
    expect((await request(app).get(`/v1/documents/${up.body.documentId}`)).status).toBe(404);
    expect((await request(app).delete(`/v1/documents/${up.body.documentId}`)).status).toBe(404);
    expect((await request(app).get('/v1/nothing-here')).status).toBe(404);
  });

  it('exports request, latency, error and answer metrics', async () => {
    const text = (await request(app).get('/metrics')).text;
    expect(text).toMatch(/docqa_http_requests_total\{method="POST",route="\/v1\/ask",status="200"\} \d+/);
    expect(text).toMatch(/docqa_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/ask",status="200"\}/);
    expect(text).toMatch(/docqa_http_errors_total\{route="\/v1\/ask",status="400",code="bad_input"\} [1-9]/);
    expect(text).toMatch(/docqa_questions_total [1-9]/);
    expect(text).toMatch(/docqa_answer_confidence_count [1-9]/);
    expect(text).toMatch(/docqa_reader_no_answer_score_count [1-9]/);
    expect(text).toMatch(/docqa_model_info\{name="tiny-roberta-qa",version="[^"]+"\} 1/);
  });
});

describe('document uploads: multipart PDF, DOCX and text through the same converters and limits as the CLI', () => {
  let services: S;
  let app: Express;
  let pdf: Buffer;
  let docx: Buffer;
  const article = squadArticle('Fresno,_California');
  beforeAll(async () => {
    ({ services, app } = await appFor());
    pdf = Buffer.from((await renderPdf(article.paragraphs.slice(0, 8), { title: 'Fresno', footer: (n, t) => `Page ${n} of ${t}` })).bytes);
    docx = await renderDocx({ title: 'Fresno', sections: [{ heading: 'Climate', paragraphs: article.paragraphs.slice(8, 14) }] });
  });
  afterAll(async () => {
    await services.cleanup();
  });

  it('accepts a PDF as multipart/form-data and keeps its pages', async () => {
    expect(pdf.length).toBeLessThan(64 * 1024);
    const up = await request(app).post('/v1/documents').attach('file', pdf, { filename: 'fresno.pdf', contentType: 'application/pdf' });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name: 'fresno.pdf', status: 'created', format: 'pdf', emptyPages: 0 });
    expect(up.body.pages).toBeGreaterThan(1);
    expect(up.body.quality).toBeUndefined();
    const show = await request(app).get(`/v1/documents/${up.body.documentId}?passages=true`);
    expect(new Set(show.body.passages.map((p: { page: number }) => p.page)).size).toBe(up.body.pages);
    const again = await request(app).post('/v1/documents').attach('file', pdf, 'fresno.pdf');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'unchanged', skipped: true });
  });

  it('accepts a DOCX with a name and metadata, a text file, and a raw PDF body with ?name=', async () => {
    const up = await request(app)
      .post('/v1/documents')
      .field('name', 'city/fresno.docx')
      .field('meta', JSON.stringify({ lang: 'en' }))
      .attach('file', docx, 'upload.docx');
    expect(up.status).toBe(201);
    const show = await request(app).get(`/v1/documents/${up.body.documentId}?passages=true`);
    expect(show.body).toMatchObject({ name: 'city/fresno.docx', meta: { format: 'docx', lang: 'en' } });
    expect(show.body.passages.map((p: { heading: string }) => p.heading)).toContain('Climate');
    const text = await request(app).post('/v1/documents').attach('file', Buffer.from(article.paragraphs[20]!, 'latin1'), 'notes.txt');
    expect(text.status).toBe(201);
    const raw = await request(app).post('/v1/documents?name=raw.pdf').set('Content-Type', 'application/pdf').send(pdf);
    expect(raw.status).toBe(200); // same text as fresno.pdf
    expect(raw.body).toMatchObject({ status: 'unchanged', duplicateOf: 'fresno.pdf' });
  });

  it('answers 413, 415 and 400 with a clear message for files it cannot take', async () => {
    const big = await request(app).post('/v1/documents').attach('file', Buffer.alloc(65 * 1024, 'a'), 'big.txt');
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'too_large', message: 'upload is over the limit of 65536 bytes (maxUploadBytes)' });
    const exe = await request(app).post('/v1/documents').attach('file', Buffer.from('MZ'), { filename: 'tool.exe', contentType: 'application/octet-stream' });
    expect(exe.status).toBe(415);
    expect(exe.body.error.message).toMatch(/^tool\.exe: unsupported file type '\.exe'/u);
    const rawUnknown = await request(app).post('/v1/documents').set('Content-Type', 'image/png').send(Buffer.from('x'));
    expect(rawUnknown.status).toBe(415);
    const cases: [string, Buffer, RegExp][] = [
      ['broken.pdf', pdf.subarray(0, 1500), /^broken\.pdf: not a readable PDF/u],
      ['locked.pdf', Buffer.from(await encryptPdf(pdf, 'pw')), /^locked\.pdf: the PDF is password-protected \(encrypted\)/u],
      ['bomb.docx', makeZip([...readZipEntries(docx), { name: 'word/x.bin', data: Buffer.alloc(4 << 20), declaredSize: 1 }]), /^bomb\.docx: ZIP entry word\/x\.bin inflates beyond/u],
      ['photo.txt', Buffer.from('89504e470d0a1a0a00000000', 'hex'), /^photo\.txt: binary file/u],
      ['blank.md', Buffer.from('  \n '), /^blank\.md: no text/u],
    ];
    for (const [name, data, message] of cases) {
      const res = await request(app).post('/v1/documents').attach('file', data, name);
      expect(res.status, name).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'bad_input', field: 'file' });
      expect(res.body.error.message).toMatch(message);
    }
    const noFile = await request(app).post('/v1/documents').field('name', 'x.txt');
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.field).toBe('file');
    const badMeta = await request(app).post('/v1/documents').field('meta', '{oops').attach('file', Buffer.from('text'), 'm.txt');
    expect(badMeta.status).toBe(400);
    expect(badMeta.body.error.field).toBe('meta');
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toMatch(/^docqa_ingest_failures_total\{reason="encrypted"\} 1$/mu);
    expect(metrics).toMatch(/^docqa_ingest_failures_total\{reason="zip_bomb"\} 1$/mu);
    expect(metrics).toMatch(/^docqa_ingest_pages_total [1-9]\d*$/mu);
  });
});

describe('HTTP API with API keys', () => {
  let services: S;
  let app: Express;
  beforeAll(async () => {
    ({ services, app } = await appFor(['k-one', 'k-two']));
  });
  afterAll(async () => {
    await services.cleanup();
  });

  it('requires a valid key on /v1 but not on health and metrics', async () => {
    expect((await request(app).post('/v1/ask').send({ question: 'q' })).status).toBe(401);
    expect((await request(app).post('/v1/ask').set('X-API-Key', 'wrong').send({ question: 'q' })).status).toBe(401);
    const ok = await request(app).post('/v1/ask').set('Authorization', 'Bearer k-two').send({ question: 'anything' });
    expect(ok.status).toBe(200);
    const ok2 = await request(app).get('/v1/documents').set('X-API-Key', 'k-one');
    expect(ok2.status).toBe(200);
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await request(app).get('/metrics')).status).toBe(200);
  });
});

describe('HTTP API when the store is unreachable', () => {
  it('answers 503 on /v1/ask and on /readyz', async () => {
    const { services, app } = await appFor();
    await services.store.close();
    // a closed SQLite store reopens on demand; make it unreachable by pointing it at an unusable path
    const dir = services.dir;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(dir, 'a file where the data folder should be');
    const ask = await request(app).post('/v1/ask').send({ question: 'Where?' });
    expect(ask.status).toBe(503);
    expect(ask.body.error.code).toBe('unavailable');
    expect((await request(app).get('/readyz')).status).toBe(503);
    fs.rmSync(dir, { force: true });
    fs.mkdirSync(dir);
    expect((await request(app).get('/readyz')).status).toBe(200);
    await services.cleanup();
  });
});
