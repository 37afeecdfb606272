/** The feedback export's pure parts: gold answers from verdicts, documents rebuilt from passages, the file formats. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { parseTimeFlag } from '../../src/cli/time.js';
import type { DocumentRecord, Passage } from '../../src/documents/document.js';
import { parseDataset } from '../../src/eval/dataset.js';
import { documentText, exportSummary, goldOf, toJsonl, toSquad, type FeedbackSet } from '../../src/querylog/export.js';
import type { FeedbackRecord, QueryRecord } from '../../src/querylog/record.js';
import { makeRecord } from './contract.js';

function judged(feedback: Partial<FeedbackRecord>, record: Partial<QueryRecord> = {}): QueryRecord {
  return {
    ...makeRecord('q', 0),
    ...record,
    feedback: { verdict: 'correct', answerIndex: 0, correctAnswer: null, comment: null, time: '2026-12-01T12:00:00.000Z', ...feedback },
  };
}

describe('goldOf: which judged asks become regression tests, with which gold answer', () => {
  it('follows the verdict and the correct answer', () => {
    expect(goldOf(judged({ verdict: 'correct' }))).toEqual({ answers: ['answer q'], fromAnswer: 0 });
    expect(goldOf(judged({ verdict: 'correct', answerIndex: null }))).toEqual({ answers: [], fromAnswer: null });
    expect(goldOf(judged({ verdict: 'wrong', correctAnswer: 'Graz' }))).toEqual({ answers: ['Graz'], fromAnswer: null });
    expect(goldOf(judged({ verdict: 'partial', correctAnswer: 'Graz' }))).toEqual({ answers: ['Graz'], fromAnswer: null });
    expect(goldOf(judged({ verdict: 'correct', correctAnswer: 'Graz' }))).toEqual({ answers: ['Graz'], fromAnswer: null });
    expect(goldOf(judged({ verdict: 'wrong' }))).toEqual({ skip: 'no_gold_answer' });
    expect(goldOf(judged({ verdict: 'partial' }))).toEqual({ skip: 'no_gold_answer' });
    expect(goldOf(judged({ verdict: 'correct' }, { question: null }))).toEqual({ skip: 'question_not_logged' });
    expect(goldOf({ ...makeRecord('q', 0), feedback: null })).toEqual({ skip: 'no_gold_answer' });
  });
});

describe('documentText: a document rebuilt from its stored passages', () => {
  const original = 'Alpha beta gamma.\n\nDelta epsilon zeta. Eta theta.\n\fIota kappa.';
  const doc = { id: 'd', name: 'd.txt', meta: {}, pageCount: 0, passageCount: 3, charCount: original.length, createdAt: '' } as DocumentRecord;
  const passage = (seq: number, start: number, end: number): Passage => ({
    id: `d:${seq}`,
    docId: 'd',
    seq,
    text: original.slice(start, end),
    charStart: start,
    charEnd: end,
    page: null,
  });

  it('is exact at every passage offset, whether passages overlap or leave gaps', () => {
    const passages = [passage(2, 51, 62), passage(0, 0, 17), passage(1, 10, 49)]; // out of order, overlapping, a gap
    const text = documentText(doc, passages);
    expect(text).toHaveLength(original.length);
    for (const p of passages) expect(text.slice(p.charStart, p.charEnd)).toBe(p.text);
    expect(text.slice(49, 51)).toBe('\n\n');
  });
});

describe('the export formats', () => {
  const set: FeedbackSet = {
    questions: [
      { id: 'a1', question: 'Where?', answers: ['Graz'], verdict: 'wrong', documentIds: ['d2', 'd1'] },
      { id: 'a2', question: 'When?', answers: ['1856'], verdict: 'correct', documentIds: ['d1'] },
      { id: 'a3', question: 'Capital of Mars?', answers: [], verdict: 'correct', documentIds: [] },
    ],
    skipped: [{ askId: 'a4', reason: 'no_gold_answer' }],
    documents: new Map([
      ['d1', { name: 'tesla.txt', text: 'Tesla was born in 1856.' }],
      ['d2', { name: 'graz.pdf', text: 'He studied in Graz.' }],
    ]),
  };

  it('SQuAD v2.0: one article per document, named as it; eval reads it back', () => {
    const squad = toSquad(set);
    const parsed = parseDataset(JSON.stringify(squad), 'feedback.json');
    expect(parsed.version).toBe('v2.0');
    expect(parsed.articles.map((a) => a.title)).toEqual(['tesla.txt', 'graz.pdf']);
    expect(parsed.paragraphs).toEqual(['Tesla was born in 1856.', 'He studied in Graz.']);
    const byId = Object.fromEntries(parsed.questions.map((q) => [q.id, [q.article, q.answers]]));
    expect(byId).toEqual({ a1: ['graz.pdf', ['Graz']], a2: ['tesla.txt', ['1856']], a3: ['tesla.txt', []] });
  });

  it('JSONL: the document holding the answer by name (null for unanswerable)', () => {
    const parsed = parseDataset(toJsonl(set), 'feedback.jsonl');
    expect(parsed.questions.map((q) => [q.id, q.document, q.answers])).toEqual([
      ['a1', 'graz.pdf', ['Graz']],
      ['a2', 'tesla.txt', ['1856']],
      ['a3', null, []],
    ]);
  });

  it('summarises what it wrote and skipped', () => {
    expect(exportSummary(set)).toEqual({
      questions: 3,
      answerable: 2,
      unanswerable: 1,
      documents: 2,
      skipped: { question_not_logged: 0, no_gold_answer: 1, gold_answer_not_found: 0 },
    });
  });
});

describe('--since / --until', () => {
  const now = () => new Date('2026-12-02T12:00:00.000Z');
  const parse = parseTimeFlag('--since', now);
  it('takes ISO dates and times, and durations back from now', () => {
    expect(parse('2026-12-01').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parse('2026-12-01T06:30:00Z').toISOString()).toBe('2026-12-01T06:30:00.000Z');
    expect(parse('30m').toISOString()).toBe('2026-12-02T11:30:00.000Z');
    expect(parse('24h').toISOString()).toBe('2026-12-01T12:00:00.000Z');
    expect(parse('7d').toISOString()).toBe('2026-11-25T12:00:00.000Z');
  });
  it('refuses anything else, naming the flag', () => {
    for (const bad of ['yesterday', '5w', '', '2026-13-45']) expect(() => parse(bad)).toThrow(InvalidArgumentError);
    expect(() => parse('soon')).toThrow(/--since/);
  });
});
