import type { Calibrator } from '../qa/confidence.js';
/** The reader's contract: given a question and passages, return scored answer spans with exact offsets. */

export interface ReaderPassage {
  /** Opaque id handed back on each span (the store's passage id). */
  id: string;
  text: string;
}

export interface ReadOptions {
  /** Tokens per window including the question and special tokens (HF pipeline: max_seq_len). */
  maxSeqLength: number;
  /** Context tokens shared by consecutive windows (HF pipeline: doc_stride). */
  docStride: number;
  /** Question tokens kept (longer questions are truncated). */
  maxQuestionLength: number;
  /** Longest answer in tokens (HF pipeline: max_answer_len). */
  maxAnswerLength: number;
  /** Best spans kept per passage before merging. */
  topKPerPassage: number;
  /** Windows per ONNX session run. */
  batchSize: number;
}

export const DEFAULT_READ_OPTIONS: ReadOptions = {
  maxSeqLength: 384,
  docStride: 128,
  maxQuestionLength: 64,
  maxAnswerLength: 15,
  topKPerPassage: 3,
  batchSize: 16,
};

export interface AnswerSpan {
  passageId: string;
  /** Exactly `passage.text.slice(charStart, charEnd)`. */
  text: string;
  /** Offsets into the passage text (UTF-16 code units). */
  charStart: number;
  charEnd: number;
  /**
   * p(start) * p(end) within the window's softmax, as Hugging Face's pipeline scores spans (0..1; answers of the
   * same text within a passage are merged by summing, as HF does, so it can exceed 1 slightly).
   */
  score: number;
  /**
   * start_logit + end_logit of the span, unnormalised: comparable across windows and passages, unlike `score`,
   * whose softmax is per window. For merged answers, the best of theirs.
   */
  logit: number;
  /** start_logit[CLS] + end_logit[CLS] of the span's window: `logit - nullLogit` is the margin over "no answer". */
  nullLogit: number;
  /** Token positions of the span in its window, and the window's index in its passage (for debugging). */
  window: number;
  startToken: number;
  endToken: number;
}

export interface PassageReading {
  passageId: string;
  /** Best spans of this passage, best first, duplicates (same offsets) removed. */
  spans: AnswerSpan[];
  /** p(start=CLS) * p(end=CLS), the smallest over the passage's windows (Hugging Face's min_null_score). */
  noAnswerScore: number;
  windows: number;
}

export interface ReadResult {
  /** One reading per input passage, in input order. */
  passages: PassageReading[];
  /** All spans of all passages merged, best first, duplicates (same passage and offsets) removed. */
  spans: AnswerSpan[];
  /** The smallest no-answer score over all passages (the most confident passage's), 1 when there are none. */
  noAnswerScore: number;
  windows: number;
  /** Milliseconds spent tokenizing, running the model and decoding. */
  timings: { tokenizeMs: number; inferenceMs: number; decodeMs: number };
}

export interface ModelInfo {
  name: string;
  version: string;
  dir: string;
  file: string;
  /** sha256 of the ONNX file (from the manifest when it has one). */
  sha256?: string;
  /** Recommended no-answer threshold from the model's manifest, when the model was evaluated. */
  noAnswerThreshold?: number;
  /** The confidence calibrator fitted for this ONNX file (manifest.json `calibration[file]`), when there is one. */
  calibrator?: Calibrator;
}

export interface Reader {
  readonly model: ModelInfo;
  read(question: string, passages: ReaderPassage[], options?: Partial<ReadOptions>): Promise<ReadResult>;
  close(): Promise<void>;
}
