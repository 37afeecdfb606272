/**
 * The soak's mixed load on one server: `concurrency` clients, at most `rate` operations a second in all, each
 * operation drawn by a seeded PRNG — asks (dev-b questions in order), feedback on earlier asks, uploads of small
 * (JSON text, ~1 KB) and medium (JSON text ~200 KB, or a DOCX through multipart) documents, deletes of the oldest
 * document the soak uploaded (so uploads and deletes balance and the store stays about the size of the corpus).
 * Every reply is counted by operation and status (0: no HTTP reply at all).
 */
import { performance } from 'node:perf_hooks';
import { prng } from '../../src/eval/stats.js';

export type Op = 'ask' | 'feedback' | 'upload_small' | 'upload_medium' | 'delete';
export const OPS: readonly Op[] = ['ask', 'feedback', 'upload_small', 'upload_medium', 'delete'];

/** Share of each operation by default (a feedback or delete with nothing to act on becomes an ask). */
export const MIX: Readonly<Record<Op, number>> = { ask: 0.68, feedback: 0.12, upload_small: 0.07, upload_medium: 0.03, delete: 0.1 };

export interface Corpus {
  questions: string[];
  /** Paragraphs to make small documents from. */
  paragraphs: string[];
  /** Medium documents: text (JSON upload) and DOCX (multipart upload). */
  mediumTexts: string[];
  mediumDocx: Buffer[];
}

export interface LoadCounts {
  /** replies by operation and status: counts[op][status] */
  counts: Record<Op, Record<string, number>>;
  /** latencies (ms) of the replies by operation */
  latencies: Record<Op, number[]>;
  /** documents the soak uploaded that are still there (oldest first) */
  live: { id: string; name: string }[];
  /** every request: when it started and ended (performance.now() ms), its operation, status and size sent */
  events: { start: number; end: number; op: Op; status: number; bytes: number }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function emptyCounts(): LoadCounts {
  const per = <T>(make: () => T) => Object.fromEntries(OPS.map((o) => [o, make()])) as Record<Op, T>;
  return { counts: per(() => ({})), latencies: per(() => []), live: [], events: [] };
}

/**
 * The load on one server. `warmUp` runs each operation once (uploads of each kind, then their deletes), so that the
 * reader, the conversion workers and the store's write path have started before `run` is measured.
 */
export class Workload {
  private readonly random: () => number;
  private readonly asks: string[] = []; // ids of answered asks, for feedback (the last 500)
  private nextQuestion = 0;
  private uploads = 0;

  constructor(
    private readonly url: string,
    private readonly corpus: Corpus,
    private readonly opts: { concurrency: number; rate: number; seed: number; requestTimeoutMs: number; mix: Readonly<Record<Op, number>> },
  ) {
    this.random = prng(opts.seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  private async call(out: LoadCounts, op: Op, path: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    const t = performance.now();
    let status = 0;
    let body: unknown = null;
    try {
      const res = await fetch(`${this.url}${path}`, { ...init, signal: AbortSignal.timeout(this.opts.requestTimeoutMs) });
      status = res.status;
      const text = await res.text();
      body = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    } catch {
      status = 0;
    }
    const end = performance.now();
    out.counts[op][status] = (out.counts[op][status] ?? 0) + 1;
    out.latencies[op].push(end - t);
    const bytes = typeof init.body === 'string' ? Buffer.byteLength(init.body) : init.body instanceof FormData ? -1 : 0;
    out.events.push({ start: t, end, op, status, bytes });
    return { status, body };
  }

  private async upload(out: LoadCounts, op: Op, name: string, init: RequestInit): Promise<void> {
    const r = await this.call(out, op, '/v1/documents', init);
    const id = (r.body as { documentId?: string } | null)?.documentId;
    // 200 unchanged: the same text is stored already (e.g. the same DOCX uploaded before), under the id listed
    if ((r.status === 200 || r.status === 201) && id && !out.live.some((d) => d.id === id)) out.live.push({ id, name });
  }

  async op(op: Op, out: LoadCounts, form?: 'text' | 'docx'): Promise<void> {
    const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const seed = this.opts.seed;
    switch (op) {
      case 'ask': {
        const question = this.corpus.questions[this.nextQuestion++ % this.corpus.questions.length]!;
        const r = await this.call(out, 'ask', '/v1/ask', json({ question }));
        if (r.status === 200) {
          this.asks.push((r.body as { id: string }).id);
          if (this.asks.length > 500) this.asks.shift();
        }
        return;
      }
      case 'feedback': {
        const askId = this.pick(this.asks);
        const verdict = this.pick(['correct', 'wrong', 'partial'] as const);
        const extra = verdict === 'wrong' && this.random() < 0.5 ? { correctAnswer: 'something else', comment: 'soak' } : {};
        await this.call(out, 'feedback', '/v1/feedback', json({ askId, verdict, ...extra }));
        return;
      }
      case 'upload_small': {
        const n = ++this.uploads;
        const text = `Soak note ${n} (${seed}).\n\n${this.pick(this.corpus.paragraphs)}\n\n${this.pick(this.corpus.paragraphs)}`;
        await this.upload(out, op, `soak-small-${n}.txt`, json({ name: `soak-small-${n}.txt`, text }));
        return;
      }
      case 'upload_medium': {
        const n = ++this.uploads;
        if ((form ?? (this.random() < 0.5 ? 'text' : 'docx')) === 'text') {
          const text = `Soak report ${n} (${seed}).\n\n${this.pick(this.corpus.mediumTexts)}`;
          await this.upload(out, op, `soak-medium-${n}.txt`, json({ name: `soak-medium-${n}.txt`, text }));
        } else {
          const body = new FormData();
          body.append('file', new Blob([this.pick(this.corpus.mediumDocx)]), `soak-medium-${n}.docx`);
          await this.upload(out, op, `soak-medium-${n}.docx`, { method: 'POST', body });
        }
        return;
      }
      case 'delete': {
        const doc = out.live.shift();
        if (!doc) return;
        const r = await this.call(out, 'delete', `/v1/documents/${encodeURIComponent(doc.id)}`, { method: 'DELETE' });
        if (r.status !== 204 && r.status !== 404) out.live.unshift(doc); // still there: the end check counts it
        return;
      }
    }
  }

  /** Each operation once, in order; what it uploaded is deleted again. */
  async warmUp(out: LoadCounts): Promise<void> {
    await this.op('ask', out);
    await this.op('ask', out);
    await this.op('feedback', out);
    await this.op('upload_small', out);
    await this.op('upload_medium', out, 'text');
    await this.op('upload_medium', out, 'docx');
    while (out.live.length > 0) {
      const before = out.live.length;
      await this.op('delete', out);
      if (out.live.length >= before) break;
    }
  }

  /** Runs the mix until `until` (a performance.now() time); resolves when every client has had its last reply. */
  async run(until: number, out: LoadCounts): Promise<void> {
    const interval = 1000 / this.opts.rate;
    let nextSlot = performance.now();
    const choose = (): Op => {
      let x = this.random() * OPS.reduce((a, op) => a + this.opts.mix[op], 0);
      for (const op of OPS) {
        x -= this.opts.mix[op];
        if (x < 0) return (op === 'feedback' && this.asks.length === 0) || (op === 'delete' && out.live.length === 0) ? 'ask' : op;
      }
      return 'ask';
    };
    await Promise.all(
      Array.from({ length: this.opts.concurrency }, async () => {
        for (;;) {
          // one slot per `interval`; a client that falls behind takes the next slot from now (no burst)
          const at = Math.max(nextSlot, performance.now());
          nextSlot = at + interval;
          if (at >= until) return;
          await sleep(at - performance.now());
          await this.op(choose(), out);
        }
      }),
    );
  }
}
