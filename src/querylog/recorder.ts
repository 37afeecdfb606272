/**
 * The query log's use cases: record an ask under its id, take feedback on it, keep the retention. The HTTP routes
 * and the CLI call these; the store (SQLite or Elasticsearch) is given by the composition root.
 */
import { randomUUID } from 'node:crypto';
import { BadInputError, NotFoundError } from '../errors.js';
import type { AskRequest, AskResult } from '../qa/answer.js';
import { toFeedbackRecord, toQueryRecord, type FeedbackInput, type FeedbackRecord, type QueryRecord } from './record.js';
import type { QueryLog, Retention } from './store.js';

export interface RecorderOptions {
  logQuestions: boolean;
  retention: Retention;
  now?: () => Date;
}

export interface FeedbackOutcome {
  askId: string;
  /** 'created': the ask's first feedback; 'replaced': it replaced the earlier feedback. */
  status: 'created' | 'replaced';
  feedback: FeedbackRecord;
}

export class AskRecorder {
  private readonly now: () => Date;

  constructor(
    readonly log: QueryLog,
    private readonly options: RecorderOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Records an ask under `id`. Should a record with that id exist already (a client reusing an X-Request-Id), the
   * ask is recorded under `<id>-<random>` instead; the id it was recorded under is returned.
   */
  async record(id: string, request: AskRequest, result: AskResult, modelSha256: string | null): Promise<QueryRecord> {
    const record = toQueryRecord(id, request, result, { logQuestions: this.options.logQuestions, modelSha256, now: this.now() });
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await this.log.add(record)) === 'added') return record;
      record.id = `${id.slice(0, 100)}-${randomUUID().slice(0, 8)}`;
    }
    throw new Error(`could not record ask ${id}: its id is taken`);
  }

  /** Stores the feedback on an ask (replacing earlier feedback on it). NotFoundError for an unknown ask id. */
  async feedback(input: FeedbackInput): Promise<FeedbackOutcome> {
    const record = await this.log.get(input.askId);
    if (!record) throw new NotFoundError(`no ask with id '${input.askId}' in the query log`);
    const made = toFeedbackRecord(record, input, this.now());
    if ('field' in made) throw new BadInputError(made.message, made.field);
    const written = await this.log.setFeedback(record.id, made.feedback);
    // the record can go between get and set only when the retention deletes it
    if (written === 'not_found') throw new NotFoundError(`no ask with id '${input.askId}' in the query log`);
    return { askId: record.id, status: written, feedback: made.feedback };
  }

  /** Deletes what the retention no longer keeps; returns how many records went. */
  prune(): Promise<number> {
    return this.log.prune(this.options.retention, this.now());
  }
}
