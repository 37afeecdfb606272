/**
 * What the query log costs, side by side for its two stores (not part of the test suite): the time to record one
 * ask (QueryLog.add, what POST /v1/ask awaits before replying), the time to store feedback, and the time of one
 * scrape's read (precision over 3 windows + the record count) with --records asks in the log (10% judged).
 *
 *   scripts/elasticsearch start
 *   npx tsc -p bench/tsconfig.json && node dist/bench-build/bench/querylog.js [--records 20000] [--es-url http://127.0.0.1:9200] [--only sqlite|elasticsearch]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ElasticsearchQueryLog } from '../src/querylog/elasticsearch.js';
import { queryLogFigures } from '../src/querylog/precision.js';
import type { QueryRecord } from '../src/querylog/record.js';
import { SqliteQueryLog } from '../src/querylog/sqlite.js';
import type { QueryLog } from '../src/querylog/store.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const RECORDS = Number(arg('--records', '20000'));
const ES_URL = arg('--es-url', 'http://127.0.0.1:9200');
const ONLY = arg('--only', '');

function record(i: number, now: number): QueryRecord {
  return {
    id: `bench-${i}`,
    time: new Date(now - (RECORDS - i) * 30_000).toISOString(), // one ask every 30 s, the last one now
    question: `What is question number ${i} about, and where is it answered?`,
    questionSha256: i.toString(16).padStart(64, '0'),
    questionLength: 60,
    answers: [0, 1, 2].map((k) => ({
      text: `answer ${k} of ${i}`,
      confidence: 0.9 - k * 0.3,
      document: { id: 'd'.repeat(64), name: `doc-${i % 50}.pdf` },
      page: 3,
      charStart: 100 * k,
      charEnd: 100 * k + 12,
      passageId: `${'d'.repeat(64)}:${k}`,
      retrieverScore: 12.5 - k,
    })),
    noAnswer: { chosen: i % 7 === 0, reason: '', minConfidence: 0.4, bestConfidence: 0.9, calibrated: true },
    model: { name: 'minilm-l6-squad', version: i % 2 ? '1.0.0' : '1.1.0', sha256: 'b'.repeat(64) },
    timings: { retrieveMs: 5.1, readMs: 850.2, totalMs: 860 },
    retrieved: 10,
    request: { topK: 3 },
    feedback: null,
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function measure(name: string, log: QueryLog): Promise<{ name: string; add: number[]; feedback: number[]; scrape: number[] }> {
  await log.init();
  const now = Date.now();
  const add: number[] = [];
  const feedback: number[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const t = performance.now();
    await log.add(record(i, now));
    add.push(performance.now() - t);
  }
  for (let i = 0; i < RECORDS; i += 10) {
    const t = performance.now();
    await log.setFeedback(`bench-${i}`, { verdict: i % 3 ? 'correct' : 'wrong', answerIndex: 0, correctAnswer: null, comment: null, time: new Date(now - (RECORDS - i) * 30_000).toISOString() });
    feedback.push(performance.now() - t);
  }
  const scrape: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await queryLogFigures(log, new Date());
    scrape.push(performance.now() - t);
  }
  return { name, add, feedback, scrape };
}

const results = [];
if (ONLY !== 'elasticsearch') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-bench-querylog-'));
  const log = SqliteQueryLog.inDataDir(dir);
  results.push(await measure('sqlite', log));
  await log.drop();
  fs.rmSync(dir, { recursive: true, force: true });
}
if (ONLY !== 'sqlite') {
  const log = new ElasticsearchQueryLog({ url: ES_URL, index: `docqa-bench-${process.pid}` });
  try {
    results.push(await measure('elasticsearch', log));
  } finally {
    await log.drop();
    await log.close();
  }
}
console.log(`${RECORDS} asks recorded, ${Math.ceil(RECORDS / 10)} judged; milliseconds`);
console.log('store           add p50   add p95   feedback p50   scrape read p50   scrape p95');
for (const r of results) {
  console.log(
    `${r.name.padEnd(14)}  ${pct(r.add, 50).toFixed(2).padStart(7)}   ${pct(r.add, 95).toFixed(2).padStart(7)}   ${pct(r.feedback, 50).toFixed(2).padStart(12)}   ${pct(r.scrape, 50).toFixed(2).padStart(15)}   ${pct(r.scrape, 95).toFixed(2).padStart(10)}`,
  );
}
if (results.length === 2) {
  const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
  console.log(`elasticsearch / sqlite: add p50 x${(pct(b.add, 50) / pct(a.add, 50)).toFixed(1)}, scrape read p50 x${(pct(b.scrape, 50) / pct(a.scrape, 50)).toFixed(1)}`);
}
