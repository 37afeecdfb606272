/**
 * Feedback becomes a regression set that `docqa eval open` runs: each judged ask is a question with a gold answer,
 * and the documents it was answered from travel with it, so the set stands on its own.
 *
 * Gold answer of a judged ask:
 * - a `correctAnswer` given with the feedback (any verdict) is the gold answer;
 * - `correct` on an answer: that answer's text; `correct` on the no-answer decision: unanswerable (SQuAD 2.0 style);
 * - `wrong` or `partial` without a correctAnswer, or a question the log did not keep (DOCQA_LOG_QUESTIONS=false):
 *   no gold answer is known, so the ask is skipped (and counted, with the reason).
 *
 * Documents: every document the ask's answers came from (what the model chose between) and the document that holds
 * the gold answer (found among those, else by searching the store for the answer text). Each is rebuilt from its
 * stored passages (their exact character offsets) and becomes one SQuAD article named as the document, which is
 * how `eval open` ingests a SQuAD file: so the regression run asks over the same documents, under the same names.
 */
import { BadInputError } from '../errors.js';
import type { DocumentRecord, Passage } from '../documents/document.js';
import type { DocumentStore } from '../store/store.js';
import type { QueryRecord, Verdict } from './record.js';

export interface LabelledQuestion {
  /** The ask id (the question's id in the set, so a run's per-question results point back at the log). */
  id: string;
  question: string;
  /** Gold answers; [] = unanswerable. */
  answers: string[];
  verdict: Verdict;
  /** Documents (by id) that hold the answer first, then the others the ask answered from. */
  documentIds: string[];
}

export type SkipReason = 'question_not_logged' | 'no_gold_answer' | 'gold_answer_not_found';

export interface Skipped {
  askId: string;
  reason: SkipReason;
}

/** The gold answer of a judged ask, or why it has none (pure). */
export function goldOf(record: QueryRecord): { answers: string[]; fromAnswer: number | null } | { skip: SkipReason } {
  const f = record.feedback;
  if (!f) return { skip: 'no_gold_answer' };
  if (record.question === null) return { skip: 'question_not_logged' };
  if (f.correctAnswer) return { answers: [f.correctAnswer], fromAnswer: null };
  if (f.verdict !== 'correct') return { skip: 'no_gold_answer' };
  if (f.answerIndex === null) return { answers: [], fromAnswer: null };
  const answer = record.answers[f.answerIndex];
  return answer ? { answers: [answer.text], fromAnswer: f.answerIndex } : { skip: 'no_gold_answer' };
}

/** A document's text rebuilt from its passages (exact at every passage's offsets; gaps between passages are newlines). */
export function documentText(doc: DocumentRecord, passages: readonly Passage[]): string {
  const sorted = [...passages].sort((a, b) => a.charStart - b.charStart);
  let text = '';
  for (const p of sorted) {
    if (p.charEnd <= text.length) continue;
    if (p.charStart > text.length) text += '\n'.repeat(p.charStart - text.length);
    text += p.text.slice(text.length - p.charStart);
  }
  if (doc.charCount > text.length) text += '\n'.repeat(doc.charCount - text.length);
  return text;
}

function normalise(s: string): string {
  return s.toLowerCase().replace(/\s+/gu, ' ').trim();
}

export interface FeedbackSet {
  questions: LabelledQuestion[];
  skipped: Skipped[];
  /** The documents the questions need, by id: name and rebuilt text. */
  documents: Map<string, { name: string; text: string }>;
}

/**
 * Builds the set from judged records (oldest first): gold answers, and the documents with their rebuilt text,
 * read from the document store. A gold answer that no stored document contains is skipped
 * ('gold_answer_not_found': the regression test could not pass on any document).
 */
export async function buildFeedbackSet(records: readonly QueryRecord[], store: DocumentStore): Promise<FeedbackSet> {
  const documents = new Map<string, { name: string; text: string }>();
  const missing = new Set<string>();
  const load = async (id: string): Promise<{ name: string; text: string } | null> => {
    if (documents.has(id)) return documents.get(id)!;
    if (missing.has(id)) return null;
    const doc = await store.getDocument(id);
    if (!doc) {
      missing.add(id);
      return null;
    }
    const loaded = { name: doc.name, text: documentText(doc, await store.getPassages(id)) };
    documents.set(id, loaded);
    return loaded;
  };
  const questions: LabelledQuestion[] = [];
  const skipped: Skipped[] = [];
  for (const record of records) {
    const gold = goldOf(record);
    if ('skip' in gold) {
      skipped.push({ askId: record.id, reason: gold.skip });
      continue;
    }
    const answerDocs = [...new Set(record.answers.map((a) => a.document.id))];
    let goldDoc: string | null = null;
    if (gold.fromAnswer !== null) {
      goldDoc = record.answers[gold.fromAnswer]!.document.id;
    } else if (gold.answers.length > 0) {
      const wanted = normalise(gold.answers[0]!);
      for (const id of answerDocs) {
        const doc = await load(id);
        if (doc && normalise(doc.text).includes(wanted)) {
          goldDoc = id;
          break;
        }
      }
      if (!goldDoc) {
        // elsewhere in the store: the passages that best match the question and the answer, holding the answer
        const hits = await store.search(`${record.question} ${gold.answers[0]}`, { topK: 50 });
        goldDoc = hits.find((h) => normalise(h.passage.text).includes(wanted))?.document.id ?? null;
      }
      if (!goldDoc) {
        skipped.push({ askId: record.id, reason: 'gold_answer_not_found' });
        continue;
      }
    }
    const ids = [...new Set([...(goldDoc ? [goldDoc] : []), ...answerDocs])];
    const present: string[] = [];
    for (const id of ids) if (await load(id)) present.push(id);
    if (goldDoc && !present.includes(goldDoc)) {
      skipped.push({ askId: record.id, reason: 'gold_answer_not_found' });
      continue;
    }
    questions.push({ id: record.id, question: record.question!, answers: gold.answers, verdict: record.feedback!.verdict, documentIds: present });
  }
  return { questions, skipped, documents };
}

/**
 * The set as a SQuAD v2.0 file: one article per document (title = the document's name, one paragraph = its text);
 * each question sits under its first document. Questions without any document (an unanswerable verdict on an ask
 * that found no candidate) go under the first article (the question is asked over every document anyway).
 */
export function toSquad(set: FeedbackSet): { version: string; data: unknown[] } {
  const byDoc = new Map<string, LabelledQuestion[]>();
  for (const id of set.documents.keys()) byDoc.set(id, []);
  const orphans: LabelledQuestion[] = [];
  for (const q of set.questions) {
    const first = q.documentIds[0] ?? set.documents.keys().next().value;
    if (first === undefined) orphans.push(q);
    else byDoc.get(first)!.push(q);
  }
  const qa = (q: LabelledQuestion) => ({
    id: q.id,
    question: q.question,
    answers: q.answers.map((text) => ({ text, answer_start: -1 })),
    is_impossible: q.answers.length === 0,
    verdict: q.verdict,
  });
  const data: unknown[] = [...set.documents].map(([id, doc]) => ({
    title: doc.name,
    paragraphs: [{ context: doc.text, qas: byDoc.get(id)!.map(qa) }],
  }));
  if (orphans.length > 0) data.push({ title: '(no document)', paragraphs: [{ context: '', qas: orphans.map(qa) }] });
  return { version: 'v2.0', data };
}

/**
 * The set as docqa JSONL (src/eval/dataset.ts), one question a line with the name of the document holding its
 * answer: for `docqa eval open <file> --corpus <the folder the documents were ingested from>`.
 */
export function toJsonl(set: FeedbackSet): string {
  return set.questions
    .map((q) =>
      JSON.stringify({
        id: q.id,
        question: q.question,
        answers: q.answers,
        document: q.answers.length > 0 && q.documentIds[0] ? set.documents.get(q.documentIds[0])!.name : null,
        verdict: q.verdict,
      }),
    )
    .map((l) => l + '\n')
    .join('');
}

/** What the export says about itself (stderr, --json). */
export function exportSummary(set: FeedbackSet): {
  questions: number;
  answerable: number;
  unanswerable: number;
  documents: number;
  skipped: Record<SkipReason, number>;
} {
  const skipped: Record<SkipReason, number> = { question_not_logged: 0, no_gold_answer: 0, gold_answer_not_found: 0 };
  for (const s of set.skipped) skipped[s.reason]++;
  const answerable = set.questions.filter((q) => q.answers.length > 0).length;
  return { questions: set.questions.length, answerable, unanswerable: set.questions.length - answerable, documents: set.documents.size, skipped };
}

export function checkExportable(set: FeedbackSet): void {
  if (set.questions.length === 0) {
    const s = exportSummary(set).skipped;
    throw new BadInputError(
      `no judged ask has a gold answer to export (skipped: ${s.no_gold_answer} without a gold answer, ${s.question_not_logged} without their question, ${s.gold_answer_not_found} whose answer is in no stored document)`,
      'feedback',
    );
  }
}
