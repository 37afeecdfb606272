/**
 * Retry and error reporting of bulk writes, against a tiny local HTTP server that answers like Elasticsearch would
 * under overload (real HTTP through the real client; the store's behaviour against a real server is tested in
 * elasticsearch.test.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@elastic/elasticsearch';
import { afterEach, describe, expect, it } from 'vitest';
import { BulkWriteError, batches, bulkWrite, type BulkOperation } from '../../src/store/elasticsearch/bulk.js';

interface Reply {
  status: number;
  /** Item statuses, one per operation of the request (ignored when status is not 200). */
  items?: number[];
}

/** Answers each bulk request with the next scripted reply and records the operations it was sent. */
class FakeBulkServer {
  readonly requests: { action: string; id: string }[][] = [];
  private server!: http.Server;

  constructor(private readonly replies: Reply[]) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const lines = body.split('\n').filter((l) => l.trim().length > 0).map((l) => JSON.parse(l) as object);
        const ops: { action: string; id: string }[] = [];
        for (const line of lines) {
          const [action, meta] = Object.entries(line)[0] as [string, { _id?: string }];
          if ((action === 'index' || action === 'delete') && meta && typeof meta._id === 'string') {
            ops.push({ action, id: meta._id });
          }
        }
        this.requests.push(ops);
        const reply = this.replies.shift() ?? { status: 200 };
        const headers = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
        if (reply.status !== 200) {
          res.writeHead(reply.status, headers);
          res.end(JSON.stringify({ error: { type: 'es_rejected_execution_exception', reason: 'busy' }, status: reply.status }));
          return;
        }
        const items = ops.map((op, i) => {
          const status = reply.items?.[i] ?? 201;
          const error =
            status >= 300
              ? { type: status === 429 ? 'es_rejected_execution_exception' : 'document_parsing_exception', reason: `item ${op.id} failed` }
              : undefined;
          return { [op.action]: { _index: 'x', _id: op.id, status, ...(error ? { error } : {}) } };
        });
        res.writeHead(200, headers);
        res.end(JSON.stringify({ took: 1, errors: items.some((i) => Object.values(i)[0]!.status >= 300), items }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const fast = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 };
const ops = (n: number): BulkOperation[] =>
  Array.from({ length: n }, (_, i) => ({ action: 'index' as const, id: `p${i}`, document: { text: `t${i}` } }));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

async function setup(replies: Reply[]) {
  const server = new FakeBulkServer(replies);
  const url = await server.start();
  const client = new Client({ node: url });
  cleanup.push(async () => {
    await client.close();
    await server.stop();
  });
  return { server, client, url };
}

describe('bulkWrite', () => {
  it('retries a whole request answered 429, then succeeds', async () => {
    const { server, client, url } = await setup([{ status: 429 }, { status: 200 }]);
    await bulkWrite(client, 'idx', ops(3), { batchSize: 10, maxBatchBytes: 1e6, retry: fast, url });
    expect(server.requests.map((r) => r.map((o) => o.id))).toEqual([
      ['p0', 'p1', 'p2'],
      ['p0', 'p1', 'p2'],
    ]);
  });

  it('retries only the items answered 429 or 5xx', async () => {
    const { server, client, url } = await setup([{ status: 200, items: [201, 429, 201, 503] }, { status: 200 }]);
    await bulkWrite(client, 'idx', ops(4), { batchSize: 10, maxBatchBytes: 1e6, retry: fast, url });
    expect(server.requests.map((r) => r.map((o) => o.id))).toEqual([['p0', 'p1', 'p2', 'p3'], ['p1', 'p3']]);
  });

  it('sends more than one batch, in order', async () => {
    const { server, client, url } = await setup([]);
    await bulkWrite(client, 'idx', ops(7), { batchSize: 3, maxBatchBytes: 1e6, retry: fast, url });
    expect(server.requests.map((r) => r.length)).toEqual([3, 3, 1]);
  });

  it('reports each item refused for good, as bad input, without retrying it', async () => {
    const { server, client, url } = await setup([{ status: 200, items: [201, 400, 201] }]);
    const err = await bulkWrite(client, 'idx', ops(3), { batchSize: 10, maxBatchBytes: 1e6, retry: fast, url }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BulkWriteError);
    expect(err).toMatchObject({
      code: 'bad_input',
      items: [{ action: 'index', id: 'p1', status: 400, type: 'document_parsing_exception', reason: 'item p1 failed' }],
    });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the retries with an unavailable error listing the items', async () => {
    const { server, client, url } = await setup(Array.from({ length: 4 }, () => ({ status: 200, items: [429] })));
    const err = await bulkWrite(client, 'idx', ops(1), { batchSize: 10, maxBatchBytes: 1e6, retry: fast, url }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'unavailable', items: [{ id: 'p0', status: 429 }] });
    expect(server.requests).toHaveLength(4);
  });

  it('gives up on a request that keeps failing with 503 as unavailable', async () => {
    const { server, client, url } = await setup(Array.from({ length: 4 }, () => ({ status: 503 })));
    await expect(
      bulkWrite(client, 'idx', ops(2), { batchSize: 10, maxBatchBytes: 1e6, retry: fast, url }),
    ).rejects.toMatchObject({ code: 'unavailable', name: 'UnavailableError' });
    expect(server.requests).toHaveLength(4);
  });
});

describe('batches', () => {
  it('cuts by count and by bytes', () => {
    expect(batches(ops(5), 2, 1e6).map((b) => b.length)).toEqual([2, 2, 1]);
    const big: BulkOperation[] = ['a', 'b', 'c'].map((id) => ({ action: 'index', id, document: { t: 'x'.repeat(100) } }));
    expect(batches(big, 100, 400).map((b) => b.map((o) => o.id))).toEqual([['a', 'b'], ['c']]);
  });
});
