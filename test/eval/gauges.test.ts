/** The latest eval scores on /metrics: stored runs -> docqa_eval_* gauges, newest run per model version. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEvalGaugeRows } from '../../src/eval/gauges.js';
import { assembleResult } from '../../src/eval/result.js';
import { saveRun } from '../../src/eval/runs.js';
import { Metrics } from '../../src/observability/metrics.js';
import { META, OUTCOMES } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-gauges-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const files = { predictions: '{}', naProbs: '{}', bestSpans: '{}', gold: {}, html: '' };

describe('docqa_eval_* gauges', () => {
  it('export the newest run per model version, dataset, sample, mode and top-k, read at scrape time', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.trackEvalScores(() => loadEvalGaugeRows(dir));
    expect(await metrics.registry.metrics()).not.toMatch(/docqa_eval_f1\{/u);

    // an older run of version 1 (every answer withheld), then a newer one, and a run of version 2
    const older = assembleResult({ ...META, id: 'a', createdAt: '2026-11-01T00:00:00.000Z' }, OUTCOMES.map((o) => ({ ...o, noAnswerChosen: true })));
    await saveRun(dir, older, files);
    const newer = assembleResult({ ...META, id: 'b', createdAt: '2026-11-02T00:00:00.000Z' }, OUTCOMES);
    await saveRun(dir, newer, files);
    await new Promise((r) => setTimeout(r, 1100)); // past the one-second read cache
    const v2 = { ...META, id: 'c', createdAt: '2026-11-03T00:00:00.000Z', model: { ...META.model, version: '2' } };
    await saveRun(dir, assembleResult(v2, OUTCOMES.slice(0, 2)), files);
    // an experiment with another top-k is a series of its own: it does not replace the top-k 3 scores
    const topK1 = { ...META, id: 'd', createdAt: '2026-11-04T00:00:00.000Z', settings: { ...META.settings, topK: 1 } };
    await saveRun(dir, assembleResult(topK1, OUTCOMES.slice(0, 1)), files);

    const text = await metrics.registry.metrics();
    const labels = (version: string) => `model="m",version="${version}",file="model.onnx",dataset="d.json",sample="full",mode="open",top_k="3"`;
    // version 1: the newer run b (exact 40), not a (which withheld every answer: exact 40 = the 2 unanswerable of 5)
    expect(older.official.f1).not.toBe(newer.official.f1);
    expect(text).toContain(`docqa_eval_exact{${labels('1')},subset="all"} 40`);
    expect(text).toContain(`docqa_eval_exact{${labels('1')},subset="no_ans"} 50`);
    expect(text).toContain(`docqa_eval_f1{${labels('1')},subset="all"} ${newer.official.f1}`);
    expect(text).toContain(`docqa_eval_recall_at_k{${labels('1')},k="3"} 0.6666666666666666`);
    expect(text).toContain(`docqa_eval_mrr{${labels('1')}} 0.5`);
    expect(text).toContain(`docqa_eval_questions{${labels('1')}} 5`);
    expect(text).toContain(`docqa_eval_timestamp_seconds{${labels('1')}} ${Date.parse('2026-11-02T00:00:00.000Z') / 1000}`);
    // version 2: its own run (q1 right, q2 wrong)
    expect(text).toContain(`docqa_eval_exact{${labels('2')},subset="all"} 50`);
    expect(text).toContain(`docqa_eval_exact{${labels('1').replace('top_k="3"', 'top_k="1"')},subset="all"} 100`);
    expect(text.match(/^docqa_eval_f1\{[^}]*subset="all"\}/gmu)).toHaveLength(3);
    // the fp32 file of the same version is a series of its own too (it does not overwrite the int8 one)
    const fp32 = { ...META, id: 'e', createdAt: '2026-11-05T00:00:00.000Z', model: { ...META.model, file: 'model.fp32.onnx' } };
    await saveRun(dir, assembleResult(fp32, OUTCOMES.slice(0, 1)), files);
    await new Promise((r) => setTimeout(r, 1100));
    const after = await metrics.registry.metrics();
    expect(after).toContain(`docqa_eval_exact{${labels('1')},subset="all"} 40`);
    expect(after).toContain(`docqa_eval_exact{${labels('1').replace('model.onnx', 'model.fp32.onnx')},subset="all"} 100`);
  });
});
