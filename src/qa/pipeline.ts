import { performance } from 'node:perf_hooks';
import { BadInputError } from '../errors.js';
import type { AnswerSpan, ReadOptions, Reader } from '../reader/types.js';
import { rankSpans, type RankingSettings } from './ranking.js';
import type { DocumentStore, SearchHit } from '../store/store.js';
import type { Answer, AskRequest, AskResult } from './answer.js';
import { contextAround } from './context.js';

export interface PipelineSettings {
  retrieverTopK: number;
  answerTopK: number;
  /** How spans of different passages are ordered (src/qa/ranking.ts). */
  ranking: RankingSettings;
  /** Explicit threshold; else the model manifest's recommendation; else DEFAULT_NO_ANSWER_THRESHOLD. */
  noAnswerThreshold?: number;
  read: Partial<ReadOptions>;
  /** Characters of context on each side of an answer. */
  contextChars: number;
}

export const DEFAULT_NO_ANSWER_THRESHOLD = 0.5;

export const MAX_QUESTION_CHARS = 2000;

/** The ask flow: retrieve passages (BM25), read them (ONNX), trace each span to its document characters. */
export class QaPipeline {
  constructor(
    readonly store: DocumentStore,
    readonly reader: Reader,
    private readonly settings: PipelineSettings,
  ) {}

  get noAnswerThreshold(): number {
    return this.settings.noAnswerThreshold ?? this.reader.model.noAnswerThreshold ?? DEFAULT_NO_ANSWER_THRESHOLD;
  }

  async ask(request: AskRequest): Promise<AskResult> {
    const question = request.question.trim();
    if (question.length === 0) throw new BadInputError('question must not be empty', 'question');
    if (question.length > MAX_QUESTION_CHARS) {
      throw new BadInputError(`question is longer than ${MAX_QUESTION_CHARS} characters`, 'question');
    }
    const topK = request.topK ?? this.settings.answerTopK;
    const retrieverTopK = request.retrieverTopK ?? this.settings.retrieverTopK;
    const t0 = performance.now();
    const hits = await this.store.search(question, { topK: retrieverTopK, filters: request.filters });
    const t1 = performance.now();
    const reading = await this.reader.read(
      question,
      hits.map((h) => ({ id: h.passage.id, text: h.passage.text })),
      this.settings.read,
    );
    const t2 = performance.now();
    const answers = this.trace(hits, rankSpans(reading.spans, hits, this.settings.ranking), topK);
    const threshold = this.noAnswerThreshold;
    return {
      question,
      answers,
      noAnswer: { score: reading.noAnswerScore, chosen: reading.noAnswerScore >= threshold, threshold },
      timings: { retrieveMs: t1 - t0, readMs: t2 - t1, totalMs: performance.now() - t0 },
      model: { name: this.reader.model.name, version: this.reader.model.version },
      retrieved: hits.length,
    };
  }

  /**
   * Maps passage spans to document offsets. Overlapping passages can find the same characters, and one passage
   * often yields nested variants of one answer ("scholarship", "a scholarship"): a span that overlaps a better
   * answer of the same document is dropped, so the answers returned are distinct.
   */
  private trace(hits: SearchHit[], ranked: { span: AnswerSpan; rankScore: number }[], topK: number): Answer[] {
    const byPassage = new Map(hits.map((h) => [h.passage.id, h]));
    const answers: Answer[] = [];
    for (const { span, rankScore } of ranked) {
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
