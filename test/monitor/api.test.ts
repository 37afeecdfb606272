import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, tempServices } from '../helpers/services.js';
import { renderPdf, squadArticle } from '../fixtures/documents/render.js';

describe('GET /v1/monitor and the monitor fed by asks and uploads (real SQLite, tiny ONNX model)', () => {
  let services: Awaited<ReturnType<typeof tempServices>>;
  beforeAll(async () => {
    services = await tempServices({ apiKeys: ['k1'], monitorMinValues: 3 });
  });
  afterAll(async () => {
    await services.cleanup();
  });

  it('logs every ask and uploaded page, and reports drift per feature once a baseline is marked', async () => {
    const app = await services.httpApp();
    const auth = { authorization: 'Bearer k1' };
    const text = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8');
    expect((await request(app).post('/v1/documents').set(auth).send({ name: 'tesla.txt', text })).status).toBe(201);
    const pdf = await renderPdf(squadArticle('Steam_engine').paragraphs.slice(0, 6), { textlessPages: [2] });
    const up = await request(app).post('/v1/documents?name=steam.pdf').set(auth).set('content-type', 'application/pdf').send(Buffer.from(pdf.bytes));
    expect(up.status).toBe(201);
    const questions = ['Where was Tesla born?', 'When did Tesla move to the United States?', 'What did Tesla study?', 'Who was Edison?'];
    for (const question of questions) expect((await request(app).post('/v1/ask').set(auth).send({ question })).status).toBe(200);

    expect((await request(app).get('/v1/monitor')).status).toBe(401);
    const res = await request(app).get('/v1/monitor').set(auth);
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.features.map((f: { feature: string }) => [f.feature, f]));
    expect(byName.question_chars).toMatchObject({ status: 'no_baseline', psi: null, window: { values: 4 } });
    expect(byName.question_chars.window.mean).toBeCloseTo(questions.reduce((n, q) => n + q.length, 0) / 4, 12);
    expect(byName.retriever_top_score.window.values).toBe(4);
    expect(byName.no_answer.window.values).toBe(4);
    // the PDF's pages (one of them without text); the text file has none
    expect(byName.ingest_empty_page.window.values).toBeGreaterThan(1);
    expect(byName.ingest_empty_page.window.mean).toBeGreaterThan(0);

    // mark what was seen as the baseline: the same stream has no drift
    const marked = await services.monitor.markWindow(new Date(Date.now() - 60_000), new Date(Date.now() + 1000));
    expect(marked.marked).toContain('question_chars');
    const again = await request(app).get('/v1/monitor').set(auth);
    const q = again.body.features.find((f: { feature: string }) => f.feature === 'question_chars');
    expect(q).toMatchObject({ status: 'ok', psi: 0, baseline: { values: 4, source: { kind: 'window' } } });
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(/^docqa_drift_psi\{feature="question_chars"\} 0$/mu);
  });
});
