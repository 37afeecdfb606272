import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const TINY_BERT = path.join(FIXTURES, 'models', 'tiny-bert-qa');
export const TINY_ROBERTA = path.join(FIXTURES, 'models', 'tiny-roberta-qa');
export const TINY_XLMR = path.join(FIXTURES, 'models', 'tiny-xlmr-qa');

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Python offsets count code points; JS strings count UTF-16 code units. */
export function codePointToUtf16(text: string): number[] {
  const map: number[] = [];
  let i = 0;
  for (const ch of text) {
    map.push(i);
    i += ch.length;
  }
  map.push(i);
  return map;
}

export interface SquadExample {
  id: string;
  question: string;
  context: string;
}

/** Whole SQuAD dev-b articles vendored for the tests (see test/fixtures/squad/README.md). */
export const SQUAD_EXCERPT = path.join(FIXTURES, 'squad', 'squad-v1.1-dev-b-excerpt.json');

/** SQuAD questions in file order (article -> paragraph -> qa), each with its paragraph. */
export function readSquad(file: string): SquadExample[] {
  const { data } = readJson<{ data: { paragraphs: { context: string; qas: { id: string; question: string }[] }[] }[] }>(file);
  return data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => ({ id: q.id, question: q.question, context: p.context }))));
}
