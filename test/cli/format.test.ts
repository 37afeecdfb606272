import { describe, expect, it } from 'vitest';
import type { Answer, AskResult } from '../../src/qa/answer.js';
import { formatAskResult } from '../../src/cli/format.js';

function answer(text: string, context: string, over: Partial<Answer> = {}): Answer {
  const start = context.indexOf(text);
  return {
    text,
    confidence: 0.7,
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

function result(answers: Answer[], noAnswer: Partial<AskResult['noAnswer']>, retrieved = 3): AskResult {
  return {
    question: 'Who?',
    answers,
    noAnswer: { chosen: false, minConfidence: 0.35, bestConfidence: answers[0]?.confidence ?? null, calibrated: true, readerNoAnswerScore: 0.01, reason: '', ...noAnswer },
    timings: { retrieveMs: 1.2, readMs: 30.4, totalMs: 32 },
    model: { name: 'm', version: '1.2.3' },
    retrieved,
  };
}

describe('formatAskResult', () => {
  it('lists answers in the given order with confidence, trace and the answer marked in its context', () => {
    const out = formatAskResult(
      result(
        [
          answer('Rollo', 'The first ruler was Rollo, a Viking.', { confidence: 0.83 }),
          answer('Richard', 'Then came Richard  the\nFearless.', { confidence: 0.051, page: null }),
        ],
        {},
      ),
      false,
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('Q: Who?');
    expect(lines[1]).toBe('1. Rollo  (confidence 0.83)');
    expect(lines[2]).toBe(`   doc.pdf | page 2 | chars 120-125`);
    expect(lines[3]).toBe('   ...The first ruler was «Rollo», a Viking....');
    expect(lines[4]).toBe('2. Richard  (confidence 0.05)');
    expect(lines[5]).toBe('   doc.pdf | chars 110-117');
    expect(lines[6]).toBe('   ...Then came «Richard» the Fearless....');
    expect(lines[7]).toContain('3 passages read');
    expect(lines[7]).toContain('answers need confidence 0.35)');
    expect(out).not.toContain('No answer');
    expect(out).not.toContain('rank');
  });

  it('says "no answer" in words and still lists the candidates', () => {
    const reason = "No answer found in your documents (best candidate 'Melfi', confidence 0.04, below the minimum 0.35).";
    const out = formatAskResult(
      result([answer('Melfi', 'his capital of Melfi.', { confidence: 0.04 })], { chosen: true, reason, calibrated: false }),
      false,
    );
    expect(out.split('\n')[1]).toBe(reason);
    expect(out).toContain('Candidates, none trusted:');
    expect(out).toContain('uncalibrated)');
    expect(out).toContain('«Melfi»');
  });

  it('says when nothing was retrieved', () => {
    const out = formatAskResult(result([], { chosen: true }, 0), true);
    expect(out).toBe('Q: Who?\nNo passages matched the question: nothing to answer from.');
  });

  it('marks the answer with terminal colour on a TTY', () => {
    const out = formatAskResult(result([answer('Rollo', 'was Rollo.')], {}), true);
    expect(out).toContain('was \x1b[1;33mRollo\x1b[0m.');
  });
});
