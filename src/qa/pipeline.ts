import { performance } from 'node:perf_hooks';
import { DEFAULT_MIN_CONFIDENCE, MAX_QUESTION_CHARS } from '../config.js';
import { BadInputError } from '../errors.js';
import type { AnswerSpan, ReadOptions, Reader } from '../reader/types.js';
import { rankSpans, type RankingSettings } from './ranking.js';
import type { DocumentStore, SearchHit } from '../store/store.js';
import type { Answer, AskRequest, AskResult, Candidate, NoAnswer } from './answer.js';
import { contextAround } from './context.js';
import { calibratedConfidence, candidateFeatures, uncalibratedConfidence, type Calibrator } from './confidence.js';

export interface PipelineSettings {
  retrieverTopK: number;
  answerTopK: number;
  /** How spans of different passages are ordered (src/qa/ranking.ts). */
  ranking: RankingSettings;
  /**
   * The model's fitted calibrator (manifest.json `calibration`), which turns candidate features into confidence;
   * without one, confidence is the uncalibrated margin share (src/qa/confidence.ts).
   */
  calibrator?: Calibrator;
  /** Explicit minimum confidence; else the calibrator's; else DEFAULT_MIN_CONFIDENCE. */
  minConfidence?: number;
  read: Partial<ReadOptions>;
  /** Characters of context on each side of an answer. */
  contextChars: number;
}

/** The ask flow: retrieve passages (BM25), read them (ONNX), trace each span to its document characters. */
export class QaPipeline {
  constructor(
    readonly store: DocumentStore,
    readonly reader: Reader,
    private readonly settings: PipelineSettings,
  ) {}

  get calibrated(): boolean {
    return this.settings.calibrator !== undefined;
  }

  get minConfidence(): number {
    return this.settings.minConfidence ?? this.settings.calibrator?.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  }

  /**
   * Answers a question. With `explain`, the result also lists every candidate with its features (what
   * `docqa eval calibrate` fits on).
   */
  async ask(request: AskRequest, options: { explain?: boolean } = {}): Promise<AskResult> {
    const question = request.question.trim();
    if (question.length === 0) throw new BadInputError('question must not be empty', 'question');
    if (question.length > MAX_QUESTION_CHARS) {
      throw new BadInputError(`question is longer than ${MAX_QUESTION_CHARS} characters`, 'question');
    }
    const topK = request.topK ?? this.settings.answerTopK;
    const retrieverTopK = request.retrieverTopK ?? this.settings.retrieverTopK;
    const minConfidence = request.minConfidence ?? this.minConfidence;
    const t0 = performance.now();
    const hits = await this.store.search(question, { topK: retrieverTopK, filters: request.filters });
    const t1 = performance.now();
    const reading = await this.reader.read(
      question,
      hits.map((h) => ({ id: h.passage.id, text: h.passage.text })),
      this.settings.read,
    );
    const t2 = performance.now();
    const ranked = rankSpans(reading.spans, hits, this.settings.ranking);
    const features = candidateFeatures(question, ranked, hits, reading.noAnswerScore);
    const calibrator = this.settings.calibrator;
    const scored = ranked
      .map((r, i) => ({
        ...r,
        features: features[i]!,
        confidence: calibrator ? calibratedConfidence(calibrator, features[i]!) : uncalibratedConfidence(features[i]!),
      }))
      .sort((a, b) => b.confidence - a.confidence || b.rankScore - a.rankScore);
    const answers = this.trace(hits, scored, topK);
    const best = answers[0];
    const noAnswer: NoAnswer = {
      chosen: !best || best.confidence < minConfidence,
      minConfidence,
      bestConfidence: best?.confidence ?? null,
      calibrated: calibrator !== undefined,
      readerNoAnswerScore: reading.noAnswerScore,
      reason: '',
    };
    noAnswer.reason = noAnswerReason(noAnswer, best, hits.length);
    const result: AskResult = {
      question,
      answers,
      noAnswer,
      timings: { retrieveMs: t1 - t0, readMs: t2 - t1, totalMs: performance.now() - t0 },
      model: { name: this.reader.model.name, version: this.reader.model.version },
      retrieved: hits.length,
      retrieverTopScore: hits.length > 0 ? Math.max(...hits.map((h) => h.score)) : null,
    };
    if (options.explain) {
      const byPassage = new Map(hits.map((h) => [h.passage.id, h]));
      result.passages = hits.map((h) => ({
        id: h.passage.id,
        document: h.document.name,
        text: h.passage.text,
        retrieverScore: h.score,
      }));
      result.candidates = scored.map(
        (c): Candidate => ({
          text: c.span.text,
          confidence: c.confidence,
          rankScore: c.rankScore,
          passageId: c.span.passageId,
          document: byPassage.get(c.span.passageId)?.document.name ?? null,
          features: c.features,
          span: {
            charStart: c.span.charStart,
            charEnd: c.span.charEnd,
            score: c.span.score,
            logit: c.span.logit,
            nullLogit: c.span.nullLogit,
          },
        }),
      );
    }
    return result;
  }

  /**
   * Maps passage spans to document offsets. Overlapping passages can find the same characters, and one passage
   * often yields nested variants of one answer ("scholarship", "a scholarship"): a span that overlaps a better
   * answer of the same document is dropped, so the answers returned are distinct.
   */
  private trace(
    hits: SearchHit[],
    ranked: { span: AnswerSpan; rankScore: number; confidence: number }[],
    topK: number,
  ): Answer[] {
    const byPassage = new Map(hits.map((h) => [h.passage.id, h]));
    const answers: Answer[] = [];
    for (const { span, rankScore, confidence } of ranked) {
      const hit = byPassage.get(span.passageId);
      if (!hit) continue;
      const { passage } = hit;
      const charStart = passage.charStart + span.charStart;
      const charEnd = passage.charStart + span.charEnd;
      const overlaps = answers.some(
        (a) => a.document.id === passage.docId && charStart < a.charEnd && a.charStart < charEnd,
      );
      if (overlaps) continue;
      const { context, offsets } = contextAround(passage.text, span.charStart, span.charEnd, this.settings.contextChars);
      answers.push({
        text: span.text,
        confidence,
        score: span.score,
        logit: span.logit,
        rankScore,
        document: { id: hit.document.id, name: hit.document.name },
        page: passage.page,
        charStart,
        charEnd,
        context,
        offsetsInContext: offsets,
        passageId: passage.id,
        retrieverScore: hit.score,
      });
      if (answers.length >= topK) break;
    }
    return answers;
  }
}

/** The decision in words, for people: why docqa answers nothing, or '' when it answers. */
export function noAnswerReason(noAnswer: NoAnswer, best: Answer | undefined, retrieved: number): string {
  if (!noAnswer.chosen) return '';
  if (retrieved === 0) return 'No answer found in your documents: no passage matches the question.';
  if (!best) return 'No answer found in your documents: the passages that match the question hold no answer span.';
  return (
    `No answer found in your documents (best candidate '${best.text}', confidence ${best.confidence.toFixed(2)}, ` +
    `below the minimum ${noAnswer.minConfidence.toFixed(2)}).`
  );
}
