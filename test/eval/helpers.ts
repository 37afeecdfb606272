/** Hand-made run outcomes shared by the result and gauge tests (see result.test.ts for the worked numbers). */
import type { EvalQuestion } from '../../src/eval/dataset.js';
import type { QuestionOutcome, RunMeta } from '../../src/eval/result.js';

const q = (id: string, question: string, answers: string[]): EvalQuestion => ({
  id,
  question,
  answers,
  article: 'Normans',
  document: null,
  paragraph: 0,
});

function outcome(question: EvalQuestion, bestSpan: string, na: number, answerRank: number | null): QuestionOutcome {
  return {
    question,
    bestSpan,
    answerScore: 0.5,
    noAnswerProb: na,
    noAnswerChosen: na >= 0.5,
    latencyMs: 10 * (1 + Number(question.id.slice(1))),
    stages: { retrieveMs: 1, readMs: 9 },
    retrieval: { retrieved: 3, answerRank, documentRank: 1 },
    answerDocument: 'Normans',
  };
}

export const META: RunMeta = {
  id: 'run-1',
  createdAt: '2026-11-27T00:00:00.000Z',
  mode: 'open',
  model: { name: 'm', version: '1', sha256: null, file: 'model.onnx', dir: '/m', manifest: null },
  dataset: {
    file: '/d.json',
    name: 'd.json',
    format: 'squad',
    version: 'v2.0',
    sha256: 'x',
    totalQuestions: 5,
    questions: 5,
    limit: null,
    seed: null,
    selectionSha256: 'y',
    sample: 'full',
  },
  settings: {
    store: 'sqlite',
    topK: 3,
    noAnswerThreshold: 0.5,
    thresholdSource: 'default',
    read: {},
    concurrency: 1,
    corpus: null,
    passageWords: 150,
    passageOverlap: 30,
  },
  wallSeconds: 0.5,
  durationSeconds: 1,
  ingest: null,
};

export const OUTCOMES = [
  outcome(q('q1', 'Who founded Normandy?', ['Rollo']), 'Rollo', 0.1, 1), // correct
  outcome(q('q2', 'Where is the capital?', ['Paris']), 'London', 0.2, null), // retrieval miss
  outcome(q('q3', 'Who signed the treaty?', ['Charles the Simple']), 'Charles', 0.4, 2), // reader miss, partial
  outcome(q('q4', 'What is the unknown?', []), 'x', 0.9, null), // no answer chosen: correct
  outcome(q('q5', 'When did it end?', []), 'y', 0.3, null), // answered an unanswerable question
];

