/** GET /v1/documents/:id?passages=true pages the passages (real SQLite store, the app as `docqa serve` builds it). */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PASSAGE_PAGE, MAX_PASSAGE_PAGE } from '../../src/config.js';
import { CORPUS, tempServices } from '../helpers/services.js';

describe('passage paging', () => {
  let cleanup = async () => {};
  afterAll(() => cleanup());

  it('returns a page of passages in seq order with the total, and names a bad paging field', async () => {
    const services = await tempServices({ passageWords: 20, passageOverlap: 0 });
    cleanup = services.cleanup;
    const app = await services.httpApp();
    const text = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8');
    const up = await request(app).post('/v1/documents').send({ name: 'tesla.txt', text });
    const id = up.body.documentId as string;
    const total = up.body.passages as number;
    expect(total).toBeGreaterThan(DEFAULT_PASSAGE_PAGE / 10);

    const all = await services.store.getPassages(id);
    const first = await request(app).get(`/v1/documents/${id}?passages=true&passageLimit=7`);
    expect(first.status).toBe(200);
    expect(first.body.passagePage).toEqual({ offset: 0, limit: 7, total });
    expect(first.body.passages.map((p: { seq: number }) => p.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const next = await request(app).get(`/v1/documents/${id}?passages=true&passageOffset=7&passageLimit=7`);
    expect(next.body.passages).toEqual(JSON.parse(JSON.stringify(all.slice(7, 14))));
    const tail = await request(app).get(`/v1/documents/${id}?passages=true&passageOffset=${total - 2}`);
    expect(tail.body.passages.length).toBe(2);
    const byDefault = await request(app).get(`/v1/documents/${id}?passages=true`);
    expect(byDefault.body.passagePage.limit).toBe(DEFAULT_PASSAGE_PAGE);
    expect(byDefault.body.passages.length).toBe(Math.min(total, DEFAULT_PASSAGE_PAGE));
    const without = await request(app).get(`/v1/documents/${id}`);
    expect(without.body.passages).toBeUndefined();

    const bad = await request(app).get(`/v1/documents/${id}?passages=true&passageLimit=${MAX_PASSAGE_PAGE + 1}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('passageLimit');
  });
});
