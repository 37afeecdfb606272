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
 */
import { createHash } from 'node:crypto';
import { shuffled } from './stats.js';

/** The demo corpus's articles (corpus/SOURCES) and the SQuAD 2.0 sample's: never in the calibration half. */
export const DEMO_CORPUS_ARTICLES = ['Nikola_Tesla', 'Rhine', 'Amazon_rainforest', 'Steam_engine', 'Huguenot', 'Normans'];
export const SQUAD2_SAMPLE_ARTICLES = ['Normans', 'Computational_complexity_theory'];
export const CALIBRATION_ARTICLES = 9;
export const FOREIGN_SEED = 20261202;

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
    calibration: withForeignQuestions(pick(split.calibration), trainSubset, seed),
    report: withForeignQuestions(pick(split.report), devA, seed),
    rule: { calibrationArticles: split.calibration, reportArticles: split.report, seed },
  };
}
