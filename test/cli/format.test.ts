import { describe, expect, it } from 'vitest';
import type { Answer, AskResult } from '../../src/qa/answer.js';
import { formatAskResult } from '../../src/cli/format.js';

function answer(text: string, context: string, over: Partial<Answer> = {}): Answer {
  const start = context.indexOf(text);
  return {
    text,
    score: 0.5,
    logit: 3,
    rankScore: 4,
    document: { id: 'd1', name: 'doc.pdf' },
    page: 2,
    charStart: 100 + start,
    charEnd: 100 + start + text.length,
    context,
    offsetsInContext: { start, end: start + text.length },
    passageId: 'p1',
    retrieverScore: 7,
    ...over,
  };
}

function result(answers: Answer[], noAnswer: AskResult['noAnswer'], retrieved = 3): AskResult {
  return {
    question: 'Who?',
    answers,
    noAnswer,
    timings: { retrieveMs: 1.2, readMs: 30.4, totalMs: 32 },
    model: { name: 'm', version: '1.2.3' },
    retrieved,
  };
}

describe('formatAskResult', () => {
  it('lists answers in the given order with rank key, score, trace and the answer marked in its context', () => {
    const out = formatAskResult(
      result(
        [
          answer('Rollo', 'The first ruler was Rollo, a Viking.', { rankScore: 9.5, score: 0.3 }),
          answer('Richard', 'Then came Richard  the\nFearless.', { rankScore: 2.25, score: 0.8, page: null }),
        ],
        { score: 0.01, chosen: false, threshold: 0.5 },
      ),
      false,
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('Q: Who?');
    expect(lines[1]).toBe('1. Rollo  (rank 9.50, score 0.300)');
    expect(lines[2]).toBe(`   doc.pdf | page 2 | chars 120-125`);
    expect(lines[3]).toBe('   ...The first ruler was «Rollo», a Viking....');
    expect(lines[4]).toBe('2. Richard  (rank 2.25, score 0.800)');
    expect(lines[5]).toBe('   doc.pdf | chars 110-117');
    expect(lines[6]).toBe('   ...Then came «Richard» the Fearless....');
    expect(lines[7]).toContain('3 passages read');
    expect(out).not.toContain('No answer');
  });

  it('says "no answer" with score and threshold and still lists the candidates', () => {
    const out = formatAskResult(
      result([answer('Melfi', 'his capital of Melfi.')], { score: 0.8, chosen: true, threshold: 0.5 }),
      false,
    );
    expect(out).toContain('No answer: the model\'s no-answer score 0.800 is at or above the threshold 0.500.');
    expect(out).toContain('Best candidates anyway:');
    expect(out).toContain('«Melfi»');
  });

  it('says when nothing was retrieved', () => {
    const out = formatAskResult(result([], { score: 1, chosen: true, threshold: 0.5 }, 0), true);
    expect(out).toBe('Q: Who?\nNo passages matched the question: nothing to answer from.');
  });

  it('marks the answer with terminal colour on a TTY', () => {
    const out = formatAskResult(result([answer('Rollo', 'was Rollo.')], { score: 0, chosen: false, threshold: 0.5 }), true);
    expect(out).toContain('was \x1b[1;33mRollo\x1b[0m.');
  });
});
