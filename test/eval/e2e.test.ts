/**
 * `docqa eval` end to end, in-process through the CLI command (real SQLite store, real ingestion, the tiny real
 * ONNX model): reader and open mode on 10 articles of SQuAD 1.1 dev-b (the vendored excerpt) with a small --limit,
 * reader mode on a SQuAD 2.0 slice (unanswerable questions), open mode on JSONL questions over the sample corpus,
 * then history, show and compare of the stored runs. The tiny model's answers are nonsense: these tests check the plumbing (counts, files,
 * scores consistent with the per-question records and with a re-scoring of the written files).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { runCommand } from '../helpers/cli.js';
import { EXIT, exitCodeOf } from '../../src/cli/exit.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import { BadInputError, NotFoundError } from '../../src/errors.js';
import type { Comparison } from '../../src/eval/compare.js';
import { parseDataset } from '../../src/eval/dataset.js';
import type { EvalResult, EvalSummary } from '../../src/eval/result.js';
import { loadRun } from '../../src/eval/runs.js';
import { evaluateSquad } from '../../src/eval/squad-metrics.js';
import { collectFiles } from '../../src/ingest/ingestor.js';
import { ES_URL, elasticsearchAvailable } from '../helpers/elasticsearch.js';
import { CORPUS, TINY_BERT } from '../helpers/services.js';

// 10 whole articles of the SQuAD 1.1 dev-b split, vendored (test/fixtures/squad/README.md)
const DEV_B = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'squad', 'squad-v1.1-dev-b-excerpt.json');
const V2_SLICE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'eval', 'official', 'gold.json');
const JSONL = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'eval', 'corpus-questions.jsonl');

const esAvailable = await elasticsearchAvailable('eval open --store elasticsearch');

let dir: string;
const common = () => ['--data-dir', path.join(dir, 'data'), '--model-dir', TINY_BERT, '--quiet'];
const dataDir = () => ['--data-dir', path.join(dir, 'data')];

/** Runs `docqa eval <args>` in-process and returns what it printed on stdout. */
function docqaEval(...args: string[]): Promise<string> {
  return runCommand(evalCommand, ...args);
}

type Printed = EvalSummary & { dir: string };

/** Read back an official-format JSON object in file order. */
function orderedFile<T>(file: string): Map<string, T> {
  const text = fs.readFileSync(file, 'utf8');
  const object = JSON.parse(text) as Record<string, T>;
  const keys = [...text.matchAll(/^ {2}("(?:[^"\\]|\\.)*"): /gmu)].map((m) => JSON.parse(m[1]!) as string);
  return new Map(keys.map((k) => [k, object[k]!]));
}

function expectConsistent(printed: Printed, result: EvalResult): void {
  const qs = result.questions;
  expect(qs.length).toBe(printed.dataset.questions);
  expect(printed.official.total).toBe(qs.length);
  expect(printed.official.exact).toBeCloseTo((100 * qs.reduce((s, q) => s + q.exact, 0)) / qs.length, 9);
  expect(printed.official.f1).toBeCloseTo((100 * qs.reduce((s, q) => s + q.f1, 0)) / qs.length, 9);
  expect((printed.official.HasAns_total ?? 0) + (printed.official.NoAns_total ?? 0)).toBe(qs.length);
  for (const q of qs) {
    expect(q.prediction).toBe(q.noAnswerChosen ? '' : q.bestSpan);
    expect(q.noAnswerChosen).toBe(q.noAnswerProb >= result.settings.noAnswerThreshold || q.bestSpan === '');
    expect(q.noAnswerProb).toBeGreaterThanOrEqual(0);
    expect(q.noAnswerProb).toBeLessThanOrEqual(1);
  }
  // The stored files re-score to the same official numbers (what the official script would read).
  const gold = JSON.parse(fs.readFileSync(path.join(printed.dir, 'gold.json'), 'utf8')) as unknown;
  const goldQuestions = parseDataset(JSON.stringify(gold), 'gold.json').questions.map((q) => ({ id: q.id, answers: q.answers }));
  expect(goldQuestions.map((q) => q.id).sort()).toEqual(qs.map((q) => q.id).sort());
  const preds = orderedFile<string>(path.join(printed.dir, 'predictions.json'));
  const probs = orderedFile<number>(path.join(printed.dir, 'na_probs.json'));
  expect([...preds.keys()]).toEqual(qs.map((q) => q.id));
  const ordered = qs.map((q) => goldQuestions.find((g) => g.id === q.id)!);
  expect(evaluateSquad(ordered, preds, probs)).toEqual(printed.official);
  // open mode plots the reliability of confidence when docqa answered something, else the answer score's calibration
  expect(fs.readFileSync(path.join(printed.dir, 'report.html'), 'utf8')).toMatch(/<svg[\s\S]*(?:Calibration|Reliability of confidence)[\s\S]*Latency/u);
}

describe('docqa eval (CLI, in-process, tiny model)', () => {
  const runs: Record<string, Printed> = {};

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-eval-test-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('eval reader on dev-b with --limit: every question scored, official files written and stored', async () => {
    const pred = path.join(dir, 'out', 'pred.json');
    const na = path.join(dir, 'out', 'na.json');
    const printed = JSON.parse(
      await docqaEval('reader', DEV_B, '--limit', '12', '--json', '--predictions', pred, '--na-probs', na, ...common()),
    ) as Printed;
    runs.reader = printed;
    expect(printed.mode).toBe('reader');
    expect(printed.dataset).toMatchObject({ name: 'squad-v1.1-dev-b-excerpt.json', sample: 'first-12', questions: 12, totalQuestions: 1820 });
    expect(printed.dataset.sha256).toBe('33f82db3425d2c8712e92b69c7fc987b884ce0fe3e12167daae58aeb6d8019d4');
    expect(printed.model).toMatchObject({ name: 'tiny-bert-qa', version: '1.0.0' });
    expect(printed.model.sha256).toBe('0c910bc5d257b92d2eb0b797b53df60b4fd2bdfb8cca51ec8bcf3436b8e1aa9b');
    expect(printed.model.manifest).toMatchObject({ name: 'tiny-bert-qa' });
    expect(printed.official.NoAns_total).toBeUndefined();
    expect(printed.retrieval).toBeNull();
    expect(printed.latency.p50Ms).toBeGreaterThan(0);
    expect(printed.latency.p95Ms).toBeGreaterThanOrEqual(printed.latency.p50Ms);
    const result = await loadRun(path.join(dir, 'data'), printed.id);
    expectConsistent(printed, result);
    expect(fs.readFileSync(pred, 'utf8')).toBe(fs.readFileSync(path.join(printed.dir, 'predictions.json'), 'utf8'));
    expect(Object.keys(JSON.parse(fs.readFileSync(na, 'utf8')) as object).sort()).toEqual(result.questions.map((q) => q.id).sort());
  });

  it('eval reader on a SQuAD 2.0 slice: HasAns/NoAns and the threshold sweep', async () => {
    const printed = JSON.parse(await docqaEval('reader', V2_SLICE, '--limit', '40', '--seed', '5', '--json', ...common())) as Printed;
    runs.readerV2 = printed;
    expect(printed.dataset.sample).toBe('random-40-seed-5');
    const result = await loadRun(path.join(dir, 'data'), printed.id);
    expect(printed.official.NoAns_total).toBe(result.questions.filter((q) => !q.hasAnswer).length);
    expect(printed.official.NoAns_total).toBeGreaterThan(0);
    expect(printed.official.HasAns_total).toBeGreaterThan(0);
    const t = printed.thresholdSweep;
    expect(t.best_f1).toBeGreaterThanOrEqual(0);
    expect(t.recommendedThreshold).toBeGreaterThanOrEqual(0);
    expect(t.recommendedThreshold).toBeLessThanOrEqual(1);
    expectConsistent(printed, result);
  });

  it('eval open on dev-b with --limit and --top-k: fresh index, retrieval and attribution', async () => {
    const printed = JSON.parse(await docqaEval('open', DEV_B, '--limit', '8', '--top-k', '5', '--json', ...common())) as Printed;
    runs.open = printed;
    expect(printed.ingest).toMatchObject({ documents: 10, failed: 0 });
    expect(printed.settings).toMatchObject({ store: 'sqlite', topK: 5 });
    const result = await loadRun(path.join(dir, 'data'), printed.id);
    expectConsistent(printed, result);
    const r = printed.retrieval!;
    expect(r.evaluated).toBe(8);
    expect(Object.keys(r.recallAtK)).toEqual(['1', '3', '5']);
    const found = result.questions.filter((q) => q.retrieval!.answerRank !== null);
    expect(r.recallAtK['5']).toBe(found.length / 8);
    for (const q of result.questions) expect(q.retrieval!.retrieved).toBeLessThanOrEqual(5);
    const a = printed.attribution!;
    expect(a.correct + a.misses).toBe(8);
    expect(a.retrievalMisses).toBe(result.questions.filter((q) => q.exact === 0 && q.retrieval!.answerRank === null).length);
    expect(a.readerMisses).toBe(a.misses - a.retrievalMisses);
    // the fresh index was a temporary SQLite store: the data dir holds only the runs
    expect(fs.readdirSync(path.join(dir, 'data'))).toEqual(['eval']);
  });

  it.skipIf(!esAvailable)('eval open --store elasticsearch: a fresh index prefix, dropped after the run', async () => {
    const printed = JSON.parse(
      await docqaEval('open', DEV_B, '--limit', '4', '--top-k', '3', '--store', 'elasticsearch', '--es-url', ES_URL, '--json', ...common()),
    ) as Printed;
    expect(printed.settings.store).toBe('elasticsearch');
    expect(printed.ingest).toMatchObject({ documents: 10, failed: 0 });
    expect(printed.retrieval!.evaluated).toBe(4);
    expectConsistent(printed, await loadRun(path.join(dir, 'data'), printed.id));
    const left = await fetch(new URL(`/_cat/indices/*-eval-${printed.id.toLowerCase()}*?format=json`, ES_URL));
    expect(await left.json()).toEqual([]);
  });

  it('eval open on JSONL questions with --corpus: documents named per question', async () => {
    const printed = JSON.parse(await docqaEval('open', JSONL, '--corpus', CORPUS, '--top-k', '3', '--json', ...common())) as Printed;
    expect(printed.dataset.format).toBe('jsonl');
    const { files } = await collectFiles([CORPUS]);
    expect(printed.ingest).toMatchObject({ documents: files.length, failed: 0 });
    const result = await loadRun(path.join(dir, 'data'), printed.id);
    expectConsistent(printed, result);
    expect(printed.retrieval!.evaluated).toBe(4);
    expect(printed.official).toMatchObject({ HasAns_total: 4, NoAns_total: 1 });
    for (const q of result.questions.filter((x) => x.article !== null)) {
      // a relevant passage must come from the named document
      if (q.retrieval!.answerRank !== null) expect(q.retrieval!.documentRank).not.toBeNull();
    }
    expect(printed.byArticle.map((g) => g.key).sort()).toEqual(['(none)', 'nikola-tesla.txt', 'rhine', 'rhine.md']);
  });

  it('history lists every run with its trend, show prints one', async () => {
    const history = JSON.parse(await docqaEval('history', '--json', ...dataDir())) as EvalSummary[];
    expect(history.map((r) => r.id)).toEqual(expect.arrayContaining([runs.reader!.id, runs.open!.id, runs.readerV2!.id]));
    const text = await docqaEval('history', '--mode', 'reader', ...dataDir());
    expect(text).toContain(runs.reader!.id);
    expect(text).not.toContain(runs.open!.id);
    expect(text).toMatch(/F1 trend/u);
    // a unique prefix of a run id names the run (runs started in the same second share the time part)
    const openId = runs.open!.id;
    const others = history.map((r) => r.id).filter((id) => id !== openId);
    let n = 17;
    while (others.some((id) => id.startsWith(openId.slice(0, n)))) n++;
    expect(await docqaEval('show', openId.slice(0, n), ...dataDir())).toContain(`open eval ${openId}`);
  });

  it('compare: a challenger that always says "no answer" against the champion', async () => {
    const challenger = JSON.parse(await docqaEval('reader', DEV_B, '--limit', '12', '--threshold', '0', '--json', ...common())) as Printed;
    expect(challenger.official).toMatchObject({ exact: 0, f1: 0 });
    const c = JSON.parse(await docqaEval('compare', runs.reader!.id, challenger.id, '--json', '--resamples', '500', ...dataDir())) as Comparison;
    expect(c.paired).toBe(12);
    expect(c.warnings).toEqual(['different no-answer thresholds (0.5 vs 0)']);
    const champion = await loadRun(path.join(dir, 'data'), runs.reader!.id);
    const better = champion.questions.filter((q) => q.f1 > 0).length;
    expect(c.perQuestion).toMatchObject({ wins: 0, losses: better, ties: 12 - better, exactGained: 0 });
    expect(c.scores.f1!.delta).toBeCloseTo(-runs.reader!.official.f1, 9);
    expect(c.significance.bootstrap.meanDifference).toBeCloseTo(-runs.reader!.official.f1, 9);
    expect(await docqaEval('compare', 'latest~1', 'latest', ...dataDir())).toMatch(/B - A[\s\S]*sign test p/u);
  });

  it('bad input: a malformed dataset names the file and field; unknown runs are not found', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ version: '1.1', data: [{ title: 'T', paragraphs: [{ context: 'c', qas: [{ id: 'x', answers: [] }] }] }] }));
    const err = await docqaEval('reader', bad, ...common()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toBe(`${bad}: data[0].paragraphs[0].qas[0].question: expected a string, got undefined`);
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
    const jsonlWithoutCorpus = await docqaEval('open', JSONL, ...common()).catch((e: unknown) => e);
    expect((jsonlWithoutCorpus as Error).message).toMatch(/needs --corpus/u);
    const missing = await docqaEval('compare', 'nope', 'latest', ...dataDir()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(exitCodeOf(missing)).toBe(EXIT.notFound);
    const usage = await docqaEval('reader', DEV_B, '--bogus', ...common()).catch((e: unknown) => e);
    expect(usage).toBeInstanceOf(CommanderError);
    expect(exitCodeOf(usage)).toBe(EXIT.badInput);
    const threshold = await docqaEval('reader', DEV_B, '--threshold', '2', ...common()).catch((e: unknown) => e);
    expect(threshold).toBeInstanceOf(CommanderError);
    expect((threshold as Error).message).toMatch(/--threshold must be a number from 0 to 1, got '2'/u);
    expect(exitCodeOf(threshold)).toBe(EXIT.badInput);
  });
});
