/**
 * The two ways of running a question set:
 * - reader mode: the reader alone on each question's gold paragraph (isolated reader quality);
 * - open mode: the real ask pipeline (retriever + reader) over a whole index, as BERTserini/DrQA evaluate
 *   open-domain QA; each question is also judged for retrieval (see retrieval-metrics.ts).
 * The runners take their parts (a Reader, a QaPipeline and its store, an Ingestor) and return per-question
 * outcomes; result.ts turns those into scores.
 */
import { performance } from 'node:perf_hooks';
import { BadInputError, DocqaError } from '../errors.js';
import { ingestBatch } from '../ingest/batch.js';
import { collectFiles, type IngestOutcome, type Ingestor } from '../ingest/ingestor.js';
import type { Candidate } from '../qa/answer.js';
import type { QaPipeline } from '../qa/pipeline.js';
import type { ReadOptions, Reader } from '../reader/types.js';
import { mapConcurrent } from '../util/concurrency.js';
import type { CountProgress } from '../util/progress.js';
import type { EvalDataset, EvalQuestion } from './dataset.js';
import type { IngestSummary, QuestionOutcome } from './result.js';
import { judgeRetrieval, sameDocument } from './retrieval-metrics.js';

/** Questions done of all (0 at the start); the CLI shows it with util/progress.ts. */
export type Progress = CountProgress;

/** A question the pipeline refuses (e.g. too long) stops the run with an error that names the question. */
async function forQuestion<T>(q: EvalQuestion, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DocqaError && err.code === 'bad_input') {
      throw new BadInputError(`question '${q.id}': ${err.message}`, 'dataset', { question: q.id });
    }
    throw err;
  }
}

export interface RunTiming<T> {
  outcomes: T;
  wallSeconds: number;
}

/** Runs `ask` on every question, reporting progress, and times the whole run. */
async function timedQuestions(
  questions: readonly EvalQuestion[],
  options: { concurrency?: number; onProgress?: Progress },
  ask: (q: EvalQuestion) => Promise<QuestionOutcome>,
): Promise<RunTiming<QuestionOutcome[]>> {
  const started = performance.now();
  options.onProgress?.(0, questions.length);
  const outcomes = await mapConcurrent(
    questions,
    options.concurrency ?? 1,
    ask,
    (done) => options.onProgress?.(done, questions.length),
  );
  return { outcomes, wallSeconds: (performance.now() - started) / 1000 };
}

/** Reader mode: every question must have its gold paragraph (SQuAD, or JSONL with "context"). */
export function checkReaderModeInput(dataset: EvalDataset, questions: readonly EvalQuestion[], file: string): void {
  const without = questions.find((q) => q.paragraph === null);
  if (without) {
    throw new BadInputError(
      `${file}: reader mode needs each question's gold paragraph (SQuAD JSON, or JSONL lines with "context"); question '${without.id}' has none`,
      'dataset',
    );
  }
  if (dataset.paragraphs.length === 0) throw new BadInputError(`${file}: no paragraphs`, 'dataset');
}

export async function runReaderMode(
  reader: Reader,
  dataset: EvalDataset,
  questions: readonly EvalQuestion[],
  options: { threshold: number; read?: Partial<ReadOptions>; concurrency?: number; onProgress?: Progress },
): Promise<RunTiming<QuestionOutcome[]>> {
  return timedQuestions(questions, options, async (q): Promise<QuestionOutcome> => {
    const passage = { id: `paragraph-${q.paragraph}`, text: dataset.paragraphs[q.paragraph!]! };
    const t0 = performance.now();
    const reading = await forQuestion(q, () => reader.read(q.question, [passage], options.read));
    const latencyMs = performance.now() - t0;
    const best = reading.spans[0];
    return {
      question: q,
      bestSpan: best?.text ?? '',
      answerScore: best?.score ?? null,
      noAnswerProb: reading.noAnswerScore,
      noAnswerChosen: reading.noAnswerScore >= options.threshold || !best,
      latencyMs,
    };
  });
}

/** One question of an open-mode run as `docqa eval calibrate` reads it (a line of the --candidates file). */
export interface CandidateRecord {
  id: string;
  question: string;
  answers: string[];
  /** The document that must hold the answer (JSONL), null when any may. */
  document: string | null;
  /**
   * The SQuAD article the question is asked with (for a foreign question: the article it was attached to), so that
   * the calibrator's cross-fitting keeps one article's questions in one fold; absent in older files.
   */
  article?: string | null;
  readerNoAnswerScore: number;
  /** Every candidate, best first by the pipeline's confidence. */
  candidates: Candidate[];
  /** The passages read (retriever order), so that features can be computed again from the raw inputs. */
  passages?: { id: string; document: string; text: string; retrieverScore: number }[];
}

export async function runOpenMode(
  pipeline: QaPipeline,
  questions: readonly EvalQuestion[],
  options: { topK: number; minConfidence?: number; concurrency?: number; onProgress?: Progress; onCandidates?: (r: CandidateRecord) => void },
): Promise<RunTiming<QuestionOutcome[]>> {
  return timedQuestions(questions, options, async (q): Promise<QuestionOutcome> => {
    const result = await forQuestion(q, () =>
      pipeline.ask({ question: q.question, retrieverTopK: options.topK, topK: 1, minConfidence: options.minConfidence }, { explain: true }),
    );
    options.onCandidates?.({
      id: q.id,
      question: q.question,
      answers: q.answers,
      document: q.document,
      article: q.article,
      readerNoAnswerScore: result.noAnswer.readerNoAnswerScore,
      candidates: result.candidates ?? [],
      passages: result.passages ?? [],
    });
    const best = result.answers[0];
    // a question that names its document is answered only by that document: an equal text elsewhere is luck
    const otherDocument = best !== undefined && q.document !== null && !sameDocument(best.document.name, q.document);
    return {
      question: q,
      bestSpan: otherDocument ? '' : (best?.text ?? ''),
      answerScore: best?.score ?? null,
      confidence: result.noAnswer.bestConfidence,
      retrieverTopScore: result.retrieverTopScore ?? null,
      noAnswerProb: 1 - (result.noAnswer.bestConfidence ?? 0),
      noAnswerChosen: result.noAnswer.chosen || !best,
      latencyMs: result.timings.totalMs,
      stages: { retrieveMs: result.timings.retrieveMs, readMs: result.timings.readMs },
      retrieval: judgeRetrieval(
        (result.passages ?? []).map((p) => ({ text: p.text, document: p.document })),
        { answers: q.answers, document: q.document, article: q.article },
      ),
      answerDocument: best?.document.name ?? null,
      ...(best ? { answerText: best.text, answerContext: best.context } : {}),
      ...(otherDocument ? { answerFromOtherDocument: true } : {}),
    };
  });
}

/** The documents of a SQuAD file: one per article, its paragraphs joined by blank lines, named by its title. */
export function squadDocuments(dataset: EvalDataset): { name: string; text: string }[] {
  const used = new Map<string, number>();
  return dataset.articles.map((a) => {
    const n = (used.get(a.title) ?? 0) + 1;
    used.set(a.title, n);
    return {
      name: n === 1 ? a.title : `${a.title} (${n})`,
      text: a.paragraphs.map((p) => dataset.paragraphs[p]!.trim()).join('\n\n'),
    };
  });
}

/** What eval records of its ingestion: documents written (or unchanged), their passages, failures, time. */
function ingestSummary(outcomes: readonly IngestOutcome[], seconds: number): IngestSummary {
  const written = outcomes.filter((o) => o.status !== 'failed');
  return {
    documents: written.length,
    passages: written.reduce((n, o) => n + o.passages, 0),
    failed: outcomes.length - written.length,
    seconds,
  };
}

/** Ingests a SQuAD file's articles as text documents (through the real ingestor: converter, splitter, store). */
export async function ingestSquadArticles(ingestor: Ingestor, dataset: EvalDataset): Promise<IngestSummary> {
  const started = performance.now();
  const outcomes: IngestOutcome[] = [];
  for (const d of squadDocuments(dataset)) {
    // text whatever the title says: an article titled like a file ('report.pdf', a feedback export's) is still text
    outcomes.push(await ingestor.ingestSafely({ name: d.name, data: Buffer.from(d.text, 'utf8'), mediaType: 'text/plain', format: 'text' }));
  }
  return ingestSummary(outcomes, (performance.now() - started) / 1000);
}

/** Ingests every supported file under a folder as `docqa ingest <dir>` does (same names, limits, concurrency). */
export async function ingestCorpus(ingestor: Ingestor, dir: string): Promise<IngestSummary> {
  const { files } = await collectFiles([dir]);
  if (files.length === 0) throw new BadInputError(`--corpus ${dir}: no supported files in it`, 'corpus');
  const batch = await ingestBatch(ingestor, files, { concurrency: ingestor.limits.concurrency ?? 1 });
  return ingestSummary(batch.outcomes, batch.seconds);
}
