import { describe, expect, it } from 'vitest';
import { attribute, summarizeAttribution } from '../../src/eval/attribution.js';
import { questionType } from '../../src/eval/question-type.js';
import {
  judgeRetrieval,
  passageHasAnswer,
  recallCutoffs,
  sameDocument,
  summarizeRetrieval,
} from '../../src/eval/retrieval-metrics.js';

describe('passageHasAnswer', () => {
  it('matches normalised token sequences, not substrings', () => {
    expect(passageHasAnswer('In 2016, the Denver Broncos won Super Bowl 50.', ['denver broncos'])).toBe(true);
    expect(passageHasAnswer('The Broncoses are not a team.', ['Broncos'])).toBe(false);
    expect(passageHasAnswer('Denver and the Broncos', ['Denver Broncos'])).toBe(false);
    expect(passageHasAnswer('Paris', ['London', 'paris.'])).toBe(true);
  });

  it('answers that normalise to nothing never match', () => {
    expect(passageHasAnswer('The end.', ['The', '...'])).toBe(false);
  });
});

describe('judgeRetrieval', () => {
  const passages = [
    { text: 'Nothing here.', document: 'a.txt' },
    { text: 'Rollo was a Viking.', document: 'notes/b.md' },
    { text: 'Rollo again.', document: 'c.txt' },
  ];

  it('ranks the first passage with an answer, and the first passage of the named document', () => {
    expect(judgeRetrieval(passages, { answers: ['Rollo'], document: null, article: null })).toEqual({
      retrieved: 3,
      answerRank: 2,
      documentRank: null,
    });
    expect(judgeRetrieval(passages, { answers: ['Rollo'], document: 'c.txt', article: 'c.txt' })).toEqual({
      retrieved: 3,
      answerRank: 3,
      documentRank: 3,
    });
  });

  it('a named document must hold the answer', () => {
    expect(judgeRetrieval(passages, { answers: ['Rollo'], document: 'a.txt', article: 'a.txt' }).answerRank).toBeNull();
  });

  it('document names match with or without folders and extension', () => {
    expect(sameDocument('notes/b.md', 'b.md')).toBe(true);
    expect(sameDocument('notes/b.md', 'b')).toBe(true);
    expect(sameDocument('St. Louis', 'St. Paul')).toBe(false);
  });
});

describe('summarizeRetrieval', () => {
  it('recall@k and MRR over answerable questions, worked by hand', () => {
    const j = (answerRank: number | null) => ({ retrieved: 5, answerRank, documentRank: null });
    const s = summarizeRetrieval(
      [
        { hasAnswer: true, namesDocument: false, judgement: j(1) },
        { hasAnswer: true, namesDocument: false, judgement: j(3) },
        { hasAnswer: true, namesDocument: false, judgement: j(null) },
        { hasAnswer: false, namesDocument: false, judgement: j(null) },
      ],
      5,
    );
    expect(s.evaluated).toBe(3);
    expect(s.recallAtK).toEqual({ '1': 1 / 3, '3': 2 / 3, '5': 2 / 3 });
    expect(s.mrr).toBe((1 + 1 / 3 + 0) / 3);
    expect(s.documentRecall).toBeNull();
  });

  it('cutoffs up to the retriever top-k', () => {
    expect(recallCutoffs(10)).toEqual([1, 3, 5, 10]);
    expect(recallCutoffs(4)).toEqual([1, 3, 4]);
    expect(recallCutoffs(1)).toEqual([1]);
  });
});

describe('attribution of misses', () => {
  const base = { hasAnswer: true, exact: 0, f1: 0, predictedNoAnswer: false, answerRetrieved: true };
  it('classifies each kind of miss', () => {
    expect(attribute({ ...base, exact: 1, f1: 1 })).toEqual({ outcome: 'correct' });
    expect(attribute({ ...base, answerRetrieved: false })).toEqual({ outcome: 'retrieval-miss' });
    expect(attribute({ ...base, predictedNoAnswer: true })).toEqual({ outcome: 'reader-miss', readerMiss: 'withheld' });
    expect(attribute({ ...base, f1: 0.5 })).toEqual({ outcome: 'reader-miss', readerMiss: 'partial' });
    expect(attribute(base)).toEqual({ outcome: 'reader-miss', readerMiss: 'wrong' });
    expect(attribute({ ...base, hasAnswer: false, answerRetrieved: false })).toEqual({
      outcome: 'reader-miss',
      readerMiss: 'answered-unanswerable',
    });
  });

  it('sums up misses by stage', () => {
    const s = summarizeAttribution([
      { outcome: 'correct' },
      { outcome: 'retrieval-miss' },
      { outcome: 'reader-miss', readerMiss: 'wrong' },
      { outcome: 'reader-miss', readerMiss: 'withheld' },
    ]);
    expect(s).toMatchObject({ questions: 4, correct: 1, misses: 3, retrievalMisses: 1, readerMisses: 2 });
    expect(s.readerMissKinds).toEqual({ withheld: 1, partial: 0, wrong: 1, 'answered-unanswerable': 0 });
    expect(s.retrievalShare).toBe(1 / 3);
    expect(summarizeAttribution([{ outcome: 'correct' }]).retrievalShare).toBeNull();
  });
});

describe('questionType', () => {
  it('takes the earliest question word anywhere in the question', () => {
    expect(questionType('In what country is Normandy located?')).toBe('what');
    expect(questionType('How many people live there?')).toBe('how many');
    expect(questionType('How much did it cost?')).toBe('how much');
    expect(questionType('How did it end?')).toBe('how');
    expect(questionType("Who's the king?")).toBe('who');
    expect(questionType('Name the river.')).toBe('other');
  });
});
