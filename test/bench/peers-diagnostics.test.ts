// bench/peers' explanation of transformers.js's answers: the causes must be told apart correctly.
import { describe, expect, it } from 'vitest';
import { answerTokensOver, compact, emGapCauses, notVerbatim } from '../../bench/peers/diagnostics.js';
import { computeExact } from '../../src/eval/squad-metrics.js';

describe('bench/peers diagnostics', () => {
  it('compact() equates a span decoded from uncased WordPiece tokens with the paragraph text', () => {
    expect(compact('17. 5 million')).toBe(compact('17.5 million'));
    expect(compact('pac - 12 conference')).toBe(compact('Pac-12 Conference'));
    expect(compact('godel')).toBe(compact('Gödel'));
    expect(compact('San Jose')).not.toBe(compact('south of san jose'));
    // ... and the official normalisation does not: the decoded form loses exact match
    expect(computeExact('17.5 million', '17. 5 million')).toBe(0);
  });

  it('counts long and non-verbatim answers', () => {
    expect(answerTokensOver([3, 15, 16, 84], 15)).toBe(2);
    expect(notVerbatim(['17. 5 million', 'Tesla', ''], ['about 17.5 million', 'Tesla was born', 'x'])).toBe(1);
  });

  it('splits the EM gap by cause, question by question', () => {
    const gold = ['17.5 million', 'San Jose', 'Verity Lambert', '1856'];
    const ref = ['17.5 million', 'San Jose', 'Verity Lambert', '1856'];
    const peer = ['17. 5 million', 'latitude, around 11 miles south of san jose', 'anthony coburn', '1856'];
    const exact = (answers: string[]) => answers.map((a, i) => computeExact(gold[i]!, a));
    const g = emGapCauses(ref, peer, exact(ref), exact(peer), [4, 21, 3, 1], 15);
    expect(g).toEqual({ decodedOnly: 1, decodedEm: 25, tooLong: 1, tooLongEm: 25, otherSpan: 1, otherSpanEm: 25 });
  });
});
