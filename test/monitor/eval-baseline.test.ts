import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { monitorCommand } from '../../src/cli/commands/monitor.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import type { EvalSummary } from '../../src/eval/result.js';
import { loadRun } from '../../src/eval/runs.js';
import type { Baseline } from '../../src/monitor/baseline.js';
import { runCommand } from '../helpers/cli.js';
import { TINY_BERT } from '../helpers/services.js';

const DEV_B = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'squad', 'squad-v1.1-dev-b-excerpt.json');

describe('docqa monitor baseline --eval-run: the ask features of a real open-mode eval run (tiny ONNX model)', () => {
  let dir: string;
  let data: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-eval-baseline-'));
    data = path.join(dir, 'data');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('marks question length, BM25 top score, confidence and no-answer of the run; refuses a reader-mode run', async () => {
    const common = ['--data-dir', data, '--model-dir', TINY_BERT, '--quiet', '--json'];
    const open = JSON.parse(await runCommand(evalCommand, 'open', DEV_B, '--limit', '12', '--seed', '3', '--top-k', '3', ...common)) as EvalSummary;
    const run = await loadRun(data, open.id);
    expect(run.questions.every((q) => typeof q.retrieverTopScore === 'number' && q.retrieverTopScore > 0)).toBe(true);

    const out = JSON.parse(await runCommand(monitorCommand, 'baseline', '--data-dir', data, '--eval-run', 'latest', '--json')) as { marked: string[]; skipped: { feature: string }[]; file: string };
    // 12 questions: below the default minimum of 100 values, nothing is marked
    expect(out.marked).toEqual([]);
    process.env.DOCQA_MONITOR_MIN_VALUES = '5';
    try {
      const marked = JSON.parse(await runCommand(monitorCommand, 'baseline', '--data-dir', data, '--eval-run', open.id, '--json')) as typeof out;
      expect(marked.marked).toEqual(['question_chars', 'retriever_top_score', 'answer_confidence', 'no_answer']);
      expect(marked.skipped.map((s) => s.feature)).toEqual(['ingest_chars_per_page', 'ingest_empty_page']);
      const baseline = JSON.parse(fs.readFileSync(marked.file, 'utf8')) as Baseline;
      const q = baseline.features.question_chars!;
      expect(q.source).toEqual({ kind: 'eval-run', runId: open.id, dataset: run.dataset.name, model: `${run.model.name} ${run.model.version}`, createdAt: run.createdAt });
      expect(q.count).toBe(12);
      expect(q.mean).toBeCloseTo(run.questions.reduce((n, r) => n + r.question.trim().length, 0) / 12, 9);
      expect(baseline.features.no_answer!.mean).toBeCloseTo(run.questions.filter((r) => r.noAnswerChosen).length / 12, 9);
      expect(baseline.features.retriever_top_score!.values).toEqual(run.questions.map((r) => r.retrieverTopScore!).sort((a, b) => a - b));

      await runCommand(evalCommand, 'reader', DEV_B, '--limit', '3', ...common);
      await expect(runCommand(monitorCommand, 'baseline', '--data-dir', data, '--eval-run', 'latest')).rejects.toThrow(/reader-mode run; a baseline needs an open-mode run/u);
    } finally {
      delete process.env.DOCQA_MONITOR_MIN_VALUES;
    }
  });
});
