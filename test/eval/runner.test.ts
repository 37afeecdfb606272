/** The runners with a fake reader: what each question gets, order under concurrency, errors naming the question. */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import type { EvalDataset } from '../../src/eval/dataset.js';
import { runReaderMode, squadDocuments } from '../../src/eval/runner.js';
import type { ReadResult, Reader, ReaderPassage } from '../../src/reader/types.js';

const dataset: EvalDataset = {
  format: 'squad',
  version: 'v2.0',
  paragraphs: ['Rollo was a Viking.', 'Paris is in France.'],
  articles: [
    { title: 'Normans', paragraphs: [0] },
    { title: 'France', paragraphs: [1] },
  ],
  questions: [
    { id: 'a', question: 'Who was Rollo?', answers: ['a Viking'], article: 'Normans', document: null, paragraph: 0 },
    { id: 'b', question: 'Where is Paris?', answers: ['France'], article: 'France', document: null, paragraph: 1 },
    { id: 'c', question: 'unanswerable', answers: [], article: 'France', document: null, paragraph: 1 },
  ],
};

/** Answers the last word of the passage with score 0.6; no-answer probability from the question; random delays. */
function fakeReader(seen: { question: string; passages: ReaderPassage[] }[]): Reader {
  return {
    model: { name: 'fake', version: '0', dir: '/fake', file: 'model.onnx' },
    async read(question, passages): Promise<ReadResult> {
      seen.push({ question, passages });
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      if (question.length > 100) throw new BadInputError('question is too long', 'question');
      const text = passages[0]!.text;
      const word = text.replace(/\.$/u, '').split(' ').pop()!;
      const start = text.lastIndexOf(word);
      const spans =
        question === 'unanswerable'
          ? []
          : [{ passageId: passages[0]!.id, text: word, charStart: start, charEnd: start + word.length, score: 0.6, logit: 3, nullLogit: -2, window: 0, startToken: 0, endToken: 0 }];
      const noAnswerScore = question.startsWith('Where') ? 0.7 : 0.1;
      return { passages: [], spans, noAnswerScore, windows: 1, timings: { tokenizeMs: 0, inferenceMs: 0, decodeMs: 0 } };
    },
    async close() {},
  };
}

describe('runReaderMode', () => {
  it('reads each question on its gold paragraph and applies the threshold', async () => {
    const seen: { question: string; passages: ReaderPassage[] }[] = [];
    const progress: number[] = [];
    const run = await runReaderMode(fakeReader(seen), dataset, dataset.questions, {
      threshold: 0.5,
      concurrency: 3,
      onProgress: (done) => progress.push(done),
    });
    expect(seen.map((s) => [s.question, s.passages])).toEqual(
      expect.arrayContaining([
        ['Who was Rollo?', [{ id: 'paragraph-0', text: 'Rollo was a Viking.' }]],
        ['Where is Paris?', [{ id: 'paragraph-1', text: 'Paris is in France.' }]],
      ]),
    );
    expect(run.outcomes.map((o) => [o.question.id, o.bestSpan, o.answerScore, o.noAnswerProb, o.noAnswerChosen])).toEqual([
      ['a', 'Viking', 0.6, 0.1, false],
      ['b', 'France', 0.6, 0.7, true], // 0.7 >= 0.5: "no answer", best span kept for the sweep
      ['c', '', null, 0.1, true], // no span at all: "no answer"
    ]);
    expect(progress).toEqual([0, 1, 2, 3]);
  });

  it('names the question the reader refuses', async () => {
    const long = { ...dataset.questions[0]!, id: 'long', question: 'x'.repeat(101) };
    await expect(runReaderMode(fakeReader([]), dataset, [long], { threshold: 0.5 })).rejects.toThrow("question 'long': question is too long");
  });
});

describe('squadDocuments', () => {
  it('makes one document per article, paragraphs joined by blank lines, named by title', () => {
    expect(squadDocuments(dataset)).toEqual([
      { name: 'Normans', text: 'Rollo was a Viking.' },
      { name: 'France', text: 'Paris is in France.' },
    ]);
    const twice = { ...dataset, articles: [dataset.articles[0]!, { title: 'Normans', paragraphs: [0, 1] }] };
    expect(squadDocuments(twice).map((d) => d.name)).toEqual(['Normans', 'Normans (2)']);
    expect(squadDocuments(twice)[1]!.text).toBe('Rollo was a Viking.\n\nParis is in France.');
  });
});
