/**
 * The question word of a question, for "F1 by question type": the earliest of what/which/who/whom/whose/when/
 * where/why/how (with "how many"/"how much" as their own types), anywhere in the question ("In what year..." is a
 * what-question), else "other". Pure.
 */
export const QUESTION_TYPES = [
  'what',
  'which',
  'who',
  'whom',
  'whose',
  'when',
  'where',
  'why',
  'how many',
  'how much',
  'how',
  'other',
] as const;

export type QuestionType = (typeof QUESTION_TYPES)[number];

const WH = /\b(what|which|who|whom|whose|when|where|why|how)\b(?:\s+(many|much)\b)?/iu;

export function questionType(question: string): QuestionType {
  const m = WH.exec(question);
  if (!m) return 'other';
  const word = m[1]!.toLowerCase();
  if (word === 'how' && m[2]) return `how ${m[2].toLowerCase()}` as QuestionType;
  return word as QuestionType;
}
