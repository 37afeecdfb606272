/**
 * Confidence: the estimated probability that an answer is correct, comparable across passages and questions.
 *
 * The reader's own numbers do not say that: its `score` is a softmax within one window (every passage offers a
 * confident-looking span), its logits are unnormalised, and its no-answer probability is decided by the single
 * window most sure of *something*. A small calibrator — logistic regression over features docqa already has
 * (span logit and margin over the window's no-answer logit, the passage's rank and BM25 score, how many passages
 * agree on the answer, the question's length...) — turns them into one number, fitted by `docqa eval calibrate` on
 * open-domain runs with answerable and unanswerable questions, and stored in the model manifest.
 *
 * "Correct" means: the answer's SQuAD F1 against a gold answer is at least 0.5 (and, where the gold names a
 * document, it comes from that document). Pure: no model, no I/O.
 */
import type { AnswerSpan } from '../reader/types.js';
import type { SearchHit } from '../store/store.js';

/** The features of one candidate answer, in a fixed order (FEATURE_NAMES). */
export const FEATURE_NAMES = [
  'margin', // span logit - its window's no-answer logit
  'logit', // start + end logit of the span
  'nullLogit', // the window's no-answer logit
  'logScore', // log of the reader's per-window probability
  'shareOfMargins', // softmax of this span's margin among all candidates of the question (+ a no-answer option at 0)
  'marginGapToBest', // this margin - the best margin of the question (0 for the best)
  'rankLog', // log(1 + rank among candidates by the ranking key)
  'passageRankLog', // log(1 + the passage's rank in the retriever's list)
  'bm25', // the passage's BM25 score
  'bm25Ratio', // ... relative to the best passage's
  'bm25BestPerTerm', // the best BM25 score of the question divided by its number of words
  'agreement', // other passages with a candidate of the same (normalised) text
  'supportShare', // share of the question's margin softmax that goes to this text, over all passages
  'questionWordsLog', // log of the question's words
  'answerWordsLog', // log of the answer's words
  'minNullLog', // log of the smallest no-answer probability over the passages read (the reader's own decision)
  'passageCoverage', // share of the question's content words that occur in the candidate's passage
  'bestCoverage', // the largest such share over the passages read
  'missingWordsLog', // log(1 + content words of the question that occur in none of the passages read)
  'nearCoverage', // share of the question's content words within NEAR_CHARS characters of the answer
  'nearNames', // share of the question's names (capitalised words after its first) within NEAR_CHARS of the answer
  'passageNames', // share of the question's names that occur anywhere in the candidate's passage
] as const;

/** Characters on each side of an answer that `nearCoverage` looks at (about a sentence). */
export const NEAR_CHARS = 150;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** What the calibrator was fitted to predict. */
export const CONFIDENCE_TARGET = 'f1>=0.5';

/** A fitted calibrator, as stored in a model's manifest.json under `calibration`. */
export interface Calibrator {
  method: 'logistic';
  target: typeof CONFIDENCE_TARGET;
  features: FeatureName[];
  /** Standardisation: x' = (x - mean) / scale. */
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /**
   * A monotone map (isotonic regression) from the logistic output to the observed rate of correct best answers:
   * points (x ascending, y non-decreasing), interpolated linearly and clamped at the ends. Absent: the logistic
   * output is the confidence.
   */
  isotonic?: { x: number[]; y: number[] };
  /**
   * The same kind of map for answers whose passage holds none of the question's names (`passageNames` 0: "What is
   * the capital of France?" answered from a passage without "France"), fitted on those answers alone: they are
   * right far less often than the logistic's linear sum says. Absent: `isotonic` serves all answers.
   */
  isotonicNamesAbsent?: { x: number[]; y: number[] };
  /** The best answer's confidence below which docqa says "no answer" (chosen for best F1 on the fitting set). */
  minConfidence: number;
  /** Where it came from: data sets with their sha256, questions, date... (informational). */
  fittedOn?: Record<string, unknown>;
  /** Scores of the fit on its own data (informational). */
  fit?: Record<string, unknown>;
}

export interface CandidateInput {
  span: AnswerSpan;
  /** The ranking key (src/qa/ranking.ts). */
  rankScore: number;
}

const WORD = /[\p{L}\p{N}]+/gu;
export function wordCount(s: string): number {
  return s.match(WORD)?.length ?? 0;
}

/** Function words that say nothing about whether a passage is about the question. */
const STOPWORDS = new Set(
  ('a an the of in on at to for from by with and or but not no is are was were be been being do does did has have had ' +
    'what which who whom whose when where why how that this these those it its as than then there their they them he ' +
    'she his her him we our you your i me my can could would should will shall may might must into about after before ' +
    'during over under between through up down out off also only other such any all some many much more most one two ' +
    'first name named called kind type year years time')
    .split(' '),
);

/**
 * The question's names: capitalised words after its first word (lower case, each once): "France", "Tesla". Words of
 * one or two characters ("SP", "U2", the "V" and "A" of "V&A") are left out: abbreviations a passage spells out.
 */
export function questionNames(s: string): string[] {
  const words = s.match(WORD) ?? [];
  return [...new Set(words.slice(1).filter((w) => /^\p{Lu}/u.test(w) && w.length > 2).map((w) => w.toLowerCase()))].filter(
    (w) => !STOPWORDS.has(w),
  );
}

/** The question's names written in capitals ("UMC", "IPCC"): a passage may spell them out instead. */
export function questionAcronyms(s: string): Set<string> {
  const capitals = new Set((s.match(WORD) ?? []).filter((w) => w.length > 2 && w === w.toUpperCase()).map((w) => w.toLowerCase()));
  return new Set(questionNames(s).filter((n) => n.length <= 6 && capitals.has(n)));
}

/** Lower-case words that may stand inside a name ("Victoria and Albert Museum", "Bay of Bengal"). */
export const NAME_CONNECTORS: ReadonlySet<string> = new Set(['of', 'and', 'the', 'de', 'on', 'for']);

/** In a spelt-out name, 'in' too ("United Methodist Church in Africa"): words without a letter of the initials. */
const SPELT_CONNECTORS = new Set([...NAME_CONNECTORS, 'in']);

/**
 * The initials of every run of two or more capitalised words in `text` (lower case), connectors allowed inside:
 * "the United Methodist Church in Africa" gives "umc", "umci"... ; "Intergovernmental Panel on Climate Change"
 * gives "ipcc". A punctuation mark ends a run.
 */
export function initialisms(text: string): Set<string> {
  const out = new Set<string>();
  let run: string[] = [];
  const close = () => {
    for (let i = 0; i < run.length; i++) for (let j = i + 2; j <= Math.min(run.length, i + 8); j++) out.add(run.slice(i, j).join(''));
    run = [];
  };
  for (const token of text.split(/\s+/u)) {
    const word = token.replace(/^[^\p{L}\p{N}]+/u, '');
    const bare = word.replace(/[^\p{L}\p{N}]+$/u, '');
    if (/^\p{Lu}/u.test(bare)) run.push(bare[0]!.toLowerCase());
    else if (!(run.length > 0 && SPELT_CONNECTORS.has(bare))) close();
    if (bare !== word || word !== token) close(); // punctuation around the word ends the run
  }
  close();
  return out;
}

/** Characters two words must share at the start to count as forms of one name ("Kenya" / "Kenyans"). */
const NAME_PREFIX = 4;

/** Names this long or longer also match a capitalised word one typing slip away ("Hollwood"/"Hollywood"). */
const TYPO_MIN = 6;

/**
 * Does `word` name the same thing as `name`: equal; sharing a start of at least NAME_PREFIX characters that is
 * all of the shorter word but its last letter at most ("Kenya"/"Kenyans", "Germany"/"German",
 * "Ctenophora"/"ctenophores"; not "Britain"/"British", not "Iran"/"Iraq"); or, when `word` is capitalised where
 * it stands (`wordIsName`) and both have TYPO_MIN letters or more and the same first letter, one slip apart: a letter
 * left out, added, changed or two swapped ("Hollwood"/"Hollywood", "Primier"/"Premier", "Kllbrandon"/"Kilbrandon"),
 * as people type questions. Both are compared in lower case.
 */
export function sameName(name: string, word: string, wordIsName = true): boolean {
  if (name === word) return true;
  const shorter = Math.min(name.length, word.length);
  let common = 0;
  while (common < shorter && name[common] === word[common]) common++;
  if (common >= Math.max(NAME_PREFIX, shorter - 1)) return true;
  return wordIsName && common >= 1 && shorter >= TYPO_MIN && oneSlipApart(name, word, common);
}

/** Are `a` and `b` one edit apart (insertion, deletion, substitution or swap of neighbours) after their `common` first letters? */
function oneSlipApart(a: string, b: string, common: number): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  const rest = (x: string, from: number) => x.slice(from);
  if (a.length === b.length) {
    if (rest(a, common + 1) === rest(b, common + 1)) return true; // changed
    return a[common] === b[common + 1] && a[common + 1] === b[common] && rest(a, common + 2) === rest(b, common + 2); // swapped
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return rest(long, common + 1) === rest(short, common); // one left out
}

/** The share of `names` of which `text` holds a form (sameName), or, for `acronyms`, also their spelt-out words. */
function nameCoverage(names: readonly string[], text: string, acronyms: ReadonlySet<string> = new Set()): number {
  if (names.length === 0) return 1;
  const spelt = acronyms.size > 0 ? initialisms(text) : undefined;
  // each word of the text in lower case, and whether it ever stands capitalised, by first letter
  const capitalised = new Map<string, boolean>();
  for (const w of text.match(WORD) ?? []) {
    const lower = w.toLowerCase();
    if (!capitalised.get(lower)) capitalised.set(lower, w !== lower);
  }
  const byStart = new Map<string, string[]>();
  for (const w of capitalised.keys()) {
    const list = byStart.get(w[0]!);
    if (list) list.push(w);
    else byStart.set(w[0]!, [w]);
  }
  return (
    names.filter((n) => (byStart.get(n[0]!) ?? []).some((w) => sameName(n, w, capitalised.get(w))) || (acronyms.has(n) && spelt!.has(n))).length /
    names.length
  );
}

/** The question's content words (lower case, no function words), each once. */
export function contentWords(s: string): string[] {
  return [...new Set((s.toLowerCase().match(WORD) ?? []).filter((w) => !STOPWORDS.has(w)))];
}

/** The text around (not in) the answer span: a right answer usually sits among the question's words. */
function nearText(text: string, start: number, end: number): string {
  return text.slice(Math.max(0, start - NEAR_CHARS), start) + ' ' + text.slice(end, end + NEAR_CHARS);
}

function coverage(words: readonly string[], text: string): number {
  if (words.length === 0) return 1;
  const present = new Set(text.toLowerCase().match(WORD) ?? []);
  return words.filter((w) => present.has(w)).length / words.length;
}

/** SQuAD's answer normalisation (lower case, no punctuation, no articles, single spaces): "same answer" test. */
export function normalizeText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\b(a|an|the)\b/gu, ' ')
    .split(/\s+/u)
    .filter((w) => w.length > 0)
    .join(' ');
}

function softmaxWithNull(values: readonly number[]): number[] {
  const max = Math.max(0, ...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0) + Math.exp(-max);
  return exps.map((e) => e / total);
}

/**
 * The feature vector of every candidate of one question. `ranked` are all spans of all passages read, best first
 * by the ranking key; `hits` the retrieved passages in the retriever's order; `minNullScore` the reader's smallest
 * no-answer probability over those passages.
 */
export function candidateFeatures(
  question: string,
  ranked: readonly CandidateInput[],
  hits: readonly SearchHit[],
  minNullScore: number,
): number[][] {
  const bestBm25 = hits.reduce((m, h) => Math.max(m, h.score), 0);
  const passageRank = new Map(hits.map((h, i) => [h.passage.id, i]));
  const passageBm25 = new Map(hits.map((h) => [h.passage.id, h.score]));
  const margins = ranked.map((c) => c.span.logit - c.span.nullLogit);
  const bestMargin = margins.length > 0 ? Math.max(...margins) : 0;
  const shares = softmaxWithNull(margins);
  const keys = ranked.map((c) => normalizeText(c.span.text));
  const passagesByText = new Map<string, Set<string>>();
  const shareByText = new Map<string, number>();
  ranked.forEach((c, i) => {
    const key = keys[i]!;
    if (!passagesByText.has(key)) passagesByText.set(key, new Set());
    passagesByText.get(key)!.add(c.span.passageId);
    shareByText.set(key, (shareByText.get(key) ?? 0) + shares[i]!);
  });
  const questionWords = Math.max(1, wordCount(question));
  const content = contentWords(question);
  const names = questionNames(question);
  const acronyms = questionAcronyms(question);
  const passageCoverage = new Map(hits.map((h) => [h.passage.id, coverage(content, h.passage.text)]));
  const passageNames = new Map(hits.map((h) => [h.passage.id, nameCoverage(names, h.passage.text, acronyms)]));
  const bestCoverage = hits.reduce((m, h) => Math.max(m, passageCoverage.get(h.passage.id)!), 0);
  const allText = new Set(hits.flatMap((h) => h.passage.text.toLowerCase().match(WORD) ?? []));
  const missing = content.filter((w) => !allText.has(w)).length;
  const passageText = new Map(hits.map((h) => [h.passage.id, h.passage.text]));
  return ranked.map((c, i) => {
    const { span } = c;
    const bm25 = passageBm25.get(span.passageId) ?? 0;
    const key = keys[i]!;
    const near = nearText(passageText.get(span.passageId) ?? '', span.charStart, span.charEnd);
    const values: Record<FeatureName, number> = {
      margin: margins[i]!,
      logit: span.logit,
      nullLogit: span.nullLogit,
      logScore: Math.log(Math.max(span.score, 1e-12)),
      shareOfMargins: shares[i]!,
      marginGapToBest: margins[i]! - bestMargin,
      rankLog: Math.log1p(i),
      passageRankLog: Math.log1p(passageRank.get(span.passageId) ?? hits.length),
      bm25,
      bm25Ratio: bestBm25 > 0 ? bm25 / bestBm25 : 0,
      bm25BestPerTerm: bestBm25 / questionWords,
      agreement: (passagesByText.get(key)?.size ?? 1) - 1,
      supportShare: shareByText.get(key) ?? shares[i]!,
      questionWordsLog: Math.log(questionWords),
      answerWordsLog: Math.log(Math.max(1, wordCount(span.text))),
      minNullLog: Math.log(Math.max(minNullScore, 1e-12)),
      passageCoverage: passageCoverage.get(span.passageId) ?? 0,
      bestCoverage,
      missingWordsLog: Math.log1p(missing),
      nearCoverage: coverage(content, near),
      nearNames: nameCoverage(names, near, acronyms),
      passageNames: passageNames.get(span.passageId) ?? nameCoverage(names, ''),
    };
    return FEATURE_NAMES.map((f) => values[f]);
  });
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The logistic stage alone (before the isotonic map). */
export function logisticScore(calibrator: Pick<Calibrator, 'features' | 'mean' | 'scale' | 'weights' | 'bias'>, features: readonly number[]): number {
  let z = calibrator.bias;
  calibrator.features.forEach((name, j) => {
    const x = features[FEATURE_NAMES.indexOf(name)]!;
    z += calibrator.weights[j]! * ((x - calibrator.mean[j]!) / calibrator.scale[j]!);
  });
  return sigmoid(z);
}

/** Piecewise-linear interpolation through (x ascending, y), clamped at both ends. */
export function interpolate(points: { x: readonly number[]; y: readonly number[] }, v: number): number {
  const { x, y } = points;
  if (v <= x[0]!) return y[0]!;
  if (v >= x[x.length - 1]!) return y[y.length - 1]!;
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= v) lo = mid;
    else hi = mid;
  }
  const t = (v - x[lo]!) / (x[hi]! - x[lo]!);
  return y[lo]! + t * (y[hi]! - y[lo]!);
}

/** The calibrator's confidence for one feature vector (in FEATURE_NAMES order). */
export function calibratedConfidence(calibrator: Calibrator, features: readonly number[]): number {
  return secondStage(calibrator, logisticScore(calibrator, features), namesAbsent(features));
}

/** Does the answer's passage hold none of the question's names (which has some)? */
export function namesAbsent(features: readonly number[]): boolean {
  return features[FEATURE_NAMES.indexOf('passageNames')] === 0;
}

/** The isotonic map that applies (see `isotonicNamesAbsent`) on the logistic output `p`; `p` without a map. */
export function secondStage(calibrator: Pick<Calibrator, 'isotonic' | 'isotonicNamesAbsent'>, p: number, absent: boolean): number {
  const map = absent && calibrator.isotonicNamesAbsent ? calibrator.isotonicNamesAbsent : calibrator.isotonic;
  return map ? interpolate(map, p) : p;
}

/**
 * Without a calibrator (a model folder that was never calibrated): the share of the question's margin softmax
 * that goes to the candidate's answer text, against a no-answer option. A probability-shaped number, not a
 * calibrated one: replies say `calibrated: false`.
 */
export function uncalibratedConfidence(features: readonly number[]): number {
  return features[FEATURE_NAMES.indexOf('supportShare')]!;
}

/** Checks a manifest's `calibration` object; undefined when absent, an Error message when malformed. */
export function parseCalibrator(value: unknown): Calibrator | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') return 'calibration must be an object';
  const c = value as Partial<Calibrator>;
  if (c.method !== 'logistic') return `calibration.method must be 'logistic' (got ${String(c.method)})`;
  const n = c.features?.length ?? 0;
  if (!Array.isArray(c.features) || n === 0) return 'calibration.features must be a non-empty array';
  const unknown = c.features.find((f) => !(FEATURE_NAMES as readonly string[]).includes(f));
  if (unknown) return `calibration.features: unknown feature '${unknown}'`;
  for (const key of ['mean', 'scale', 'weights'] as const) {
    const arr = c[key];
    if (!Array.isArray(arr) || arr.length !== n || !arr.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return `calibration.${key} must be ${n} finite numbers`;
    }
  }
  if (c.scale!.some((s) => s === 0)) return 'calibration.scale must not contain 0';
  if (typeof c.bias !== 'number' || !Number.isFinite(c.bias)) return 'calibration.bias must be a finite number';
  for (const key of ['isotonic', 'isotonicNamesAbsent'] as const) {
    if (c[key] === undefined) continue;
    const { x, y } = c[key] ?? {};
    const ok = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((v) => typeof v === 'number' && v >= 0 && v <= 1);
    if (!ok(x) || !ok(y) || x.length !== y.length || x.some((v, i) => i > 0 && v <= x[i - 1]!) || y.some((v, i) => i > 0 && v < y[i - 1]!)) {
      return `calibration.${key} must be points {x: ascending, y: non-decreasing}, numbers in [0, 1] of equal count`;
    }
  }
  if (c.isotonicNamesAbsent !== undefined && c.isotonic === undefined) return 'calibration.isotonicNamesAbsent needs calibration.isotonic';
  if (typeof c.minConfidence !== 'number' || !(c.minConfidence >= 0 && c.minConfidence <= 1)) {
    return 'calibration.minConfidence must be a number in [0, 1]';
  }
  return { ...c, target: CONFIDENCE_TARGET } as Calibrator;
}
