/**
 * The server side of the kill -9 harness (issue 16): a real `docqa serve` (dist/) takes concurrent uploads (text,
 * Markdown, HTML, DOCX; one file per request, several per request, JSON and raw bodies; a replacement of a document
 * under the same name) and is SIGKILLed at seeded moments; after each kill the store is inspected as in the CLI
 * harness (helpers/kill.ts: target, inspect), the server restarted and the same uploads sent again. A chain of kills
 * on one store ends with an uninterrupted run, exact counts, the orphan sweep's clean-up (Elasticsearch), and a
 * third upload of every file that changes nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderDocx } from '../../fixtures/documents/render.js';
import { startServer, stopServer } from '../../helpers/dist.js';
import { inspect, seeded, target, type StoreKind, type StoreState, type Target } from './kill.js';
import { wordyTexts } from './tmpfs.js';

/** How old an unfinished write must be before the restarted server's sweep deletes it (DOCQA_ES_ORPHAN_GRACE_MS). */
export const GRACE_MS = 1000;

export interface UploadFile {
  name: string;
  data: Buffer;
  type: string;
}

/** One HTTP request: one file (multipart `file`, JSON or a raw text body) or several (multipart `files`). */
export type Upload =
  | { shape: 'file' | 'json' | 'raw'; file: UploadFile }
  | { shape: 'files'; files: UploadFile[] };

/** Requests in a stream go one after the other; the streams run concurrently. */
export type Workload = Upload[][];

export interface Corpus {
  /** Every upload, in streams: the killed runs and the rerun. */
  workload: Workload;
  /** The last version of each document, one request each: the third run, every reply `unchanged`. */
  final: Upload[];
  documents: number;
}

const md = (title: string, body: string) => `# ${title}\n\n## Part one\n\n${body}\n`;
const html = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>` +
  body
    .split('.\n')
    .map((p) => `<p>${p}</p>`)
    .join('') +
  '</body></html>';

/**
 * 9 documents in 4 concurrent streams: a 1.4 MiB text (about 1,000 passages: two Elasticsearch bulk requests, a long
 * SQLite transaction), a 400 KiB Markdown file uploaded and then replaced by another version under the same name,
 * two HTML pages and a DOCX in one multipart request, four small texts (multipart, JSON and raw bodies).
 */
export async function serverCorpus(): Promise<Corpus> {
  const [big, notesV1, notesV2, page0, page1, report, ...small] = [
    ...wordyTexts(1, 1400, 21),
    ...wordyTexts(2, 400, 22),
    ...wordyTexts(2, 60, 23),
    ...wordyTexts(1, 120, 24),
    ...wordyTexts(4, 16, 25),
  ];
  const file = (name: string, text: string, type: string): UploadFile => ({ name, data: Buffer.from(text), type });
  const docx = await renderDocx({
    title: 'Inspection report',
    sections: report!.split('.\n').reduce<{ heading: string; paragraphs: string[] }[]>((acc, p, i) => {
      if (i % 40 === 0) acc.push({ heading: `Section ${acc.length + 1}`, paragraphs: [] });
      acc[acc.length - 1]!.paragraphs.push(p);
      return acc;
    }, []),
  });
  const bigFile = file('big.txt', big!, 'text/plain');
  const notes2 = file('notes.md', md('Notes', notesV2!), 'text/markdown');
  const pages = [file('page-0.html', html('Page 0', page0!), 'text/html'), file('page-1.html', html('Page 1', page1!), 'text/html')];
  const reportFile: UploadFile = {
    name: 'report.docx',
    data: docx,
    type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  };
  const smalls = small.map((t, i) => file(`small-${i}.txt`, t, 'text/plain'));
  const shapes = ['file', 'json', 'raw', 'file'] as const;
  const smallUploads: Upload[] = smalls.map((f, i) => ({ shape: shapes[i]!, file: f }));
  return {
    workload: [
      [{ shape: 'file', file: bigFile }],
      [
        { shape: 'file', file: file('notes.md', md('Notes', notesV1!), 'text/markdown') },
        { shape: 'file', file: notes2 },
      ],
      [{ shape: 'files', files: [...pages, reportFile] }],
      smallUploads,
    ],
    final: [bigFile, notes2, ...pages, reportFile].map((f): Upload => ({ shape: 'file', file: f })).concat(smallUploads),
    documents: 9,
  };
}

/** A file's report in a reply (one per file of a `files` request). */
export interface FileReply {
  name: string;
  status: string;
}

/** Sends one upload; resolves with the HTTP status and the file reports, rejects when the connection dies. */
export async function send(url: string, upload: Upload): Promise<{ status: number; files: FileReply[] }> {
  let res: Response;
  if (upload.shape === 'json') {
    res = await fetch(`${url}/v1/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: upload.file.name, text: upload.file.data.toString('utf8') }),
    });
  } else if (upload.shape === 'raw') {
    res = await fetch(`${url}/v1/documents?name=${encodeURIComponent(upload.file.name)}`, {
      method: 'POST',
      headers: { 'content-type': upload.file.type },
      body: upload.file.data,
    });
  } else {
    const form = new FormData();
    const files = 'files' in upload ? upload.files : [upload.file];
    for (const f of files) form.append(upload.shape, new Blob([f.data], { type: f.type }), f.name);
    res = await fetch(`${url}/v1/documents`, { method: 'POST', body: form });
  }
  const body = (await res.json()) as { name?: string; status?: string; files?: FileReply[] };
  const files = body.files ?? [{ name: body.name ?? '?', status: body.status ?? `http ${res.status}` }];
  return { status: res.status, files };
}

export interface RunLog {
  /** Requests sent, and answered (any status). */
  sent: number;
  answered: number;
  /** HTTP statuses of the answered requests. */
  statuses: number[];
  files: FileReply[];
  /** Requests whose connection died (the kill), and why. */
  cut: number;
  errors: string[];
}

/** Runs the streams concurrently; a request cut by a kill ends its stream. */
export async function run(url: string, workload: Workload): Promise<RunLog> {
  const log: RunLog = { sent: 0, answered: 0, statuses: [], files: [], cut: 0, errors: [] };
  await Promise.all(
    workload.map(async (stream) => {
      for (const upload of stream) {
        log.sent++;
        try {
          const r = await send(url, upload);
          log.answered++;
          log.statuses.push(r.status);
          log.files.push(...r.files);
        } catch (err) {
          log.cut++;
          const cause = (err as { cause?: unknown }).cause;
          log.errors.push(`${String(err)}${cause ? ` (${String(cause)})` : ''}`);
          return;
        }
      }
    }),
  );
  return log;
}

interface Running {
  server: ChildProcess;
  url: string;
  output(): string;
}

async function start(t: Target): Promise<Running> {
  return startServer({ ...t.env, DOCQA_LOG_LEVEL: 'info', DOCQA_ES_ORPHAN_GRACE_MS: String(GRACE_MS), DOCQA_QUERY_LOG: 'false' });
}

/** Resolves with what the server's start-up sweep deleted, once it has finished. */
async function sweepDone(s: Running): Promise<{ passages: number; markers: number }> {
  for (;;) {
    const line = s
      .output()
      .split('\n')
      .find((l) => /leftovers of interrupted writes/u.test(l));
    if (line) {
      const { passages, markers } = JSON.parse(line) as { passages: number; markers: number };
      return { passages, markers };
    }
    if (s.server.exitCode !== null) throw new Error(`the server exited before its sweep ended: ${s.output()}`);
    await sleep(50);
  }
}

export interface KillPoint {
  killAtMs: number;
  /** Whether uploads were still running when the kill came (otherwise it is not a kill mid-upload). */
  killedWhileRunning: boolean;
  /** Requests answered before the kill, and cut by it. */
  answered: number;
  cut: number;
  /** HTTP statuses seen before the kill (never 5xx). */
  statuses: number[];
  afterKill: StoreState;
  /** Passages in the store that no committed document shows (Elasticsearch: leftovers of a write cut mid-way). */
  invisiblePassages: number;
}

export interface ChainResult {
  kind: StoreKind;
  kills: KillPoint[];
  rerun: RunLog;
  /** What the last server's start-up sweep deleted (it ran while the files were uploaded again). */
  swept: { passages: number; markers: number };
  afterRerun: StoreState;
  rawPassagesAfterRerun: number;
  third: RunLog;
}

/** Waits until `ms` have passed since `since` (performance.now()). */
const waitUntil = async (since: number, ms: number) => {
  const left = since + ms - performance.now();
  if (left > 0) await sleep(left);
};

/**
 * One chain on a fresh store: `killsAt.length` times start a server, send the workload, SIGKILL the server after
 * the given delay and inspect; then a server that runs to the end, its sweep, the inspection and a third run.
 * Each restart waits until GRACE_MS have passed since the kill, so that its sweep takes every write of the killed
 * server for dead, while every write of its own starts after the sweep's cut-off.
 */
export async function chain(kind: StoreKind, corpus: Corpus, killsAt: number[]): Promise<ChainResult> {
  const t = target(kind);
  try {
    const kills: KillPoint[] = [];
    let lastKill = -Infinity;
    for (const killAtMs of killsAt) {
      await waitUntil(lastKill, GRACE_MS);
      const s = await start(t);
      let done = false;
      const running = run(s.url, corpus.workload).then((log) => {
        done = true;
        return log;
      });
      await sleep(killAtMs);
      const killedWhileRunning = !done;
      const exited = new Promise((resolve) => s.server.once('exit', resolve));
      s.server.kill('SIGKILL');
      await exited;
      lastKill = performance.now();
      const log = await running;
      const afterKill = await inspect(t);
      kills.push({
        killAtMs,
        killedWhileRunning,
        answered: log.answered,
        cut: log.cut,
        statuses: log.statuses,
        afterKill,
        invisiblePassages: (await t.rawPassages()) - afterKill.passages,
      });
    }
    await waitUntil(lastKill, GRACE_MS);
    const s = await start(t);
    try {
      const rerun = await run(s.url, corpus.workload);
      const swept = await sweepDone(s);
      const afterRerun = await inspect(t);
      const rawPassagesAfterRerun = await t.rawPassages();
      const third = await run(s.url, [corpus.final]);
      return { kind, kills, rerun, swept, afterRerun, rawPassagesAfterRerun, third };
    } finally {
      await stopServer(s.server);
    }
  } finally {
    await t.dispose();
  }
}

/** An uninterrupted run on a fresh store: how long the uploads take, and the counts every chain must end with. */
export async function serverReference(kind: StoreKind, corpus: Corpus): Promise<{ ms: number; log: RunLog; state: StoreState }> {
  const t = target(kind);
  try {
    const s = await start(t);
    try {
      const started = performance.now();
      const log = await run(s.url, corpus.workload);
      const ms = performance.now() - started;
      await sweepDone(s);
      return { ms, log, state: await inspect(t) };
    } finally {
      await stopServer(s.server);
    }
  } finally {
    await t.dispose();
  }
}

/** Kill delays for one chain: seeded, spread over the reference upload time (5 % .. 95 %). */
export function killDelays(random: ReturnType<typeof seeded>, count: number, referenceMs: number): number[] {
  return Array.from({ length: count }, () => Math.round((0.05 + 0.9 * random()) * referenceMs));
}
