/**
 * Exact match and F1 by the rules of the official SQuAD 2.0 evaluation script (evaluate-v2.0.py), function for
 * function, so that docqa's numbers are the numbers that script prints for the same predictions:
 *
 *   normalize_answer  lower case, drop ASCII punctuation, drop the words a/an/the, collapse whitespace
 *   get_tokens        normalize_answer(s).split(), [] for ''
 *   compute_exact     normalised strings equal (0 or 1)
 *   compute_f1        token-overlap F1; 1 when both token lists are empty, 0 when one is
 *   get_raw_scores    max over the gold answers whose normalised text is not empty; none left = unanswerable ('')
 *   apply_no_ans_threshold, make_eval_dict, find_best_thresh, find_all_best_thresh
 *
 * Maps keep the dataset's question order (the script's dicts do too): sums run in that order and ties in the
 * threshold sweep are broken by the order of the no-answer probabilities, exactly as the script does. Checked
 * against the script's own output in test/eval/official-script.test.ts.
 *
 * Pure: data in, numbers out.
 */

/** Python's string.punctuation. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** Python's str.split() separators (str.isspace()). */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
/** `\b(a|an|the)\b` with Python's Unicode word characters (letters, digits/numerics, underscore). */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

export function normalizeAnswer(s: string): string {
  let text = s.toLowerCase();
  let kept = '';
  for (const ch of text) if (!PUNCTUATION.has(ch)) kept += ch;
  text = kept.replace(ARTICLES, ' ');
  return text.split(PY_WHITESPACE).filter((t) => t.length > 0).join(' ');
}

export function getTokens(s: string): string[] {
  if (!s) return [];
  const normalized = normalizeAnswer(s);
  return normalized ? normalized.split(' ') : [];
}

export function computeExact(gold: string, pred: string): 0 | 1 {
  return normalizeAnswer(gold) === normalizeAnswer(pred) ? 1 : 0;
}

function counts(tokens: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

export function computeF1(gold: string, pred: string): number {
  const goldToks = getTokens(gold);
  const predToks = getTokens(pred);
  if (goldToks.length === 0 || predToks.length === 0) {
    // Either is no-answer: 1 if both are, 0 otherwise.
    return goldToks.length === predToks.length ? 1 : 0;
  }
  const predCounts = counts(predToks);
  let numSame = 0;
  for (const [tok, n] of counts(goldToks)) numSame += Math.min(n, predCounts.get(tok) ?? 0);
  if (numSame === 0) return 0;
  const precision = (1.0 * numSame) / predToks.length;
  const recall = (1.0 * numSame) / goldToks.length;
  return (2 * precision * recall) / (precision + recall);
}

/** The gold answers a prediction is scored against: those with non-empty normalised text, else [''] (no answer). */
export function scoringGoldAnswers(answers: readonly string[]): string[] {
  const kept = answers.filter((a) => normalizeAnswer(a) !== '');
  return kept.length > 0 ? kept : [''];
}

/** A question's scores: the maximum over its gold answers (get_raw_scores for one question). */
export function scorePrediction(answers: readonly string[], pred: string): { exact: number; f1: number } {
  const golds = scoringGoldAnswers(answers);
  return {
    exact: Math.max(...golds.map((a) => computeExact(a, pred))),
    f1: Math.max(...golds.map((a) => computeF1(a, pred))),
  };
}

/** A question of the gold standard: its id and gold answer texts ([] = unanswerable, as the script's `answers`). */
export interface GoldQuestion {
  id: string;
  answers: readonly string[];
}

export type Scores = Map<string, number>;

/** make_qid_to_has_ans: a question has an answer when its answer list is not empty. */
export function hasAnswerMap(questions: readonly GoldQuestion[]): Map<string, boolean> {
  return new Map(questions.map((q) => [q.id, q.answers.length > 0]));
}

/** get_raw_scores: per question exact and F1 in dataset order; questions without a prediction are skipped. */
export function rawScores(
  questions: readonly GoldQuestion[],
  preds: ReadonlyMap<string, string>,
): { exact: Scores; f1: Scores; missing: string[] } {
  const exact: Scores = new Map();
  const f1: Scores = new Map();
  const missing: string[] = [];
  for (const q of questions) {
    const pred = preds.get(q.id);
    if (pred === undefined) {
      missing.push(q.id);
      continue;
    }
    const s = scorePrediction(q.answers, pred);
    exact.set(q.id, s.exact);
    f1.set(q.id, s.f1);
  }
  return { exact, f1, missing };
}

/** apply_no_ans_threshold: a question whose no-answer probability exceeds the threshold scores as "no answer". */
export function applyNoAnsThreshold(
  scores: Scores,
  naProbs: ReadonlyMap<string, number>,
  hasAns: ReadonlyMap<string, boolean>,
  threshold: number,
): Scores {
  const out: Scores = new Map();
  for (const [qid, s] of scores) {
    const predNa = naProbs.get(qid)! > threshold;
    out.set(qid, predNa ? (hasAns.get(qid) ? 0 : 1) : s);
  }
  return out;
}

export interface EvalDict {
  exact: number;
  f1: number;
  total: number;
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** make_eval_dict: percentages over all scored questions, or over `qids` when given and not empty. */
export function makeEvalDict(exact: Scores, f1: Scores, qids?: readonly string[]): EvalDict {
  if (!qids || qids.length === 0) {
    const total = exact.size;
    return { exact: (100.0 * sum(exact.values())) / total, f1: (100.0 * sum(f1.values())) / total, total };
  }
  const total = qids.length;
  return {
    exact: (100.0 * sum(qids.map((k) => exact.get(k)!))) / total,
    f1: (100.0 * sum(qids.map((k) => f1.get(k)!))) / total,
    total,
  };
}

/**
 * find_best_thresh: walk the questions by increasing no-answer probability, answering each one in turn (all others
 * "no answer"), and keep the best total. Returns the best score in percent and the probability at which it was
 * reached: the script answers questions with probability <= thresh and says "no answer" above it.
 */
export function findBestThresh(
  preds: ReadonlyMap<string, string>,
  scores: Scores,
  naProbs: ReadonlyMap<string, number>,
  hasAns: ReadonlyMap<string, boolean>,
): { score: number; thresh: number } {
  let numNoAns = 0;
  for (const v of hasAns.values()) if (!v) numNoAns++;
  let cur = numNoAns;
  let best = cur;
  let bestThresh = 0.0;
  // Array.prototype.sort is stable, like Python's sorted: ties keep the order of naProbs.
  const qids = [...naProbs.keys()].sort((a, b) => naProbs.get(a)! - naProbs.get(b)!);
  for (const qid of qids) {
    if (!scores.has(qid)) continue;
    const diff = hasAns.get(qid) ? scores.get(qid)! : preds.get(qid) ? -1 : 0;
    cur += diff;
    if (cur > best) {
      best = cur;
      bestThresh = naProbs.get(qid)!;
    }
  }
  return { score: (100.0 * best) / scores.size, thresh: bestThresh };
}

export interface BestThresholds {
  best_exact: number;
  best_exact_thresh: number;
  best_f1: number;
  best_f1_thresh: number;
}

export function findAllBestThresh(
  preds: ReadonlyMap<string, string>,
  exactRaw: Scores,
  f1Raw: Scores,
  naProbs: ReadonlyMap<string, number>,
  hasAns: ReadonlyMap<string, boolean>,
): BestThresholds {
  const e = findBestThresh(preds, exactRaw, naProbs, hasAns);
  const f = findBestThresh(preds, f1Raw, naProbs, hasAns);
  return { best_exact: e.score, best_exact_thresh: e.thresh, best_f1: f.score, best_f1_thresh: f.thresh };
}

/** What the official script prints (same keys; HasAns_/NoAns_ only when there are such questions). */
export interface OfficialEval extends EvalDict, Partial<BestThresholds> {
  HasAns_exact?: number;
  HasAns_f1?: number;
  HasAns_total?: number;
  NoAns_exact?: number;
  NoAns_f1?: number;
  NoAns_total?: number;
}

/**
 * The script's main(): scores `preds` against `questions`, applying `naProbThresh` (default 1.0 as in the script)
 * and, when `naProbs` is given, the best-threshold sweep. Every question must have a prediction (and a
 * probability when naProbs is given); the script would crash otherwise, this throws.
 */
export function evaluateSquad(
  questions: readonly GoldQuestion[],
  preds: ReadonlyMap<string, string>,
  naProbs?: ReadonlyMap<string, number>,
  naProbThresh = 1.0,
): OfficialEval {
  const hasAns = hasAnswerMap(questions);
  const probs = naProbs ?? new Map([...preds.keys()].map((k) => [k, 0.0]));
  const raw = rawScores(questions, preds);
  if (raw.missing.length > 0) throw new Error(`missing predictions for ${raw.missing.length} questions (first: ${raw.missing[0]})`);
  for (const q of questions) {
    if (!probs.has(q.id)) throw new Error(`missing no-answer probability for question ${q.id}`);
  }
  const exactThresh = applyNoAnsThreshold(raw.exact, probs, hasAns, naProbThresh);
  const f1Thresh = applyNoAnsThreshold(raw.f1, probs, hasAns, naProbThresh);
  const out: OfficialEval = makeEvalDict(exactThresh, f1Thresh);
  const hasAnsQids = [...hasAns].filter(([, v]) => v).map(([k]) => k);
  const noAnsQids = [...hasAns].filter(([, v]) => !v).map(([k]) => k);
  if (hasAnsQids.length > 0) {
    const d = makeEvalDict(exactThresh, f1Thresh, hasAnsQids);
    Object.assign(out, { HasAns_exact: d.exact, HasAns_f1: d.f1, HasAns_total: d.total });
  }
  if (noAnsQids.length > 0) {
    const d = makeEvalDict(exactThresh, f1Thresh, noAnsQids);
    Object.assign(out, { NoAns_exact: d.exact, NoAns_f1: d.f1, NoAns_total: d.total });
  }
  if (naProbs) Object.assign(out, findAllBestThresh(preds, raw.exact, raw.f1, naProbs, hasAns));
  return out;
}
