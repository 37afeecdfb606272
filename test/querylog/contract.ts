/**
 * The QueryLog contract: the SQLite and Elasticsearch query logs run these same tests against a real backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeedbackRecord, QueryRecord, Verdict } from '../../src/querylog/record.js';
import type { QueryLog } from '../../src/querylog/store.js';
import { feedbackPrecision } from '../../src/querylog/precision.js';

export interface QueryLogUnderTest {
  log: QueryLog;
  cleanup: () => Promise<void>;
}

const T0 = Date.parse('2026-12-01T12:00:00.000Z');

/** A record asked `minutes` after T0 by model `version`. */
export function makeRecord(id: string, minutes: number, version = '1.0.0', question: string | null = `question ${id}?`): QueryRecord {
  return {
    id,
    time: new Date(T0 + minutes * 60_000).toISOString(),
    question,
    questionSha256: 'a'.repeat(64),
    questionLength: 12,
    answers: [
      {
        text: `answer ${id}`,
        confidence: 0.8,
        document: { id: 'd'.repeat(64), name: 'doc.txt' },
        page: null,
        charStart: 10,
        charEnd: 20,
        passageId: `${'d'.repeat(64)}:0`,
        retrieverScore: 3.5,
      },
    ],
    noAnswer: { chosen: false, reason: '', minConfidence: 0.4, bestConfidence: 0.8, calibrated: true },
    model: { name: 'm', version, sha256: 'b'.repeat(64) },
    timings: { retrieveMs: 1.5, readMs: 20.25, totalMs: 22 },
    retrieved: 5,
    request: { topK: 2, filters: { names: ['doc.txt'] } },
    feedback: null,
  };
}

function feedback(verdict: Verdict, minutes: number, extra: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return { verdict, answerIndex: 0, correctAnswer: null, comment: null, time: new Date(T0 + minutes * 60_000).toISOString(), ...extra };
}

export function describeQueryLogContract(name: string, open: () => Promise<QueryLogUnderTest>): void {
  describe(`QueryLog contract: ${name}`, () => {
    let sut: QueryLogUnderTest;
    let log: QueryLog;
    beforeEach(async () => {
      sut = await open();
      log = sut.log;
      await log.init();
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    it('keeps a record as it was given, and refuses a second record under the same id', async () => {
      const r = makeRecord('ask-1', 0);
      expect(await log.add(r)).toBe('added');
      expect(await log.get('ask-1')).toEqual(r);
      expect(await log.add({ ...r, question: 'another' })).toBe('duplicate');
      expect((await log.get('ask-1'))!.question).toBe(r.question);
      expect(await log.get('nope')).toBeNull();
      expect(await log.ping()).toBe(true);
    });

    it('keeps one feedback per ask: created, then replaced; not_found for unknown asks', async () => {
      await log.add(makeRecord('ask-1', 0));
      expect(await log.setFeedback('ask-1', feedback('wrong', 1, { correctAnswer: 'X', comment: 'no' }))).toBe('created');
      expect((await log.get('ask-1'))!.feedback).toEqual(feedback('wrong', 1, { correctAnswer: 'X', comment: 'no' }));
      expect(await log.setFeedback('ask-1', feedback('correct', 2))).toBe('replaced');
      expect((await log.get('ask-1'))!.feedback).toEqual(feedback('correct', 2));
      expect(await log.setFeedback('nope', feedback('correct', 2))).toBe('not_found');
      expect(await log.count()).toBe(1);
      expect(await log.count({ judged: true })).toBe(1);
    });

    it('lists by time window, bounded, in either order, and only judged asks when asked', async () => {
      for (let i = 0; i < 7; i++) await log.add(makeRecord(`ask-${i}`, i * 10));
      await log.setFeedback('ask-3', feedback('correct', 100));
      const all = await log.list({ limit: 100 });
      expect(all.map((r) => r.id)).toEqual(['ask-0', 'ask-1', 'ask-2', 'ask-3', 'ask-4', 'ask-5', 'ask-6']);
      expect(all[3]!.feedback?.verdict).toBe('correct');
      expect((await log.list({ limit: 3, order: 'desc' })).map((r) => r.id)).toEqual(['ask-6', 'ask-5', 'ask-4']);
      const window = { since: new Date(T0 + 10 * 60_000), until: new Date(T0 + 40 * 60_000) };
      expect((await log.list({ ...window, limit: 100 })).map((r) => r.id)).toEqual(['ask-1', 'ask-2', 'ask-3']);
      expect(await log.count(window)).toBe(3);
      expect((await log.list({ judged: true, limit: 100 })).map((r) => r.id)).toEqual(['ask-3']);
    });

    it('counts verdicts per model version since a time, and precision per window follows', async () => {
      await log.add(makeRecord('a', 0, '1.0.0'));
      await log.add(makeRecord('b', 0, '1.0.0'));
      await log.add(makeRecord('c', 0, '1.0.0'));
      await log.add(makeRecord('d', 0, '2.0.0'));
      await log.add(makeRecord('e', 0, '2.0.0'));
      const now = T0 + 3 * 86_400_000; // three days later
      const ago = (ms: number) => new Date(now - ms).toISOString();
      await log.setFeedback('a', { ...feedback('correct', 0), time: ago(30 * 60_000) }); // 30 min ago
      await log.setFeedback('b', { ...feedback('wrong', 0), time: ago(2 * 3_600_000) }); // 2 h ago
      await log.setFeedback('c', { ...feedback('partial', 0), time: ago(2 * 86_400_000) }); // 2 days ago
      await log.setFeedback('d', { ...feedback('correct', 0), time: ago(10 * 60_000) });
      await log.setFeedback('e', { ...feedback('correct', 0), time: ago(8 * 86_400_000) }); // outside 7 d
      const counts = await log.verdictCounts(new Date(now - 86_400_000));
      expect(counts).toEqual(
        expect.arrayContaining([
          { model: 'm', version: '1.0.0', verdict: 'correct', count: 1 },
          { model: 'm', version: '1.0.0', verdict: 'wrong', count: 1 },
          { model: 'm', version: '2.0.0', verdict: 'correct', count: 1 },
        ]),
      );
      expect(counts).toHaveLength(3);
      const rows = await feedbackPrecision(log, new Date(now));
      const p = (version: string, window: string) => rows.find((r) => r.version === version && r.window === window);
      expect(p('1.0.0', '1h')).toMatchObject({ judged: 1, correct: 1, precision: 1 });
      expect(p('1.0.0', '24h')).toMatchObject({ judged: 2, correct: 1, precision: 0.5 });
      expect(p('1.0.0', '7d')).toMatchObject({ judged: 3, correct: 1, precision: 1 / 3 });
      expect(p('2.0.0', '7d')).toMatchObject({ judged: 1, correct: 1, precision: 1 });
    });

    it('enforces the retention: age and row count, feedback going with its ask', async () => {
      for (let i = 0; i < 10; i++) await log.add(makeRecord(`r${i}`, i * 60 * 24)); // one a day
      await log.setFeedback('r0', feedback('correct', 1));
      const now = new Date(T0 + 9.5 * 86_400_000);
      // keep the last 5 days: r5..r9 (r4 is 5.5 days old)
      expect(await log.prune({ maxAgeDays: 5, maxRows: 0 }, now)).toBe(5);
      expect((await log.list({ limit: 100 })).map((r) => r.id)).toEqual(['r5', 'r6', 'r7', 'r8', 'r9']);
      expect(await log.count({ judged: true })).toBe(0);
      expect(await log.prune({ maxAgeDays: 0, maxRows: 2 }, now)).toBe(3);
      expect((await log.list({ limit: 100 })).map((r) => r.id)).toEqual(['r8', 'r9']);
      expect(await log.prune({ maxAgeDays: 0, maxRows: 0 }, now)).toBe(0);
      expect(await log.count()).toBe(2);
    });
  });
}
