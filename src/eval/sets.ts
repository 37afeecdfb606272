/**
 * The question sets that fit and judge the confidence calibrator, built from SQuAD 1.1 by a fixed, recorded rule
 * (SQuAD 2.0-style unanswerable questions are scarce, so they are made: *foreign* questions, asked of a corpus
 * that lacks their article). Pure: parsed SQuAD JSON in, SQuAD 2.0 JSON out.
 *
 * - dev-b's 24 articles are split in two. Eligible for the calibration half: those neither in the demo corpus
 *   (corpus/, six articles) nor in the SQuAD 2.0 sample (two), sorted by the sha256 of their title; the first
 *   nine are the calibration half, the other fifteen dev-b articles the report half.
 * - calibration set = the nine articles with their questions + as many foreign questions from the train subset;
 *   report set = the fifteen articles with their questions + as many foreign questions from dev-a. The bundled
 *   model was trained on the train subset and dev-a: its confidence on those questions' own articles would be that
 *   of memorised questions, but as foreign questions they are only ever asked of other articles.
 * - foreign questions are a seeded random sample, marked `is_impossible` and attached to the set's paragraphs in
 *   turn (open mode asks them of the whole corpus; their ids start with `foreign-`).
 * - the calibration set also holds *swapped-name* questions (ids `swap-`): each answerable question whose name
 *   (a run of capitalised words after its first word, found in its paragraph) can be replaced by a name from a
 *   train-subset article that occurs nowhere in the set's corpus ("What is the capital of Kenya?" -> "... of
 *   Tonga?"). They are the kind of unanswerable question a person asks first, on topic but about something the
 *   documents lack, which foreign SQuAD questions, sharing few words with the corpus, rarely are. The fit uses them
 *   for the map of answers whose passage lacks the question's names only (src/eval/calibration.ts).
 */
import { createHash } from 'node:crypto';
import { NAME_CONNECTORS } from '../qa/confidence.js';
import { prng, shuffled } from './stats.js';

/** The demo corpus's articles (corpus/SOURCES) and the SQuAD 2.0 sample's: never in the calibration half. */
export const DEMO_CORPUS_ARTICLES = ['Nikola_Tesla', 'Rhine', 'Amazon_rainforest', 'Steam_engine', 'Huguenot', 'Normans'];
export const SQUAD2_SAMPLE_ARTICLES = ['Normans', 'Computational_complexity_theory'];
export const CALIBRATION_ARTICLES = 9;
export const FOREIGN_SEED = 20261202;
/** The id prefix of swapped-name questions (see withSwappedNames). */
export const SWAPPED_PREFIX = 'swap-';

/** Is this the id of a swapped-name question (withSwappedNames)? */
export const isSwapped = (id: string): boolean => id.startsWith(SWAPPED_PREFIX);

/** Records of swapped-name questions apart from the others, each list in its order. */
export function splitSwapped<T extends { id: string }>(records: readonly T[]): { own: T[]; swapped: T[] } {
  const own: T[] = [];
  const swapped: T[] = [];
  for (const r of records) (isSwapped(r.id) ? swapped : own).push(r);
  return { own, swapped };
}

interface SquadQa {
  id: string;
  question: string;
  answers: { text: string; answer_start: number }[];
  is_impossible?: boolean;
  [k: string]: unknown;
}
interface SquadParagraph {
  context: string;
  qas: SquadQa[];
}
interface SquadArticleJson {
  title: string;
  paragraphs: SquadParagraph[];
}
export interface SquadJson {
  version?: string;
  data: SquadArticleJson[];
}

const norm = (title: string) => title.replace(/ /gu, '_');
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** dev-b's articles split into the calibration half (9) and the report half (15), by the rule above. */
export function splitDevB(devB: SquadJson): { calibration: string[]; report: string[] } {
  const excluded = new Set([...DEMO_CORPUS_ARTICLES, ...SQUAD2_SAMPLE_ARTICLES]);
  const titles = devB.data.map((a) => a.title);
  const eligible = titles.filter((t) => !excluded.has(norm(t))).sort((a, b) => (sha(norm(a)) < sha(norm(b)) ? -1 : 1));
  const calibration = eligible.slice(0, CALIBRATION_ARTICLES);
  return { calibration, report: titles.filter((t) => !calibration.includes(t)) };
}

function questionsOf(file: SquadJson): SquadQa[] {
  return file.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas));
}

/** The articles with their questions, plus as many foreign questions (sampled from `foreignFrom`) as they have. */
export function withForeignQuestions(
  articles: readonly SquadArticleJson[],
  foreignFrom: SquadJson,
  seed = FOREIGN_SEED,
): SquadJson {
  const own = new Set(articles.map((a) => norm(a.title)));
  const copy: SquadArticleJson[] = structuredClone(articles as SquadArticleJson[]);
  const answerable = copy.reduce((n, a) => n + a.paragraphs.reduce((m, p) => m + p.qas.length, 0), 0);
  const pool = foreignFrom.data.filter((a) => !own.has(norm(a.title)));
  const foreign = shuffled(questionsOf({ data: pool }), seed).slice(0, answerable);
  const paragraphs = copy.flatMap((a) => a.paragraphs);
  foreign.forEach((q, i) => {
    paragraphs[i % paragraphs.length]!.qas.push({ id: `foreign-${q.id}`, question: q.question, answers: [], is_impossible: true });
  });
  return { version: 'v2.0', data: copy };
}


/**
 * Runs of capitalised words in `text`, connectors allowed inside, by character offsets: the names of a text. A run
 * at the start of the text or of a sentence is left out (its first word is capitalised whatever it is).
 */
export function nameRuns(text: string): { start: number; end: number; text: string }[] {
  const runs: { start: number; end: number; text: string }[] = [];
  const tokens = [...text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’&.-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu)];
  let i = 0;
  while (i < tokens.length) {
    const first = tokens[i]!;
    const before = text.slice(0, first.index).trimEnd();
    const capital = /^\p{Lu}/u.test(first[0]);
    if (!capital || before === '' || /[.!?:"“]$/u.test(before)) {
      i++;
      continue;
    }
    let j = i + 1;
    let last = i;
    while (j < tokens.length) {
      const gap = text.slice(tokens[j - 1]!.index! + tokens[j - 1]![0].length, tokens[j]!.index);
      if (gap.trim() !== '') break; // punctuation between words ends a name
      if (/^\p{Lu}/u.test(tokens[j]![0])) last = j;
      else if (!NAME_CONNECTORS.has(tokens[j]![0])) break;
      j++;
    }
    const end = tokens[last]!.index! + tokens[last]![0].length;
    runs.push({ start: first.index!, end, text: text.slice(first.index!, end) });
    i = last + 1;
  }
  return runs;
}

const normalized = (s: string) => ` ${s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;

/**
 * The set with a swapped-name question (see above) for each of its answerable questions that allows one: a name of
 * the question that occurs in its paragraph and is not (part of) an answer is replaced by a name of one to three
 * words from `namesFrom`'s articles (not the set's), within one word of its length, that occurs nowhere in the
 * set's paragraphs. Seeded; the questions stay with their paragraphs.
 */
export function withSwappedNames(set: SquadJson, namesFrom: SquadJson, seed = FOREIGN_SEED): SquadJson {
  const own = new Set(set.data.map((a) => norm(a.title)));
  const corpus = normalized(set.data.flatMap((a) => a.paragraphs.map((p) => p.context)).join(' '));
  const absent = (name: string) => !corpus.includes(normalized(name));
  const pool = shuffled(
    [...new Set(namesFrom.data.filter((a) => !own.has(norm(a.title))).flatMap((a) => a.paragraphs.flatMap((p) => nameRuns(p.context).map((r) => r.text))))].filter(
      (n) => n.split(' ').length <= 3 && absent(n),
    ),
    seed,
  );
  const random = prng(seed);
  const copy: SquadJson = structuredClone(set);
  for (const paragraph of copy.data.flatMap((a) => a.paragraphs)) {
    const swapped: SquadQa[] = [];
    for (const qa of paragraph.qas) {
      if (qa.is_impossible || qa.answers.length === 0) continue;
      const answers = qa.answers.map((a) => normalized(a.text));
      const runs = nameRuns(qa.question).filter(
        (r) => paragraph.context.includes(r.text) && !answers.some((a) => a.includes(normalized(r.text)) || normalized(r.text).includes(a)),
      );
      if (runs.length === 0) continue;
      const run = runs[Math.floor(random() * runs.length)]!;
      const words = run.text.split(' ').length;
      const from = Math.floor(random() * pool.length);
      let name: string | undefined;
      for (let k = 0; k < pool.length && name === undefined; k++) {
        const candidate = pool[(from + k) % pool.length]!;
        if (Math.abs(candidate.split(' ').length - words) <= 1 && !answers.some((a) => normalized(candidate).includes(a))) name = candidate;
      }
      if (name === undefined) continue;
      swapped.push({ id: `${SWAPPED_PREFIX}${qa.id}`, question: qa.question.slice(0, run.start) + name + qa.question.slice(run.end), answers: [], is_impossible: true });
    }
    paragraph.qas.push(...swapped);
  }
  return copy;
}

export interface CalibrationSets {
  calibration: SquadJson;
  report: SquadJson;
  /** What was chosen, for the record (docs, manifest). */
  rule: { calibrationArticles: string[]; reportArticles: string[]; seed: number };
}

export function calibrationSets(devA: SquadJson, devB: SquadJson, trainSubset: SquadJson, seed = FOREIGN_SEED): CalibrationSets {
  const split = splitDevB(devB);
  const pick = (titles: string[]) => devB.data.filter((a) => titles.includes(a.title));
  return {
    calibration: withSwappedNames(withForeignQuestions(pick(split.calibration), trainSubset, seed), trainSubset, seed),
    report: withForeignQuestions(pick(split.report), devA, seed),
    rule: { calibrationArticles: split.calibration, reportArticles: split.report, seed },
  };
}
