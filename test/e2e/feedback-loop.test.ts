/**
 * The monitoring loop end to end (issue 13): real SQLite, the real bundled ONNX reader (minilm-l6-squad), real HTTP
 * on a loopback port. Ask -> feedback -> `docqa feedback export` -> `docqa eval open` on the exported set -> the
 * feedback precision gauge and the eval gauges move on /metrics.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { feedbackCommand } from '../../src/cli/commands/feedback.js';
import { queriesCommand } from '../../src/cli/commands/queries.js';
import { DEFAULT_MODEL_DIR, loadConfig } from '../../src/config.js';
import { parseDataset } from '../../src/eval/dataset.js';
import type { EvalSummary } from '../../src/eval/result.js';
import { loadRun } from '../../src/eval/runs.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { openServices, type Services } from '../../src/services.js';
import { runCommand } from '../helpers/cli.js';
import { CORPUS } from '../helpers/services.js';

/** The value of the one series of `name` whose labels include `labels`, or undefined. */
function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const values = text
    .split('\n')
    .filter((line) => line.startsWith(name + '{'))
    .filter((line) => {
      const parts = line.slice(name.length + 1, line.indexOf('}')).split(',');
      return want.every((w) => parts.includes(w));
    })
    .map((line) => Number(line.slice(line.indexOf('}') + 1)));
  expect(values.length).toBeLessThanOrEqual(1);
  return values[0];
}

describe('ask -> feedback -> export -> eval open -> gauges (real SQLite, bundled ONNX model, real HTTP)', () => {
  let dir: string;
  let services: Services;
  let server: Server;
  let base: string;
  const flags = () => ['--data-dir', path.join(dir, 'data'), '--model-dir', DEFAULT_MODEL_DIR];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-loop-'));
    const config = loadConfig({}, { dataDir: path.join(dir, 'data'), modelDir: DEFAULT_MODEL_DIR, logLevel: 'silent' });
    services = await openServices(config, { logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }) });
    for (const name of ['nikola-tesla.txt', 'normans.docx']) {
      const outcome = await services.ingestor.ingest({ name, data: fs.readFileSync(path.join(CORPUS, name)) });
      expect(outcome.status).toBe('created');
    }
    server = (await services.httpApp()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await services?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };
  const metrics = async () => (await fetch(base + '/metrics')).text();

  it('closes the loop', async () => {
    const model = (await services.reader()).model;
    const labels = (window: string) => ({ model: model.name, version: model.version, window });

    // 1. asks over real HTTP: each reply has an id, also as X-Request-Id
    const born = await post('/v1/ask', { question: 'In what year was Tesla born?', topK: 2 });
    const conquest = await post('/v1/ask', { question: 'Who led the Norman conquest of England?', topK: 2 });
    const village = await post('/v1/ask', { question: 'In which village was Tesla born?', topK: 2 }, { 'X-Request-Id': 'village-1' });
    const foreign = await post('/v1/ask', { question: 'What is the capital of Australia?', topK: 2 });
    const vague = await post('/v1/ask', { question: 'What did Tesla do?', topK: 2 });
    for (const r of [born, conquest, village, foreign, vague]) {
      expect(r.status).toBe(200);
      expect(r.headers.get('x-request-id')).toBe(r.body.id);
    }
    expect(village.body.id).toBe('village-1');
    expect(born.body.answers[0].text).toContain('1856');
    expect(conquest.body.answers[0].text).toContain('William');
    const before = await metrics();
    expect(series(before, 'docqa_feedback_precision', labels('1h'))).toBeUndefined();

    // 2. feedback: 3 correct of 5 judged
    expect((await post('/v1/feedback', { askId: born.body.id, verdict: 'correct' })).status).toBe(201);
    expect((await post('/v1/feedback', { askId: conquest.body.id, verdict: 'correct' })).status).toBe(201);
    expect((await post('/v1/feedback', { askId: 'village-1', verdict: 'wrong', correctAnswer: 'Smiljan' })).status).toBe(201);
    // the foreign question: docqa's decision (an answer or "no answer") is judged correct
    expect((await post('/v1/feedback', { askId: foreign.body.id, verdict: 'correct' })).status).toBe(201);
    expect((await post('/v1/feedback', { askId: vague.body.id, verdict: 'partial' })).status).toBe(201);
    const after = await metrics();
    for (const w of ['1h', '24h', '7d']) {
      expect(series(after, 'docqa_feedback_precision', labels(w))).toBeCloseTo(3 / 5, 12);
      expect(series(after, 'docqa_feedback_judged', labels(w))).toBe(5);
    }

    // the log through the CLI
    const listed = JSON.parse(await runCommand(queriesCommand, 'list', ...flags(), '--judged', '--json')) as { records: { id: string }[]; total: number };
    expect(listed.total).toBe(5);
    expect(listed.records.map((r) => r.id)).toEqual([vague.body.id, foreign.body.id, 'village-1', conquest.body.id, born.body.id]);

    // 3. export: the partial verdict has no gold answer and is skipped
    const setFile = path.join(dir, 'feedback.json');
    const summary = JSON.parse(await runCommand(feedbackCommand, 'export', ...flags(), '-o', setFile, '--json')) as Record<string, any>;
    const foreignUnanswerable = foreign.body.noAnswer.chosen === true;
    expect(summary).toMatchObject({
      judged: 5,
      questions: 4,
      answerable: foreignUnanswerable ? 3 : 4,
      skipped: { no_gold_answer: 1, question_not_logged: 0, gold_answer_not_found: 0 },
    });
    const set = parseDataset(fs.readFileSync(setFile, 'utf8'), setFile);
    const gold = Object.fromEntries(set.questions.map((q) => [q.id, q.answers]));
    expect(gold).toEqual({
      [born.body.id]: [born.body.answers[0].text],
      [conquest.body.id]: [conquest.body.answers[0].text],
      'village-1': ['Smiljan'],
      [foreign.body.id]: foreignUnanswerable ? [] : [foreign.body.answers[0].text],
    });
    // the documents travel with the set, rebuilt exactly at the answers' offsets
    const tesla = set.articles.find((a) => a.title === 'nikola-tesla.txt')!;
    const teslaText = set.paragraphs[tesla.paragraphs[0]!]!;
    const a0 = born.body.answers[0];
    expect(teslaText.slice(a0.charStart, a0.charEnd)).toBe(a0.text);
    expect(teslaText).toContain('Smiljan');

    // 4. eval open on the exported set: a fresh index of those documents, every labelled question asked again
    const before2 = await metrics();
    expect(series(before2, 'docqa_eval_f1', { dataset: 'feedback.json', subset: 'all' })).toBeUndefined();
    const run = JSON.parse(await runCommand(evalCommand, 'open', setFile, ...flags(), '--quiet', '--json')) as EvalSummary & { dir: string };
    expect(run.dataset.questions).toBe(4);
    // both documents, though one is named like a DOCX, are ingested as the text they were rebuilt as
    expect(run.ingest).toMatchObject({ documents: 2, failed: 0 });
    const result = await loadRun(path.join(dir, 'data'), run.id);
    const byId = new Map(result.questions.map((q) => [q.id, q]));
    // the answers users marked correct are found again over the exported documents
    expect(byId.get(born.body.id)!.exact).toBe(1);
    expect(byId.get(conquest.body.id)!.exact).toBe(1);

    // 5. the eval gauges now show the run, next to the unchanged precision
    const final = await metrics();
    expect(series(final, 'docqa_eval_f1', { dataset: 'feedback.json', mode: 'open', subset: 'all', model: model.name })).toBeCloseTo(run.official.f1, 9);
    expect(series(final, 'docqa_eval_questions', { dataset: 'feedback.json', mode: 'open' })).toBe(4);
    expect(series(final, 'docqa_feedback_precision', labels('24h'))).toBeCloseTo(3 / 5, 12);
  });
});
