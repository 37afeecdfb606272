/**
 * The reader, composed like a Hugging Face pipeline: preprocess (tokenize, window) -> forward (all windows of
 * all passages, in batches) -> postprocess (decode spans, offsets, merge, rank). Only the runner touches the model.
 */
import { performance } from 'node:perf_hooks';
import { BadInputError, UnavailableError } from '../errors.js';
import { passageAnswers, type WindowSpans } from './answers.js';
import { chunks } from './batch.js';
import { bestSpans, windowProbabilities } from './decode.js';
import type { WindowLogits, WindowRunner } from './session.js';
import type { PassageTokenizer } from './tokenizer.js';
import {
  DEFAULT_READ_OPTIONS,
  type AnswerSpan,
  type ModelInfo,
  type PassageReading,
  type ReadOptions,
  type ReadResult,
  type Reader,
  type ReaderPassage,
} from './types.js';
import { answerPositions, buildWindows, checkedContextRoom, truncateQuestion, type Window } from './windows.js';

export interface ReaderParts {
  model: ModelInfo;
  tokenizer: PassageTokenizer;
  runner: WindowRunner;
  /** Longest window the model accepts (position embeddings / model_max_length), when known. */
  maxSeqLength?: number;
  /**
   * The runner cuts windows into session runs itself (the micro-batcher, src/reader/batcher.ts): a read hands it
   * all its windows in one call instead of batchSize at a time.
   */
  runnerBatches?: boolean;
}

/** Read options merged over the defaults and checked. */
export function readOptions(options: Partial<ReadOptions> | undefined, modelLimit?: number): ReadOptions {
  const o: ReadOptions = { ...DEFAULT_READ_OPTIONS };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value !== undefined && key in o) o[key as keyof ReadOptions] = value as number;
  }
  const check = (key: keyof ReadOptions, min: number) => {
    const v = o[key];
    if (!Number.isInteger(v) || v < min) throw new BadInputError(`${key} must be an integer >= ${min} (got ${v})`, key);
  };
  check('maxSeqLength', 1);
  check('docStride', 0);
  check('maxQuestionLength', 1);
  check('maxAnswerLength', 1);
  check('topKPerPassage', 1);
  check('batchSize', 1);
  if (modelLimit !== undefined && o.maxSeqLength > modelLimit) {
    throw new BadInputError(`maxSeqLength ${o.maxSeqLength} exceeds the model's limit of ${modelLimit} tokens`, 'maxSeqLength');
  }
  return o;
}

const byScore = (a: AnswerSpan, b: AnswerSpan) => b.score - a.score;

export function createReader(parts: ReaderParts): Reader {
  const { tokenizer, runner } = parts;
  let closed = false;

  async function read(
    question: string,
    passages: ReaderPassage[],
    options?: Partial<ReadOptions>,
  ): Promise<ReadResult> {
    if (closed) throw new UnavailableError('the reader is closed');
    const o = readOptions(options, parts.maxSeqLength);
    if (typeof question !== 'string' || question.trim().length === 0) {
      throw new BadInputError('the question is empty', 'question');
    }

    // preprocess
    let t = performance.now();
    const [questionTokens, ...contexts] = await tokenizer.encodeAll([question, ...passages.map((p) => p.text)]);
    const questionIds = truncateQuestion(questionTokens!.ids, o.maxQuestionLength);
    checkedContextRoom(questionIds.length, tokenizer.template, o.maxSeqLength);
    // a passage without a visible character (empty or whitespace only) cannot hold an answer: it gets no window
    const windowsByPassage: Window[][] = contexts.map((c, i) =>
      passages[i]!.text.trim().length > 0
        ? buildWindows(i, questionIds, c.ids, tokenizer.template, tokenizer.clsTokenId, o)
        : [],
    );
    const windows = windowsByPassage.flat();
    const tokenizeMs = performance.now() - t;

    // forward: every window of every passage, longest first so that a batch pads little
    t = performance.now();
    const logits = new Map<Window, WindowLogits>();
    const order = [...windows].sort((a, b) => b.inputIds.length - a.inputIds.length);
    for (const batch of parts.runnerBatches ? [order] : chunks(order, o.batchSize)) {
      const out = await runner.run(batch);
      batch.forEach((w, i) => logits.set(w, out[i]!));
    }
    const inferenceMs = performance.now() - t;

    // postprocess
    t = performance.now();
    const readings: PassageReading[] = passages.map((passage, i) => {
      let noAnswerScore = 1;
      const windowSpans: WindowSpans[] = windowsByPassage[i]!.map((w) => {
        const allowed = answerPositions(w);
        const l = logits.get(w)!;
        const probabilities = windowProbabilities(l.start, l.end, allowed);
        noAnswerScore = Math.min(noAnswerScore, probabilities.nullScore);
        // HF asks each window for 2k + 10 candidates because aligning to words merges some of them
        return {
          window: w,
          spans: bestSpans(probabilities, allowed, 2 * o.topKPerPassage + 10, o.maxAnswerLength),
          startLogits: l.start,
          endLogits: l.end,
        };
      });
      return {
        passageId: passage.id,
        spans: passageAnswers(passage.id, passage.text, contexts[i]!, windowSpans, o.topKPerPassage),
        noAnswerScore,
        windows: windowSpans.length,
      };
    });
    const spans = readings.flatMap((r) => r.spans).sort(byScore);
    const decodeMs = performance.now() - t;

    return {
      passages: readings,
      spans,
      noAnswerScore: readings.reduce((min, r) => Math.min(min, r.noAnswerScore), 1),
      windows: windows.length,
      timings: { tokenizeMs, inferenceMs, decodeMs },
    };
  }

  return {
    model: parts.model,
    read,
    async close() {
      closed = true;
      await runner.close();
    },
  };
}
