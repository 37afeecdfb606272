import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { compareRuns } from '../../src/eval/compare.js';
import { formatComparison, formatHistory, historyRows, sparkline } from '../../src/eval/format.js';
import { calibrationBins } from '../../src/eval/charts.js';
import { renderReport } from '../../src/eval/report.js';
import { assembleResult, summaryOf, type QuestionOutcome } from '../../src/eval/result.js';
import { latestPerModel, listRuns, loadRun, newRunId, saveRun } from '../../src/eval/runs.js';
import { META, OUTCOMES } from './helpers.js';

const champion = assembleResult(META, OUTCOMES);
// the challenger gets q2 right ('Paris') and loses q1 ('Rollo the Viking': F1 2/3)
const challengerOutcomes: QuestionOutcome[] = OUTCOMES.map((o) =>
  o.question.id === 'q2' ? { ...o, bestSpan: 'Paris' } : o.question.id === 'q1' ? { ...o, bestSpan: 'Rollo the Viking' } : o,
);
const challenger = assembleResult({ ...META, id: 'run-2', createdAt: '2026-11-28T00:00:00.000Z' }, challengerOutcomes);

describe('compareRuns', () => {
  const c = compareRuns(champion, challenger, { resamples: 1000, seed: 4 });

  it('pairs the questions and counts wins and losses by F1', () => {
    expect(c.paired).toBe(5);
    expect(c.warnings).toEqual([]);
    // q2: 0 -> 1 (win), q1: 1 -> 2/3 (tokens [rollo, viking] vs [rollo]: P 1/2, R 1) (loss)
    expect(c.perQuestion).toEqual({ wins: 1, losses: 1, ties: 3, exactGained: 1, exactLost: 1 });
    expect(c.scores.exact).toEqual({ a: 40, b: 40, delta: 0 });
    expect(c.scores.f1!.delta).toBeCloseTo((100 * (1 - 1 / 3)) / 5, 9);
    expect(c.examples.wins.map((e) => e.id)).toEqual(['q2']);
    expect(c.examples.losses.map((e) => e.id)).toEqual(['q1']);
  });

  it('tests significance on per-question F1 (bootstrap and sign test)', () => {
    expect(c.significance.bootstrap.meanDifference).toBeCloseTo((100 * (1 - 1 / 3)) / 5, 9);
    // one win and one loss: the sign test cannot tell them apart
    expect(c.significance.signTestP).toBe(1);
    expect(c.significance.bootstrap.pValue).toBeGreaterThan(0.05);
    expect(formatComparison(c)).toMatch(/B better 1, worse 1, same 3/u);
  });

  it('warns when the runs scored different question samples', () => {
    const other = { ...challenger, dataset: { ...challenger.dataset, selectionSha256: 'other', sample: 'first-2' }, questions: challenger.questions.slice(0, 2) };
    const d = compareRuns(champion, other, { resamples: 100 });
    expect(d.paired).toBe(2);
    expect(d.onlyInA).toBe(3);
    expect(d.warnings).toEqual(['different question samples (full vs first-2): compared on the shared questions']);
  });
});

describe('history and stored runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-runs-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = { predictions: '{}', naProbs: '{}', bestSpans: '{}', gold: {}, html: '' };

  it('run ids sort by time', () => {
    expect(newRunId('open', new Date('2026-11-27T04:30:12.345Z'), Buffer.from([0x3f, 0xa2]))).toBe('20261127T043012Z-open-3fa2');
  });

  it('lists runs oldest first, resolves latest, latest~N, ids and prefixes', async () => {
    await saveRun(dir, { ...challenger, id: '20261128T000000Z-open-bbbb' }, files);
    await saveRun(dir, { ...champion, id: '20261127T000000Z-open-aaaa' }, files);
    const runs = await listRuns(dir);
    expect(runs.map((r) => r.id)).toEqual(['20261127T000000Z-open-aaaa', '20261128T000000Z-open-bbbb']);
    expect((await loadRun(dir, 'latest')).id).toBe('20261128T000000Z-open-bbbb');
    expect((await loadRun(dir, 'latest~1')).id).toBe('20261127T000000Z-open-aaaa');
    expect((await loadRun(dir, '20261127')).id).toBe('20261127T000000Z-open-aaaa');
    expect((await loadRun(dir, path.join(dir, 'eval', 'runs', '20261127T000000Z-open-aaaa'))).questions).toHaveLength(5);
    await expect(loadRun(dir, '2026112')).rejects.toThrow(/ambiguous/u);
    await expect(loadRun(dir, 'latest~5')).rejects.toBeInstanceOf(NotFoundError);
    expect(latestPerModel(runs).map((r) => r.id)).toEqual(['20261128T000000Z-open-bbbb']);
  });

  it('shows each run with its F1 change and the trend', () => {
    const rows = historyRows([summaryOf(champion), summaryOf(challenger)]);
    expect(rows[0]!.deltaF1).toBeNull();
    expect(rows[1]!.deltaF1).toBeCloseTo(challenger.official.f1 - champion.official.f1, 12);
    expect(formatHistory([summaryOf(champion), summaryOf(challenger)])).toMatch(/open d\.json full: ▁█ 53\.3 → 66\.7/u);
    expect(sparkline([1, 2, 3])).toBe('▁▅█');
  });
});

describe('report', () => {
  it('calibration bins: mean score and exact-match rate per bin', () => {
    const bins = calibrationBins(
      [
        { score: 0.05, correct: false },
        { score: 0.15, correct: true },
        { score: 0.95, correct: true },
        { score: 1, correct: false },
      ],
      2,
    );
    expect(bins).toEqual([
      { lo: 0, hi: 0.5, count: 2, meanScore: 0.1, accuracy: 0.5 },
      { lo: 0.5, hi: 1, count: 2, meanScore: 0.975, accuracy: 0.5 },
    ]);
  });

  it('is one self-contained HTML file with every chart, text escaped', () => {
    const evil = assembleResult(META, OUTCOMES.map((o) => (o.question.id === 'q2' ? { ...o, bestSpan: '<script>alert(1)</script>' } : o)));
    const html = renderReport(evil);
    for (const title of [
      'F1 and exact match by question type',
      'F1 and exact match by article',
      'Answer score: correct vs wrong',
      'No answer: answerable vs unanswerable',
      'Answer score vs accuracy',
      'Latency per question',
      'Outcome of every question',
      'Retrieval: share of answerable questions',
    ]) {
      expect(html).toContain(title);
    }
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(?:src|href)="https?:/u);
  });

  it('open runs with confidence: a reliability diagram, the decision, and misses with document and context', () => {
    const meta = { ...META, settings: { ...META.settings, minConfidence: 0.4, calibrated: true }, warnings: ['the set overlaps training data'] };
    const outcomes = OUTCOMES.map((o, i) => ({
      ...o,
      confidence: 0.2 * (i + 1) - 0.05,
      noAnswerChosen: 0.2 * (i + 1) - 0.05 < 0.4,
      noAnswerProb: 1 - (0.2 * (i + 1) - 0.05),
      answerText: o.bestSpan,
      answerContext: `before ${o.bestSpan} after`,
    }));
    const html = renderReport(assembleResult(meta, outcomes));
    expect(html).toContain('Reliability of confidence');
    expect(html).toMatch(/Expected calibration error \d\.\d{3}/u);
    expect(html).toContain('minimum confidence 0.4 (calibrated)');
    expect(html).toContain('DOCQA_MIN_CONFIDENCE=');
    expect(html).toContain('<b>the set overlaps training data</b>');
    expect(html).toMatch(/<b>Normans<\/b><br><small>before <mark>[^<]+<\/mark> after<\/small>/u);
  });
});
