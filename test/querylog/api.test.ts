/**
 * The query log and feedback through the HTTP API, in-process: real SQLite, the real tiny ONNX model, supertest.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { questionSha256 } from '../../src/querylog/record.js';
import { openServices } from '../../src/services.js';
import { CORPUS, TINY_ROBERTA, tempServices } from '../helpers/services.js';

type S = Awaited<ReturnType<typeof tempServices>>;

/** The value of one series on a /metrics page, or undefined when absent. */
function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const parts = inside.split(',');
    if (want.every((w) => parts.includes(w))) return Number(line.slice(line.indexOf('}') + 1));
  }
  return undefined;
}

describe('query log and feedback over HTTP (real SQLite, real tiny ONNX model)', () => {
  let services: S;
  let app: Express;
  const tesla = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8');

  beforeAll(async () => {
    services = await tempServices();
    app = await services.httpApp();
    expect((await request(app).post('/v1/documents').send({ name: 'tesla.txt', text: tesla })).status).toBe(201);
  });
  afterAll(async () => {
    await services.cleanup();
  });

  it('gives every ask an id (body and X-Request-Id) and records it with answers, decision, model, timings and filters', async () => {
    const res = await request(app).post('/v1/ask').send({ question: ' Where was Tesla born? ', topK: 2, filters: { names: ['tesla.txt'] } });
    expect(res.status).toBe(200);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBe(res.body.id);
    const record = await (await services.queryLog()).get(res.body.id);
    expect(record).not.toBeNull();
    expect(record!.question).toBe('Where was Tesla born?');
    expect(record!.questionSha256).toBe(questionSha256('Where was Tesla born?'));
    expect(record!.questionLength).toBe('Where was Tesla born?'.length);
    expect(record!.answers.map((a) => [a.text, a.confidence])).toEqual(res.body.answers.map((a: { text: string; confidence: number }) => [a.text, a.confidence]));
    expect(record!.noAnswer).toEqual({
      chosen: res.body.noAnswer.chosen,
      reason: res.body.noAnswer.reason,
      minConfidence: res.body.noAnswer.minConfidence,
      bestConfidence: res.body.noAnswer.bestConfidence,
      calibrated: res.body.noAnswer.calibrated,
    });
    const reader = await services.reader();
    expect(record!.model).toEqual({ name: 'tiny-roberta-qa', version: reader.model.version, sha256: reader.model.sha256 ?? null });
    expect(record!.timings).toEqual(res.body.timings);
    expect(record!.request).toEqual({ topK: 2, filters: { names: ['tesla.txt'] } });
    expect(record!.feedback).toBeNull();
    expect(Date.now() - Date.parse(record!.time)).toBeLessThan(60_000);
  });

  it("keeps a client's X-Request-Id as the ask id, and records a reused one under a fresh id", async () => {
    const first = await request(app).post('/v1/ask').set('X-Request-Id', 'client-42').send({ question: 'Where was Tesla born?' });
    expect(first.body.id).toBe('client-42');
    expect(first.headers['x-request-id']).toBe('client-42');
    const again = await request(app).post('/v1/ask').set('X-Request-Id', 'client-42').send({ question: 'When did Tesla die?' });
    expect(again.status).toBe(200);
    expect(again.body.id).toMatch(/^client-42-[0-9a-f]{8}$/);
    expect(again.headers['x-request-id']).toBe(again.body.id);
    const log = await services.queryLog();
    expect((await log.get('client-42'))!.question).toBe('Where was Tesla born?');
    expect((await log.get(again.body.id))!.question).toBe('When did Tesla die?');
    // an id that is no simple token is not kept
    const odd = await request(app).post('/v1/ask').set('X-Request-Id', 'a b<script>').send({ question: 'Where was Tesla born?' });
    expect(odd.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes feedback once per ask: 201, then 200 replacing it; 404 for unknown asks; 400 naming the field', async () => {
    const ask = await request(app).post('/v1/ask').send({ question: 'Where did Tesla study?', topK: 2, minConfidence: 0 });
    const id = ask.body.id as string;
    const first = await request(app).post('/v1/feedback').send({ askId: id, verdict: 'wrong', correctAnswer: 'Graz', comment: 'Graz University of Technology' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ askId: id, status: 'created', feedback: { verdict: 'wrong', answerIndex: 0, correctAnswer: 'Graz' } });
    const second = await request(app).post('/v1/feedback').send({ askId: id, verdict: 'correct', answerIndex: 1 });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'replaced', feedback: { verdict: 'correct', answerIndex: 1, correctAnswer: null, comment: null } });
    expect((await (await services.queryLog()).get(id))!.feedback).toEqual(second.body.feedback);

    const unknown = await request(app).post('/v1/feedback').send({ askId: 'no-such-ask', verdict: 'correct' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');

    const cases: [Record<string, unknown>, string][] = [
      [{ verdict: 'correct' }, 'askId'],
      [{ askId: id, verdict: 'maybe' }, 'verdict'],
      [{ askId: id, verdict: 'correct', answerIndex: -1 }, 'answerIndex'],
      [{ askId: id, verdict: 'correct', answerIndex: 5 }, 'answerIndex'], // the ask has 2 answers
      [{ askId: id, verdict: 'wrong', correctAnswer: 'x'.repeat(1001) }, 'correctAnswer'],
      [{ askId: id, verdict: 'wrong', comment: 'x'.repeat(2001) }, 'comment'],
      [{ askId: id, verdict: 'wrong', extra: 1 }, ''],
    ];
    for (const [body, field] of cases) {
      const res = await request(app).post('/v1/feedback').send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      if (field) expect(res.body.error.field, JSON.stringify(body)).toBe(field);
      expect(res.body.error.message).not.toMatch(/at .*\.ts/);
    }
    expect((await request(app).post('/v1/feedback').set('content-type', 'application/json').send('{"askId":')).status).toBe(400);
  });

  it('exports rolling precision per model version and window on /metrics, from the log (it survives a restart)', async () => {
    const a = await request(app).post('/v1/ask').send({ question: 'When was Tesla born?' });
    const b = await request(app).post('/v1/ask').send({ question: 'Who was Tesla?' });
    // so far: one 'correct' (replaced the 'wrong') above; now one more correct and one wrong
    await request(app).post('/v1/feedback').send({ askId: a.body.id, verdict: 'correct' }).expect(201);
    await request(app).post('/v1/feedback').send({ askId: b.body.id, verdict: 'wrong' }).expect(201);
    const version = (await services.reader()).model.version;
    const labels = (window: string) => ({ model: 'tiny-roberta-qa', version, window });
    const text = (await request(app).get('/metrics')).text;
    for (const w of ['1h', '24h', '7d']) {
      expect(series(text, 'docqa_feedback_precision', labels(w))).toBeCloseTo(2 / 3, 10);
      expect(series(text, 'docqa_feedback_judged', labels(w))).toBe(3);
    }
    expect(series(text, 'docqa_feedback_received_total', { verdict: 'correct' })).toBe(2);
    expect(text).toMatch(/^docqa_query_log_records \d+$/m);

    // a failing, then a hanging log: /metrics still answers, with the last good figures, and counts the failed reads
    const log = await services.queryLog();
    const failing = vi.spyOn(log, 'verdictCounts').mockRejectedValue(new Error('disk gone'));
    const during = await request(app).get('/metrics');
    expect(during.status).toBe(200);
    expect(series(during.text, 'docqa_feedback_precision', labels('24h'))).toBeCloseTo(2 / 3, 10);
    failing.mockImplementation(() => new Promise(() => undefined));
    const hanging = await request(app).get('/metrics');
    expect(hanging.status).toBe(200);
    expect(series(hanging.text, 'docqa_feedback_judged', labels('7d'))).toBe(3);
    expect(hanging.text).toMatch(/^docqa_query_log_read_errors_total 1$/m); // the failure above, counted
    failing.mockRestore();

    // a new process on the same data folder (fresh metrics) reports the same precision
    const config = loadConfig({}, { dataDir: services.dir, modelDir: TINY_ROBERTA, logLevel: 'silent' });
    const restarted = await openServices(config, { logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }) });
    try {
      const after = (await request(await restarted.httpApp()).get('/metrics')).text;
      expect(series(after, 'docqa_feedback_precision', labels('24h'))).toBeCloseTo(2 / 3, 10);
      expect(series(after, 'docqa_feedback_received_total', { verdict: 'correct' })).toBeUndefined();
    } finally {
      await restarted.close();
    }
  });
});

describe('query log privacy and switches', () => {
  it('DOCQA_LOG_QUESTIONS=false keeps only the question hash and length', async () => {
    const services = await tempServices({ logQuestions: 'false' });
    try {
      const app = await services.httpApp();
      const res = await request(app).post('/v1/ask').send({ question: 'Who is the secret agent?' });
      expect(res.status).toBe(200);
      const record = await (await services.queryLog()).get(res.body.id);
      expect(record!.question).toBeNull();
      expect(record!.questionSha256).toBe(questionSha256('Who is the secret agent?'));
      expect(record!.questionLength).toBe(24);
      // not in the database file nor in its write-ahead log
      const files = fs.readdirSync(services.dir).filter((f) => f.startsWith('querylog.sqlite'));
      expect(files).toContain('querylog.sqlite');
      for (const f of files) expect(fs.readFileSync(path.join(services.dir, f)).includes('secret agent'), f).toBe(false);
    } finally {
      await services.cleanup();
    }
  });

  it('DOCQA_QUERY_LOG=false: asks still get an id, nothing is recorded, and there is no feedback route', async () => {
    const services = await tempServices({ queryLog: 'false' });
    try {
      const app = await services.httpApp();
      const res = await request(app).post('/v1/ask').send({ question: 'Who?' });
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await request(app).post('/v1/feedback').send({ askId: res.body.id, verdict: 'correct' })).status).toBe(404);
      expect(fs.existsSync(path.join(services.dir, 'querylog.sqlite'))).toBe(false);
    } finally {
      await services.cleanup();
    }
  });
});
