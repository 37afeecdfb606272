import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { datasetInfo, goldSquadFile, parseDataset, selectQuestions } from '../../src/eval/dataset.js';

const squad = (qas: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 'v2.0', data: [{ title: 'T', paragraphs: [{ context: 'Rollo was a Viking.', qas }] }], ...extra });

describe('parseDataset: SQuAD', () => {
  it('reads questions, answers, unanswerable questions and paragraphs', () => {
    const d = parseDataset(
      squad([
        { id: 'a', question: 'Who?', answers: [{ text: 'Rollo', answer_start: 0 }] },
        { id: 'b', question: 'Why?', answers: [], is_impossible: true, plausible_answers: [{ text: 'x' }] },
      ]),
      'x.json',
    );
    expect(d.format).toBe('squad');
    expect(d.version).toBe('v2.0');
    expect(d.questions).toEqual([
      { id: 'a', question: 'Who?', answers: ['Rollo'], article: 'T', document: null, paragraph: 0 },
      { id: 'b', question: 'Why?', answers: [], article: 'T', document: null, paragraph: 0 },
    ]);
    expect(d.paragraphs).toEqual(['Rollo was a Viking.']);
    expect(d.articles).toEqual([{ title: 'T', paragraphs: [0] }]);
  });

  it('names the file and the field of a malformed question', () => {
    const run = () => parseDataset(squad([{ id: 'a', question: 'Who?', answers: [{ text: 'x' }] }, { question: 'No id', answers: [] }]), 'bad.json');
    expect(run).toThrow(BadInputError);
    expect(run).toThrow('bad.json: data[0].paragraphs[0].qas[1].id: expected a string, got undefined');
  });

  it('rejects duplicate ids, naming both places', () => {
    expect(() =>
      parseDataset(squad([{ id: 'a', question: 'Q?', answers: [] }, { id: 'a', question: 'Q?', answers: [] }]), 'd.json'),
    ).toThrow("d.json: data[0].paragraphs[0].qas[1].id: duplicate id 'a' (also at data[0].paragraphs[0].qas[0].id)");
  });

  it('names the line of a JSON syntax error', () => {
    expect(() => parseDataset('{\n  "data": [1\n  "x"]}', 'broken.json')).toThrow(/^broken\.json: line 3, column 3: not valid JSON/);
  });
});

describe('parseDataset: JSONL', () => {
  it('reads one question per line, answers as strings or objects, optional document and context', () => {
    const text = [
      '{"id": 1, "question": "Who founded it?", "answers": ["Rollo", {"text": "Rollo the Viking"}], "document": "normandy.md"}',
      '',
      '{"id": "q2", "question": "Is it open?", "answers": [], "document": null, "context": "Closed on Sundays."}',
    ].join('\n');
    const d = parseDataset(text, 'mine.jsonl');
    expect(d.format).toBe('jsonl');
    expect(d.questions).toEqual([
      { id: '1', question: 'Who founded it?', answers: ['Rollo', 'Rollo the Viking'], article: 'normandy.md', document: 'normandy.md', paragraph: null },
      { id: 'q2', question: 'Is it open?', answers: [], article: null, document: null, paragraph: 0 },
    ]);
    expect(d.paragraphs).toEqual(['Closed on Sundays.']);
  });

  it('names the line of a bad question', () => {
    expect(() => parseDataset('{"id": "a", "question": "Q?", "answers": []}\n{"id": "b", "question": "Q?"}\n', 'q.jsonl')).toThrow(
      'q.jsonl: line 2: answers: missing (use [] for an unanswerable question)',
    );
    expect(() => parseDataset('{"id": "a", "question": "Q?", "answers": []}\nnot json\n', 'q.jsonl')).toThrow(/q\.jsonl: line 2: not valid JSON/);
  });
});

describe('selectQuestions and datasetInfo', () => {
  const qs = Array.from({ length: 20 }, (_, i) => ({ id: `q${i}`, question: 'Q?', answers: [], article: null, document: null, paragraph: null }));

  it('takes all, the first n, or a seeded sample kept in dataset order', () => {
    expect(selectQuestions(qs, {}).length).toBe(20);
    expect(selectQuestions(qs, { limit: 3 }).map((q) => q.id)).toEqual(['q0', 'q1', 'q2']);
    const sample = selectQuestions(qs, { limit: 5, seed: 11 });
    expect(sample.length).toBe(5);
    expect(sample).toEqual(selectQuestions(qs, { limit: 5, seed: 11 }));
    const idx = sample.map((q) => Number(q.id.slice(1)));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    expect(() => selectQuestions(qs, { limit: 0 })).toThrow(BadInputError);
  });

  it('labels the sample and hashes the file and the selection', () => {
    const dataset = { format: 'jsonl' as const, version: null, questions: qs, paragraphs: [], articles: [] };
    const bytes = Buffer.from('x');
    const a = datasetInfo('/d/q.jsonl', bytes, dataset, qs.slice(0, 3), { limit: 3 });
    expect(a).toMatchObject({ name: 'q.jsonl', sample: 'first-3', limit: 3, seed: null, questions: 3, totalQuestions: 20 });
    expect(a.sha256).toBe('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
    const b = datasetInfo('/d/q.jsonl', bytes, dataset, qs, { limit: 50, seed: 1 });
    expect(b).toMatchObject({ sample: 'full', limit: null, seed: null });
    expect(b.selectionSha256).not.toBe(a.selectionSha256);
  });

  it('writes the evaluated questions back as a SQuAD v2.0 file for the official script', () => {
    const d = parseDataset(squad([{ id: 'a', question: 'Who?', answers: [{ text: 'Rollo' }] }, { id: 'b', question: 'Q?', answers: [] }]), 'x.json');
    expect(goldSquadFile(d, d.questions.slice(1))).toEqual({
      version: 'v2.0',
      data: [{ title: 'T', paragraphs: [{ context: 'Rollo was a Viking.', qas: [{ id: 'b', question: 'Q?', answers: [], is_impossible: true }] }] }],
    });
  });
});
