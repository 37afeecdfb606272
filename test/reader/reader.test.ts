/**
 * The reader end to end with the tiny random-weight models (real onnxruntime session): shapes, exact offsets,
 * windowing, batching equivalence, determinism, empty passages, long questions, errors. The weights are random,
 * so nothing here asserts what the answer is — only how it is produced.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError, UnavailableError } from '../../src/errors.js';
import { loadReader, type ReadResult, type Reader, type ReaderPassage } from '../../src/reader/index.js';
import { loadTokenizer } from '../../src/reader/model-folder.js';
import { createOnnxRunner } from '../../src/reader/session.js';
import type { PassageTokenizer } from '../../src/reader/tokenizer.js';
import { buildWindows } from '../../src/reader/windows.js';
import { readJson, TINY_BERT, TINY_ROBERTA, TINY_XLMR } from './helpers.js';

const SUPER_BOWL =
  'Super Bowl 50 was an American football game to determine the champion of the National Football League (NFL) ' +
  'for the 2015 season. The American Football Conference (AFC) champion Denver Broncos defeated the National ' +
  'Football Conference (NFC) champion Carolina Panthers 24\u201310 to earn their third Super Bowl title. The game ' +
  "was played on February 7, 2016, at Levi's Stadium in the San Francisco Bay Area at Santa Clara, California.";

const TRICKY: ReaderPassage[] = [
  { id: 'accents', text: 'Caf\u00e9 na\u00efve r\u00e9sum\u00e9, e\u0301cole et Zoe\u0308 \u2014 d\u00e9j\u00e0 vu \u00c5ngstr\u00f6m.' },
  { id: 'emoji', text: 'I \u2764\ufe0f NY \u{1F600}\u{1F44D}\u{1F3FD} family \u{1F468}\u200d\u{1F469}\u200d\u{1F467} \u{1D518}\u{1D52B}\u{1D526} \u{20BB7}\u91ce\u5bb6 end.' },
  { id: 'spaces', text: 'multiple  spaces   here\n\nnew paragraph\r\n\ttabbed\u00a0nbsp\u3000ideographic  ' },
  { id: 'cjk', text: '\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8 mixed with English words.' },
  { id: 'controls', text: 'zero\u200bwidth soft\u00adhyphen ctrl\u0007bell \ufeffbom <s> [SEP] </s> special-looking text.' },
  { id: 'long-word', text: 'x'.repeat(150) + ' Pneumonoultramicroscopicsilicovolcanoconiosis is a word.' },
];

const MODELS = [
  ['tiny-bert-qa (WordPiece, token_type_ids)', TINY_BERT],
  ['tiny-roberta-qa (byte-level BPE)', TINY_ROBERTA],
  ['tiny-xlmr-qa (SentencePiece Unigram)', TINY_XLMR],
] as const;

function checkOffsets(result: ReadResult, passages: readonly ReaderPassage[]): void {
  const byId = new Map(passages.map((p) => [p.id, p]));
  for (const span of [...result.spans, ...result.passages.flatMap((p) => p.spans)]) {
    const text = byId.get(span.passageId)!.text;
    expect(span.charStart).toBeGreaterThanOrEqual(0);
    expect(span.charEnd).toBeLessThanOrEqual(text.length);
    expect(span.charEnd).toBeGreaterThan(span.charStart);
    expect(text.slice(span.charStart, span.charEnd)).toBe(span.text);
    // never half of a surrogate pair
    expect(span.text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  }
}

/** Spans and no-answer scores equal within `tolerance` (scores), identical offsets. */
function expectSameReadings(a: ReadResult, b: ReadResult, tolerance: number): void {
  expect(a.passages.map((p) => p.passageId)).toEqual(b.passages.map((p) => p.passageId));
  a.passages.forEach((pa, i) => {
    const pb = b.passages[i]!;
    expect(pa.windows).toBe(pb.windows);
    expect(Math.abs(pa.noAnswerScore - pb.noAnswerScore)).toBeLessThanOrEqual(tolerance);
    expect(pa.spans.map((s) => [s.text, s.charStart, s.charEnd, s.window])).toEqual(
      pb.spans.map((s) => [s.text, s.charStart, s.charEnd, s.window]),
    );
    pa.spans.forEach((s, j) => expect(Math.abs(s.score - pb.spans[j]!.score)).toBeLessThanOrEqual(tolerance));
  });
}

describe.each(MODELS)('reader with %s', (_name, dir) => {
  let reader: Reader;
  let tokenizer: PassageTokenizer;
  beforeAll(async () => {
    reader = await loadReader({ modelDir: dir, threads: 1 });
    tokenizer = await loadTokenizer(dir);
  });
  afterAll(async () => {
    await reader.close();
  });

  it('reproduces PyTorch logits of the model folder (reference.json)', async () => {
    interface Item {
      question: string;
      context: string;
      input_ids: number[];
      start_logits: number[];
      end_logits: number[];
    }
    const { items } = readJson<{ items: Item[] }>(path.join(dir, 'reference.json'));
    const runner = await createOnnxRunner(path.join(dir, 'model.onnx'), { padTokenId: tokenizer.padTokenId, threads: 1 });
    const windows = await Promise.all(
      items.map(async (item, i) =>
        buildWindows(i, (await tokenizer.encode(item.question)).ids, (await tokenizer.encode(item.context)).ids, tokenizer.template, tokenizer.clsTokenId, {
          maxSeqLength: 512,
          docStride: 128,
          maxQuestionLength: 512,
        }),
      ),
    );
    expect(windows.map((w) => w.length)).toEqual(items.map(() => 1));
    expect(windows.map((w) => w[0]!.inputIds)).toEqual(items.map((i) => i.input_ids));
    const logits = await runner.run(windows.map((w) => w[0]!)); // one padded batch of different lengths
    await runner.close();
    items.forEach((item, i) => {
      item.start_logits.forEach((v, p) => expect(Math.abs(logits[i]!.start[p]! - v)).toBeLessThan(1e-4));
      item.end_logits.forEach((v, p) => expect(Math.abs(logits[i]!.end[p]! - v)).toBeLessThan(1e-4));
    });
  });

  it('returns one reading per passage, in order, with consistent shapes', async () => {
    const passages = [{ id: 'sb', text: SUPER_BOWL }, ...TRICKY];
    const result = await reader.read('Who won Super Bowl 50?', passages, { topKPerPassage: 4 });
    expect(result.passages.map((p) => p.passageId)).toEqual(passages.map((p) => p.id));
    expect(result.windows).toBe(result.passages.reduce((n, p) => n + p.windows, 0));
    for (const p of result.passages) {
      expect(p.windows).toBeGreaterThanOrEqual(1);
      expect(p.spans.length).toBeGreaterThan(0);
      expect(p.spans.length).toBeLessThanOrEqual(4);
      expect(p.spans.every((s) => s.passageId === p.passageId)).toBe(true);
      for (let i = 1; i < p.spans.length; i++) expect(p.spans[i]!.score).toBeLessThanOrEqual(p.spans[i - 1]!.score);
      expect(new Set(p.spans.map((s) => s.text.toLowerCase())).size).toBe(p.spans.length);
      expect(p.noAnswerScore).toBeGreaterThan(0);
      expect(p.noAnswerScore).toBeLessThanOrEqual(1);
    }
    // merged: every passage span, best first, none lost or duplicated
    expect(result.spans.length).toBe(result.passages.reduce((n, p) => n + p.spans.length, 0));
    for (let i = 1; i < result.spans.length; i++) expect(result.spans[i]!.score).toBeLessThanOrEqual(result.spans[i - 1]!.score);
    const keys = result.spans.map((s) => `${s.passageId}:${s.charStart}:${s.charEnd}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(result.noAnswerScore).toBe(Math.min(...result.passages.map((p) => p.noAnswerScore)));
    for (const s of result.spans) {
      expect(s.score).toBeGreaterThan(0);
      expect(s.endToken).toBeGreaterThanOrEqual(s.startToken);
    }
    expect(result.timings.tokenizeMs).toBeGreaterThanOrEqual(0);
    expect(result.timings.inferenceMs).toBeGreaterThan(0);
    expect(result.timings.decodeMs).toBeGreaterThanOrEqual(0);
    checkOffsets(result, passages);
  });

  it('gives exact offsets on accents, emoji, CJK, runs of spaces and newlines, in every window', async () => {
    // small windows and many candidates: spans land everywhere in the tricky texts
    const result = await reader.read('What is it?', TRICKY, { maxSeqLength: 32, docStride: 8, topKPerPassage: 25, maxAnswerLength: 6 });
    expect(result.spans.length).toBeGreaterThan(50);
    checkOffsets(result, TRICKY);
  });

  it('windows a long passage: several windows covering every token, consecutive ones sharing docStride tokens', async () => {
    const text = Array.from({ length: 12 }, () => SUPER_BOWL).join('\n');
    const question = 'Where was the game played?';
    const options = { maxSeqLength: 96, docStride: 24, maxQuestionLength: 64 };
    const result = await reader.read(question, [{ id: 'long', text }], options);
    const windows = buildWindows(0, (await tokenizer.encode(question)).ids, (await tokenizer.encode(text)).ids, tokenizer.template, tokenizer.clsTokenId, options);
    expect(result.passages[0]!.windows).toBe(windows.length);
    expect(windows.length).toBeGreaterThan(5);
    const tokens = (await tokenizer.encode(text)).ids.length;
    const covered = new Array<boolean>(tokens).fill(false);
    for (const w of windows) {
      expect(w.inputIds.length).toBeLessThanOrEqual(96);
      for (let t = w.firstToken; t < w.firstToken + w.contextLength; t++) covered[t] = true;
    }
    expect(covered.every(Boolean)).toBe(true);
    for (let i = 1; i < windows.length; i++) {
      expect(windows[i - 1]!.firstToken + windows[i - 1]!.contextLength - windows[i]!.firstToken).toBe(24);
    }
    expect(new Set(result.passages[0]!.spans.map((s) => s.window)).size).toBeGreaterThanOrEqual(1);
    checkOffsets(result, [{ id: 'long', text }]);
  });

  it('batches: batch size 1, 3, 16 and all windows give the same spans and scores (1e-5)', async () => {
    const passages = [{ id: 'sb', text: Array.from({ length: 8 }, () => SUPER_BOWL).join(' ') }, ...TRICKY];
    const options = { maxSeqLength: 64, docStride: 16, topKPerPassage: 5 };
    const one = await reader.read('Who won?', passages, { ...options, batchSize: 1 });
    expect(one.windows).toBeGreaterThan(16);
    for (const batchSize of [3, 16, 1000]) {
      expectSameReadings(await reader.read('Who won?', passages, { ...options, batchSize }), one, 1e-5);
    }
  });

  it('reading passages together equals reading each alone', async () => {
    const passages = [{ id: 'sb', text: SUPER_BOWL }, ...TRICKY.slice(0, 3)];
    const together = await reader.read('Who won?', passages, { maxSeqLength: 64, docStride: 16 });
    for (const [i, p] of passages.entries()) {
      const alone = await reader.read('Who won?', [p], { maxSeqLength: 64, docStride: 16 });
      expectSameReadings({ ...alone, passages: [together.passages[i]!] }, alone, 1e-5);
    }
  });

  it('serves concurrent reads like sequential ones', async () => {
    const passages = [{ id: 'sb', text: SUPER_BOWL }, ...TRICKY.slice(0, 2)];
    const questions = ['Who won?', 'Where was the game played?', 'When?'];
    const sequential: ReadResult[] = [];
    for (const q of questions) sequential.push(await reader.read(q, passages, { maxSeqLength: 64, docStride: 16 }));
    const concurrent = await Promise.all(questions.map((q) => reader.read(q, passages, { maxSeqLength: 64, docStride: 16 })));
    concurrent.forEach((r, i) => expectSameReadings(r, sequential[i]!, 1e-6));
  });

  it('is deterministic', async () => {
    const passages = [{ id: 'sb', text: SUPER_BOWL }, ...TRICKY];
    const a = await reader.read('Who won?', passages, { maxSeqLength: 64, docStride: 16 });
    const b = await reader.read('Who won?', passages, { maxSeqLength: 64, docStride: 16 });
    expect(b.passages).toEqual(a.passages);
    expect(b.spans).toEqual(a.spans);
  });

  it('reads empty and whitespace-only passages as no answer, without running them', async () => {
    const result = await reader.read('Who won?', [
      { id: 'empty', text: '' },
      { id: 'blank', text: ' \n\t  ' },
      { id: 'sb', text: SUPER_BOWL },
    ]);
    expect(result.passages.map((p) => [p.passageId, p.windows, p.spans.length, p.noAnswerScore])).toEqual([
      ['empty', 0, 0, 1],
      ['blank', 0, 0, 1],
      ['sb', 1, result.passages[2]!.spans.length, result.passages[2]!.noAnswerScore],
    ]);
    expect(result.windows).toBe(1);
    const none = await reader.read('Who won?', [{ id: 'empty', text: '' }]);
    expect(none).toMatchObject({ spans: [], noAnswerScore: 1, windows: 0 });
    expect((await reader.read('Who won?', [])).noAnswerScore).toBe(1);
  });

  it('truncates a question longer than maxQuestionLength', async () => {
    const question = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ') + '?';
    expect((await tokenizer.encode(question)).ids.length).toBeGreaterThan(64);
    const result = await reader.read(question, [{ id: 'sb', text: SUPER_BOWL }], { maxSeqLength: 128, docStride: 32 });
    expect(result.passages[0]!.spans.length).toBeGreaterThan(0);
    // the same as a question of exactly its first 10 tokens when maxQuestionLength is 10
    const short = await reader.read(question, [{ id: 'sb', text: SUPER_BOWL }], { maxSeqLength: 128, docStride: 32, maxQuestionLength: 10 });
    const words10 = question.split(' ').slice(0, 10).join(' ');
    if ((await tokenizer.encode(words10)).ids.length === (await tokenizer.encode(question)).ids.slice(0, 10).length) {
      // only when those words are exactly 10 tokens; otherwise the comparison would not be meaningful
      expectSameReadings(short, await reader.read(words10, [{ id: 'sb', text: SUPER_BOWL }], { maxSeqLength: 128, docStride: 32 }), 1e-6);
    }
  });

  it('rejects maxSeqLength too small for the question, bad options and an empty question', async () => {
    const passages = [{ id: 'sb', text: SUPER_BOWL }];
    await expect(reader.read('Who won the game in the year 2016?', passages, { maxSeqLength: 8 })).rejects.toThrow(
      /maxSeqLength \(8\) leaves no room/,
    );
    await expect(reader.read('Who won?', [], { maxSeqLength: 4 })).rejects.toBeInstanceOf(BadInputError);
    await expect(reader.read('Who won?', passages, { maxSeqLength: 32, docStride: 40 })).rejects.toThrow(/docStride/);
    await expect(reader.read('Who won?', passages, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(reader.read('Who won?', passages, { maxSeqLength: 100_000 })).rejects.toThrow(/model's limit/);
    await expect(reader.read('  ', passages)).rejects.toBeInstanceOf(BadInputError);
  });
});

describe('reader lifecycle', () => {
  it('refuses to read once closed', async () => {
    const reader = await loadReader({ modelDir: TINY_BERT });
    await reader.close();
    await expect(reader.read('Who?', [{ id: 'a', text: 'Someone.' }])).rejects.toBeInstanceOf(UnavailableError);
  });
});
