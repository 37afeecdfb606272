/**
 * Annotated question sets: SQuAD JSON (v1.1 and v2.0) and docqa's JSONL for a user's own questions over their own
 * documents. Parsing and selection are pure (text in, questions out); malformed input is a BadInputError naming the
 * file and the field (SQuAD) or line (JSONL).
 *
 * JSONL, one question per line (blank lines ignored):
 *   {"id": "q1", "question": "...", "answers": ["...", ...], "document": "handbook.pdf" | null, "context": "..."?}
 * answers: strings or {"text": ...} objects; [] = unanswerable. document: the name of the document that answers it
 * (as `docqa ingest` names it), or null when any document may. context (optional): the gold passage, which makes
 * the file usable in reader mode.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BadInputError } from '../errors.js';
import { shuffled } from './stats.js';

export interface EvalQuestion {
  id: string;
  question: string;
  /** Gold answer texts; [] = unanswerable (as the official script reads `answers`). */
  answers: string[];
  /** SQuAD: the article title; JSONL: the expected document name (null = any). */
  article: string | null;
  /** JSONL: the document that must hold the answer (null = any); SQuAD: null. */
  document: string | null;
  /** Index into `EvalDataset.paragraphs` of the question's gold paragraph, or null (JSONL without context). */
  paragraph: number | null;
}

export interface SquadArticle {
  title: string;
  /** Indices into EvalDataset.paragraphs. */
  paragraphs: number[];
}

export type DatasetFormat = 'squad' | 'jsonl';

export interface EvalDataset {
  format: DatasetFormat;
  /** SQuAD's `version` field ("1.1", "v2.0"), null for JSONL. */
  version: string | null;
  questions: EvalQuestion[];
  /** Gold paragraph texts (SQuAD contexts, or JSONL contexts). */
  paragraphs: string[];
  /** SQuAD articles in file order ([] for JSONL). */
  articles: SquadArticle[];
}

export interface DatasetInfo {
  file: string;
  /** The file's base name, used to label runs and gauges. */
  name: string;
  format: DatasetFormat;
  version: string | null;
  /** sha256 of the file's bytes. */
  sha256: string;
  /** Questions in the file. */
  totalQuestions: number;
  /** Questions evaluated, and how they were chosen. */
  questions: number;
  limit: number | null;
  seed: number | null;
  /** sha256 of the file hash and the selected ids: two runs with the same value scored the same questions. */
  selectionSha256: string;
  /** 'full', 'first-<n>' or 'random-<n>-seed-<s>'. */
  sample: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(file: string, where: string, what: string): BadInputError {
  return new BadInputError(`${file}: ${where}: ${what}`, 'dataset', { file, at: where });
}

/** Where a JSON.parse error happened, as "line L, column C" when the message gives a position. */
function jsonErrorWhere(text: string, err: unknown): string {
  const m = /position (\d+)/u.exec(String((err as Error)?.message ?? err));
  if (!m) return 'JSON';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return `line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
}

/**
 * Reads a question set: `.jsonl`/`.ndjson` files are JSONL; anything else must be one JSON document, a SQuAD file
 * ({"version", "data": [...]}), unless it is not JSON as a whole and its first line is a JSONL object.
 */
export function parseDataset(text: string, file: string): EvalDataset {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return parseJsonl(text, file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const firstLine = text.trimStart().split('\n', 1)[0] ?? '';
    let jsonl = false;
    try {
      jsonl = isObject(JSON.parse(firstLine));
    } catch {
      jsonl = false;
    }
    if (jsonl) return parseJsonl(text, file);
    throw bad(file, jsonErrorWhere(text, err), `not valid JSON (${(err as Error).message})`);
  }
  if (isObject(value) && 'question' in value && !('data' in value)) return parseJsonl(text, file);
  if (!isObject(value)) throw bad(file, 'top level', 'expected a SQuAD object {"version", "data": [...]}');
  return parseSquad(value, file);
}

function str(v: unknown, file: string, where: string, allowEmpty = false): string {
  if (typeof v !== 'string') throw bad(file, where, `expected a string, got ${v === null ? 'null' : typeof v}`);
  if (!allowEmpty && v.trim().length === 0) throw bad(file, where, 'must not be empty');
  return v;
}

function arr(v: unknown, file: string, where: string): unknown[] {
  if (!Array.isArray(v)) throw bad(file, where, `expected an array, got ${v === null ? 'null' : typeof v}`);
  return v;
}

function answerTexts(v: unknown, file: string, where: string): string[] {
  return arr(v, file, where).map((a, i) => {
    if (typeof a === 'string') return a;
    if (isObject(a)) return str(a.text, file, `${where}[${i}].text`, true);
    throw bad(file, `${where}[${i}]`, 'expected {"text": ...} or a string');
  });
}

export function parseSquad(value: Json, file: string): EvalDataset {
  const version = typeof value.version === 'string' ? value.version : null;
  const data = arr(value.data, file, 'data');
  const questions: EvalQuestion[] = [];
  const paragraphs: string[] = [];
  const articles: SquadArticle[] = [];
  const seen = new Map<string, string>();
  data.forEach((article, a) => {
    const at = `data[${a}]`;
    if (!isObject(article)) throw bad(file, at, 'expected an article object');
    const title = str(article.title, file, `${at}.title`);
    const indices: number[] = [];
    arr(article.paragraphs, file, `${at}.paragraphs`).forEach((para, p) => {
      const pat = `${at}.paragraphs[${p}]`;
      if (!isObject(para)) throw bad(file, pat, 'expected a paragraph object');
      const context = str(para.context, file, `${pat}.context`, true);
      const index = paragraphs.push(context) - 1;
      indices.push(index);
      arr(para.qas, file, `${pat}.qas`).forEach((qa, q) => {
        const qat = `${pat}.qas[${q}]`;
        if (!isObject(qa)) throw bad(file, qat, 'expected a question object');
        const id = str(qa.id, file, `${qat}.id`);
        const previous = seen.get(id);
        if (previous) throw bad(file, `${qat}.id`, `duplicate id '${id}' (also at ${previous})`);
        seen.set(id, `${qat}.id`);
        const answers = answerTexts(qa.answers ?? [], file, `${qat}.answers`);
        if (qa.is_impossible === true && answers.length > 0) {
          throw bad(file, `${qat}.answers`, 'is_impossible is true but answers is not empty');
        }
        questions.push({
          id,
          question: str(qa.question, file, `${qat}.question`),
          answers,
          article: title,
          document: null,
          paragraph: index,
        });
      });
    });
    articles.push({ title, paragraphs: indices });
  });
  if (questions.length === 0) throw bad(file, 'data', 'no questions');
  return { format: 'squad', version, questions, paragraphs, articles };
}

export function parseJsonl(text: string, file: string): EvalDataset {
  const questions: EvalQuestion[] = [];
  const paragraphs: string[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/u);
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.trim().length === 0) return;
    const where = `line ${n}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw bad(file, where, `not valid JSON (${(err as Error).message})`);
    }
    if (!isObject(value)) throw bad(file, where, 'expected a JSON object {"id", "question", "answers", "document"}');
    const id = typeof value.id === 'number' ? String(value.id) : str(value.id, file, `${where}: id`);
    const previous = seen.get(id);
    if (previous) throw bad(file, `${where}: id`, `duplicate id '${id}' (also on line ${previous})`);
    seen.set(id, n);
    if (!('answers' in value)) throw bad(file, `${where}: answers`, 'missing (use [] for an unanswerable question)');
    const document = value.document === undefined || value.document === null ? null : str(value.document, file, `${where}: document`);
    let paragraph: number | null = null;
    if (value.context !== undefined && value.context !== null) {
      paragraph = paragraphs.push(str(value.context, file, `${where}: context`)) - 1;
    }
    questions.push({
      id,
      question: str(value.question, file, `${where}: question`),
      answers: answerTexts(value.answers, file, `${where}: answers`),
      article: document,
      document,
      paragraph,
    });
  });
  if (questions.length === 0) throw bad(file, 'line 1', 'no questions (expected one JSON object per line)');
  return { format: 'jsonl', version: null, questions, paragraphs, articles: [] };
}

/**
 * The questions a run evaluates: all of them; the first `limit`; or, with a seed, a seeded random sample of
 * `limit` questions. Always in dataset order.
 */
export function selectQuestions(
  questions: readonly EvalQuestion[],
  options: { limit?: number | null; seed?: number | null },
): EvalQuestion[] {
  const limit = options.limit ?? null;
  if (limit === null || limit >= questions.length) return [...questions];
  if (limit < 1) throw new BadInputError('--limit must be at least 1', 'limit');
  if (options.seed === null || options.seed === undefined) return questions.slice(0, limit);
  const picked = shuffled(
    questions.map((_, i) => i),
    options.seed,
  )
    .slice(0, limit)
    .sort((a, b) => a - b);
  return picked.map((i) => questions[i]!);
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sampleLabel(total: number, limit: number | null, seed: number | null): string {
  if (limit === null || limit >= total) return 'full';
  return seed === null ? `first-${limit}` : `random-${limit}-seed-${seed}`;
}

export function datasetInfo(
  file: string,
  bytes: Buffer,
  dataset: EvalDataset,
  selected: readonly EvalQuestion[],
  options: { limit?: number | null; seed?: number | null },
): DatasetInfo {
  const fileHash = sha256(bytes);
  const limit = options.limit ?? null;
  const effectiveLimit = limit !== null && limit < dataset.questions.length ? limit : null;
  const seed = effectiveLimit !== null ? (options.seed ?? null) : null;
  return {
    file: path.resolve(file),
    name: path.basename(file),
    format: dataset.format,
    version: dataset.version,
    sha256: fileHash,
    totalQuestions: dataset.questions.length,
    questions: selected.length,
    limit: effectiveLimit,
    seed,
    selectionSha256: sha256(fileHash + '\n' + selected.map((q) => q.id).join('\n')),
    sample: sampleLabel(dataset.questions.length, effectiveLimit, seed),
  };
}

/**
 * The evaluated questions as a SQuAD v2.0 file (contexts included where known), so that the official script can
 * re-score a run's predictions: `python evaluate-v2.0.py gold.json predictions.json -n na_probs.json`.
 */
export function goldSquadFile(dataset: EvalDataset, selected: readonly EvalQuestion[]): unknown {
  const byArticle = new Map<string, Map<number | null, EvalQuestion[]>>();
  for (const q of selected) {
    const title = q.article ?? '(any document)';
    let paras = byArticle.get(title);
    if (!paras) byArticle.set(title, (paras = new Map()));
    const list = paras.get(q.paragraph) ?? [];
    list.push(q);
    paras.set(q.paragraph, list);
  }
  return {
    version: 'v2.0',
    data: [...byArticle].map(([title, paras]) => ({
      title,
      paragraphs: [...paras].map(([p, qs]) => ({
        context: p === null ? '' : dataset.paragraphs[p]!,
        qas: qs.map((q) => ({
          id: q.id,
          question: q.question,
          answers: q.answers.map((text) => ({ text })),
          is_impossible: q.answers.length === 0,
        })),
      })),
    })),
  };
}
