/**
 * Stored evaluation runs: `${dataDir}/eval/runs/<runId>/` holds
 *   result.json            everything, per-question records included (EvalResult)
 *   summary.json           the same without the per-question records (what history and /metrics read)
 *   predictions.json       {id: answer, '' = no answer}   (official SQuAD format)
 *   na_probs.json          {id: no-answer probability}     (official SQuAD format)
 *   best_spans.json        {id: best span, never ''}       (for the full threshold sweep)
 *   gold.json              the evaluated questions as SQuAD v2.0
 *   report.html            the self-contained report
 * so `python evaluate-v2.0.py gold.json predictions.json -n na_probs.json` re-scores a run.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, errorMessage } from '../errors.js';
import { RESULT_SCHEMA, summaryOf, type EvalResult, type EvalSummary } from './result.js';

export function runsDir(dataDir: string): string {
  return path.join(dataDir, 'eval', 'runs');
}

/** `20261127T043012Z-reader-3fa2`: sortable by time, unique enough, safe in paths. */
export function newRunId(mode: string, now: Date = new Date(), random: Buffer = randomBytes(2)): string {
  const stamp = now.toISOString().replace(/[-:]/gu, '').replace(/\.\d+Z$/u, 'Z');
  return `${stamp}-${mode}-${random.toString('hex')}`;
}

export interface RunFiles {
  predictions: string;
  naProbs: string;
  bestSpans: string;
  gold: unknown;
  html: string;
}

export async function saveRun(dataDir: string, result: EvalResult, files: RunFiles): Promise<string> {
  const dir = path.join(runsDir(dataDir), result.id);
  await fs.mkdir(dir, { recursive: true });
  await Promise.all([
    fs.writeFile(path.join(dir, 'result.json'), JSON.stringify(result) + '\n'),
    fs.writeFile(path.join(dir, 'predictions.json'), files.predictions),
    fs.writeFile(path.join(dir, 'na_probs.json'), files.naProbs),
    fs.writeFile(path.join(dir, 'best_spans.json'), files.bestSpans),
    fs.writeFile(path.join(dir, 'gold.json'), JSON.stringify(files.gold) + '\n'),
    fs.writeFile(path.join(dir, 'report.html'), files.html),
  ]);
  // written last: a run is listed only once everything else is there
  await fs.writeFile(path.join(dir, 'summary.json'), JSON.stringify(summaryOf(result), null, 2) + '\n');
  return dir;
}

function isSummary(v: unknown): v is EvalSummary {
  return typeof v === 'object' && v !== null && (v as EvalSummary).schema === RESULT_SCHEMA;
}

/** Every stored run's summary, oldest first. Unreadable runs are skipped and reported through `onSkip`. */
export async function listRuns(dataDir: string, onSkip?: (dir: string, why: string) => void): Promise<EvalSummary[]> {
  const root = runsDir(dataDir);
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const out: EvalSummary[] = [];
  for (const name of names) {
    const file = path.join(root, name, 'summary.json');
    try {
      const value: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
      if (isSummary(value)) out.push(value);
      else onSkip?.(path.join(root, name), 'not a docqa eval summary');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // not finished, or not a run
      onSkip?.(path.join(root, name), errorMessage(err));
    }
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
}

/**
 * A stored run by reference: 'latest', 'latest~N' (N runs before the latest), a run id or unique id prefix, or
 * the path of a run folder or its result.json.
 */
export async function loadRun(dataDir: string, ref: string): Promise<EvalResult> {
  const asPath = ref.endsWith('.json') ? ref : path.join(ref, 'result.json');
  if (ref.includes('/') || ref.includes(path.sep) || ref.endsWith('.json')) {
    try {
      return parseResult(await fs.readFile(asPath, 'utf8'), asPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const runs = await listRuns(dataDir);
  let id: string | undefined;
  const latest = /^latest(?:~(\d+))?$/u.exec(ref);
  if (latest) {
    id = runs[runs.length - 1 - Number(latest[1] ?? 0)]?.id;
  } else {
    const matches = runs.filter((r) => r.id === ref || r.id.startsWith(ref));
    const exact = matches.find((r) => r.id === ref);
    if (matches.length > 1 && !exact) {
      throw new NotFoundError(`run '${ref}' is ambiguous: ${matches.map((r) => r.id).join(', ')}`);
    }
    id = exact?.id ?? matches[0]?.id;
  }
  if (!id) throw new NotFoundError(`no eval run '${ref}' in ${runsDir(dataDir)} (see docqa eval history)`);
  const file = path.join(runsDir(dataDir), id, 'result.json');
  return parseResult(await fs.readFile(file, 'utf8'), file);
}

function parseResult(text: string, file: string): EvalResult {
  const value: unknown = JSON.parse(text);
  if (!isSummary(value) || !Array.isArray((value as EvalResult).questions)) {
    throw new NotFoundError(`${file} is not a docqa eval result`);
  }
  return value as EvalResult;
}

/** The latest run per model version, dataset, sample, mode and top-k (what /metrics exports). */
export function latestPerModel(runs: readonly EvalSummary[]): EvalSummary[] {
  const latest = new Map<string, EvalSummary>();
  for (const r of runs) {
    const key = JSON.stringify([r.model.name, r.model.version, r.model.file, r.dataset.name, r.dataset.sample, r.mode, r.settings.topK]);
    const seen = latest.get(key);
    if (!seen || seen.createdAt <= r.createdAt) latest.set(key, r);
  }
  return [...latest.values()];
}
