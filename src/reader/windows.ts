/**
 * Question + context windows, exactly as Hugging Face's question-answering pipeline builds them with a fast
 * tokenizer (`truncation="only_second"`, `max_length`, `stride`, `return_overflowing_tokens`): the question is
 * kept whole in every window, the context is cut into slices of the room left, and consecutive slices share
 * `docStride` context tokens. Pure: token ids in, windows out.
 */
import { BadInputError } from '../errors.js';

export interface SpecialToken {
  id: number;
  typeId: number;
}

/** The special tokens of a question/context pair, as the tokenizer's post-processor places them. */
export interface PairTemplate {
  beforeQuestion: SpecialToken[];
  betweenQuestionAndContext: SpecialToken[];
  afterContext: SpecialToken[];
  questionTypeId: number;
  contextTypeId: number;
}

export function specialTokenCount(t: PairTemplate): number {
  return t.beforeQuestion.length + t.betweenQuestionAndContext.length + t.afterContext.length;
}

export interface WindowOptions {
  maxSeqLength: number;
  docStride: number;
  maxQuestionLength: number;
}

export interface Window {
  /** Index of the passage in the read() call, and of this window in its passage. */
  passage: number;
  index: number;
  inputIds: number[];
  typeIds: number[];
  /** Position of the first context token in the window, and the number of context tokens. */
  contextStart: number;
  contextLength: number;
  /** Index, among the passage's tokens, of the window's first context token. */
  firstToken: number;
  /** Positions holding the CLS token id: Hugging Face keeps them out of the answer mask (p_mask 0). */
  clsPositions: number[];
}

/**
 * Positions that may hold an answer or the no-answer: the context tokens and the CLS position(s) (Hugging Face:
 * p_mask 0 and attention_mask 1). Everything else gets logit -10000 before the softmax.
 */
export function answerPositions(window: Window): (position: number) => boolean {
  const cls = new Set(window.clsPositions);
  const from = window.contextStart;
  const to = window.contextStart + window.contextLength;
  return (p) => (p >= from && p < to) || cls.has(p);
}

/** The question tokens a window holds: the first `maxQuestionLength`. */
export function truncateQuestion(ids: readonly number[], maxQuestionLength: number): number[] {
  return ids.slice(0, Math.max(0, maxQuestionLength));
}

/** Context tokens a window can hold once the question and special tokens are in. */
export function contextRoom(questionLength: number, template: PairTemplate, maxSeqLength: number): number {
  return maxSeqLength - questionLength - specialTokenCount(template);
}

/** contextRoom, or a BadInputError when the question and special tokens leave no room for any context. */
export function checkedContextRoom(questionLength: number, template: PairTemplate, maxSeqLength: number): number {
  const room = contextRoom(questionLength, template, maxSeqLength);
  if (room <= 0) {
    throw new BadInputError(
      `maxSeqLength (${maxSeqLength}) leaves no room for the passage: the question takes ` +
        `${questionLength} tokens and the special tokens ${specialTokenCount(template)}`,
      'maxSeqLength',
    );
  }
  return room;
}

/**
 * Slices [start, end) of a context of `total` tokens with `room` tokens per window, consecutive slices sharing
 * `stride` tokens: Hugging Face tokenizers' Encoding::truncate with overflow (starts step by room - stride, the
 * last slice ends at the context's end).
 */
export function contextSlices(total: number, room: number, stride: number): Array<[number, number]> {
  if (total <= 0) return [];
  if (total <= room) return [[0, total]];
  if (room <= 0 || stride >= room) {
    throw new BadInputError(
      `docStride (${stride}) must be smaller than the context tokens per window (${room}): ` +
        'lower docStride or raise maxSeqLength',
      'docStride',
    );
  }
  const slices: Array<[number, number]> = [];
  for (let start = 0; ; start += room - stride) {
    const end = Math.min(start + room, total);
    slices.push([start, end]);
    if (end === total) return slices;
  }
}

/** The windows of one passage. */
export function buildWindows(
  passage: number,
  questionIds: readonly number[],
  contextIds: readonly number[],
  template: PairTemplate,
  clsTokenId: number | undefined,
  options: WindowOptions,
): Window[] {
  const room = checkedContextRoom(questionIds.length, template, options.maxSeqLength);
  return contextSlices(contextIds.length, room, options.docStride).map(([start, end], index) => {
    const inputIds: number[] = [];
    const typeIds: number[] = [];
    const push = (id: number, typeId: number) => {
      inputIds.push(id);
      typeIds.push(typeId);
    };
    for (const t of template.beforeQuestion) push(t.id, t.typeId);
    for (const id of questionIds) push(id, template.questionTypeId);
    for (const t of template.betweenQuestionAndContext) push(t.id, t.typeId);
    const contextStart = inputIds.length;
    for (let i = start; i < end; i++) push(contextIds[i]!, template.contextTypeId);
    for (const t of template.afterContext) push(t.id, t.typeId);
    const clsPositions: number[] = [];
    if (clsTokenId !== undefined) inputIds.forEach((id, p) => id === clsTokenId && clsPositions.push(p));
    return {
      passage,
      index,
      inputIds,
      typeIds,
      contextStart,
      contextLength: end - start,
      firstToken: start,
      clsPositions,
    };
  });
}
