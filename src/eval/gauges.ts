/**
 * The latest eval scores for /metrics: the newest stored run per model version, dataset, sample, mode and top-k
 * (open mode; reader runs have top_k=""), as
 * rows for the docqa_eval_* gauges (declared in src/observability/metrics.ts). `serve` hands
 * `loadEvalGaugeRows` to Metrics.trackEvalScores, which reads it at scrape time, so a new run shows up without a
 * restart.
 */
import type { EvalGaugeRow } from '../observability/metrics.js';
import type { EvalSummary } from './result.js';
import { latestPerModel, listRuns } from './runs.js';

export function gaugeRow(s: EvalSummary): EvalGaugeRow {
  const o = s.official;
  const recall = s.retrieval
    ? Object.fromEntries(Object.entries(s.retrieval.recallAtK).filter((e): e is [string, number] => e[1] !== null))
    : null;
  return {
    labels: {
      model: s.model.name,
      version: s.model.version,
      file: s.model.file,
      dataset: s.dataset.name,
      sample: s.dataset.sample,
      mode: s.mode,
      top_k: s.settings.topK === null ? '' : String(s.settings.topK),
    },
    exact: o.exact,
    f1: o.f1,
    hasAns: o.HasAns_total ? { exact: o.HasAns_exact!, f1: o.HasAns_f1! } : null,
    noAns: o.NoAns_total ? { exact: o.NoAns_exact!, f1: o.NoAns_f1! } : null,
    bestF1: s.thresholdSweep.best_f1,
    recallAtK: recall,
    mrr: s.retrieval?.mrr ?? null,
    latencyP95Seconds: s.latency.p95Ms / 1000,
    questions: s.dataset.questions,
    timestampSeconds: Date.parse(s.createdAt) / 1000,
  };
}

export async function loadEvalGaugeRows(dataDir: string): Promise<EvalGaugeRow[]> {
  return latestPerModel(await listRuns(dataDir)).map(gaugeRow);
}
