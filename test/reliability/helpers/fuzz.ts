/**
 * A seeded mutation fuzzer for hostile files (issue 16 §4): small real PDF, DOCX, HTML, Markdown and text seeds,
 * mutated by a PRNG that is a pure function of (seed, case index), so any case can be rebuilt alone with
 * `fuzzCase(seeds, seed, index)`. Each case goes through the ingestor's conversion (a Conversion: worker threads
 * with a per-file time and heap limit) and then prepareDocument, as Ingestor.ingest does, and is classified as
 * `ok`, a named failure kind (documents/failure.ts), or a violation (an unnamed throw, the `internal` kind, or a
 * success with insane text).
 */
import { performance } from 'node:perf_hooks';
import { FAILURE_KINDS, failureKindOf } from '../../../src/documents/failure.js';
import { prepareDocument } from '../../../src/documents/prepare.js';
import { PiecedText } from '../../../src/documents/pieced-text.js';
import type { Conversion } from '../../../src/ingest/conversion.js';
import { errorMessage } from '../../../src/errors.js';
import { prng } from '../../../src/eval/stats.js';
import { renderDocx, renderPdf, squadArticle } from '../../fixtures/documents/render.js';
import { makeZip, readZipEntries } from '../../fixtures/documents/zip.js';

export interface FuzzSeed {
  name: string;
  /** The converter format (as the ingestor passes it). */
  format: 'pdf' | 'docx' | 'html' | 'markdown' | 'text';
  data: Buffer;
}

export interface FuzzCase {
  index: number;
  seed: string;
  name: string;
  format: FuzzSeed['format'];
  mutations: string[];
  data: Buffer;
}

// ---- PRNG ----

class Rng {
  private readonly next: () => number;
  constructor(seed: number, index: number) {
    // mix seed and index so neighbouring cases are unrelated
    this.next = prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  }
  float(): number {
    return this.next();
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

// ---- seeds ----

function fixedDocx(docx: Buffer): Buffer {
  // the docx library stamps the current time into docProps/core.xml; fix it so the seed is byte-reproducible
  return makeZip(
    readZipEntries(docx).map((e) => ({
      name: e.name,
      data:
        e.name === 'docProps/core.xml'
          ? Buffer.from(e.data.toString('utf8').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/gu, '2024-01-01T00:00:00Z'))
          : e.data,
    })),
  );
}

/** Small seeds (a few KiB each) so a case costs milliseconds: the mutations, not the size, make them hostile. */
export async function fuzzSeeds(): Promise<FuzzSeed[]> {
  const paragraphs = squadArticle('Normans').paragraphs.slice(0, 2);
  const pdf = Buffer.from((await renderPdf(paragraphs, { title: 'The Normans', footer: (n) => `${n}` })).bytes);
  const docx = fixedDocx(
    await renderDocx({ title: 'The Normans', sections: [{ heading: 'Origins', paragraphs }], table: [['a', 'b'], ['c', 'd']] }),
  );
  const html = Buffer.from(
    `<!doctype html><html><head><meta charset="utf-8"><title>The Normans</title></head><body><h1>The Normans</h1>` +
      paragraphs.map((p) => `<p>${p}</p>`).join('') +
      `<table><tr><td>a</td><td>b</td></tr></table><script>var x = "<p>not text</p>";</script></body></html>`,
  );
  const markdown = Buffer.from(`# The Normans\n\n## Origins\n\n${paragraphs.join('\n\n')}\n\n- one\n- two\n`);
  const text = Buffer.from(`The Normans\n\n${paragraphs.join('\n\n')}\n`);
  return [
    { name: 'normans.pdf', format: 'pdf', data: pdf },
    { name: 'normans.docx', format: 'docx', data: docx },
    { name: 'normans.html', format: 'html', data: html },
    { name: 'normans.md', format: 'markdown', data: markdown },
    { name: 'normans.txt', format: 'text', data: text },
  ];
}

// ---- mutations ----

type Mutator = (data: Buffer, rng: Rng) => Buffer;

const generic: Record<string, Mutator> = {
  bitflip(d, r) {
    const out = Buffer.from(d);
    const n = 1 + r.int(16);
    for (let i = 0; i < n && out.length > 0; i++) out[r.int(out.length)]! ^= 1 << r.int(8);
    return out;
  },
  truncate(d, r) {
    return d.subarray(0, r.int(d.length));
  },
  duplicateRange(d, r) {
    const start = r.int(d.length);
    const end = Math.min(d.length, start + 1 + r.int(512));
    const times = 1 + r.int(r.float() < 0.1 ? 200 : 4);
    const chunk = d.subarray(start, end);
    return Buffer.concat([d.subarray(0, end), ...Array.from({ length: times }, () => chunk), d.subarray(end)]);
  },
  removeRange(d, r) {
    const start = r.int(d.length);
    return Buffer.concat([d.subarray(0, start), d.subarray(Math.min(d.length, start + 1 + r.int(1024)))]);
  },
  insertRandom(d, r) {
    const at = r.int(d.length + 1);
    const junk = Buffer.alloc(1 + r.int(64));
    for (let i = 0; i < junk.length; i++) junk[i] = r.int(256);
    return Buffer.concat([d.subarray(0, at), junk, d.subarray(at)]);
  },
  empty() {
    return Buffer.alloc(0);
  },
};

function insertAt(d: Buffer, at: number, bytes: Buffer): Buffer {
  return Buffer.concat([d.subarray(0, at), bytes, d.subarray(at)]);
}

/** Text-level attacks on encodings: invalid UTF-8, CESU-8 lone surrogates, NULs, BOM games, overlong forms. */
const encoding: Record<string, Mutator> = {
  invalidUtf8(d, r) {
    const bad = r.pick([[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
    return insertAt(d, r.int(d.length + 1), Buffer.from(bad));
  },
  loneSurrogate(d, r) {
    // a UTF-16 surrogate encoded on its own in (CESU-8 style) UTF-8 bytes, or as a UTF-16LE code unit
    const bad = r.pick([[0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0x00, 0xd8], [0xff, 0xdf]]);
    return insertAt(d, r.int(d.length + 1), Buffer.from(bad));
  },
  nuls(d, r) {
    const out = Buffer.from(d);
    const n = 1 + r.int(r.float() < 0.2 ? out.length : 8);
    for (let i = 0; i < n && out.length > 0; i++) out[r.int(out.length)] = 0;
    return out;
  },
  bomGames(d, r) {
    const bom = r.pick([
      [0xef, 0xbb, 0xbf],
      [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf],
      [0xff, 0xfe],
      [0xfe, 0xff],
      [0xff, 0xfe, 0x00, 0x00],
      [0x00, 0x00, 0xfe, 0xff],
      [0xef, 0xbb],
    ]);
    const body = r.float() < 0.3 && bom[0] === 0xff ? Buffer.from(d.toString('latin1'), 'utf16le').subarray(0, d.length * 2 - r.int(2)) : d;
    return Buffer.concat([Buffer.from(bom), body]);
  },
  overlong(d, r) {
    return insertAt(d, r.int(d.length + 1), Buffer.from(r.pick([[0xc0, 0xbc], [0xe0, 0x80, 0xbc], [0xc0, 0x80]])));
  },
};

function nestingDepth(r: Rng): number {
  return r.pick([100, 1_000, 10_000, 50_000]);
}

const html: Record<string, Mutator> = {
  deepNesting(d, r) {
    const depth = nestingDepth(r);
    const tag = r.pick(['div', 'b', 'table', 'ul', 'span']);
    const closed = r.float() < 0.5;
    const nest = `<${tag}>`.repeat(depth) + 'deep text' + (closed ? `</${tag}>`.repeat(depth) : '');
    const s = d.toString('latin1');
    const at = s.indexOf('<body>');
    return Buffer.from(at < 0 ? nest + s : s.slice(0, at + 6) + nest + s.slice(at + 6), 'latin1');
  },
  manyAttributes(d, r) {
    const attrs = Array.from({ length: 1 + r.int(20_000) }, (_, i) => ` a${i}="${'x'.repeat(r.int(4))}"`).join('');
    return Buffer.from(d.toString('latin1').replace('<p>', `<p${attrs}>`), 'latin1');
  },
  unclosed(d) {
    return Buffer.from(d.toString('latin1').replace(/<\/[a-z0-9]+>/gu, ''), 'latin1');
  },
  entities(d, r) {
    const ent = r.pick(['&#0;', '&#xD800;', '&#x110000;', '&#99999999999;', '&amp;'.repeat(5000), '&nosuch;', '&#xDFFF;&#xD800;']);
    return Buffer.from(d.toString('latin1').replace('<p>', `<p>${ent}`), 'latin1');
  },
  charsetLie(d, r) {
    return Buffer.from(d.toString('latin1').replace('utf-8', r.pick(['utf-16', 'x-nonsense', 'utf-7', 'shift_jis', ''])), 'latin1');
  },
};

const markdown: Record<string, Mutator> = {
  deepNesting(d, r) {
    const depth = nestingDepth(r);
    const nest = r.pick(['>', '- ', '*', '[', '#'.repeat(7)]).repeat(depth);
    return insertAt(d, r.int(d.length + 1), Buffer.from(`\n${nest} deep\n`));
  },
  longLine(d, r) {
    return insertAt(d, r.int(d.length + 1), Buffer.from('x'.repeat(r.pick([10_000, 200_000]))));
  },
};

/** PDF structure edits: huge MediaBox / page counts, removed or duplicated objects, deep arrays, broken xref. */
const pdf: Record<string, Mutator> = {
  hugeMediaBox(d, r) {
    const v = r.pick(['1e9', '99999999', '-1e9', '0', '3.4e38', '14400', 'NaN']);
    return Buffer.from(d.toString('latin1').replace(/\/MediaBox\s*\[[^\]]*\]/gu, `/MediaBox [0 0 ${v} ${v}]`), 'latin1');
  },
  hugeCount(d, r) {
    const v = r.pick(['1000000000', '2147483647', '-1', '0', '99999', '1e10']);
    return Buffer.from(d.toString('latin1').replace(/\/Count\s+\d+/gu, `/Count ${v}`), 'latin1');
  },
  removeObject(d, r) {
    const s = d.toString('latin1');
    const objs = [...s.matchAll(/\d+ 0 obj[\s\S]*?endobj\s*/gu)];
    if (objs.length === 0) return d;
    const m = r.pick(objs);
    return Buffer.from(s.slice(0, m.index) + s.slice(m.index! + m[0].length), 'latin1');
  },
  duplicateObject(d, r) {
    const s = d.toString('latin1');
    const objs = [...s.matchAll(/\d+ 0 obj[\s\S]*?endobj\s*/gu)];
    if (objs.length === 0) return d;
    const m = r.pick(objs);
    const at = m.index! + m[0].length;
    return Buffer.from(s.slice(0, at) + m[0].repeat(1 + r.int(50)) + s.slice(at), 'latin1');
  },
  selfReference(d, r) {
    // point a page's /Parent or the catalog's /Pages at itself: a reference cycle
    const s = d.toString('latin1');
    const objs = [...s.matchAll(/(\d+) 0 obj/gu)];
    if (objs.length === 0) return d;
    const id = r.pick(objs)[1]!;
    return Buffer.from(s.replace(/\/(Parent|Pages|Kids \[)\s*\d+ 0 R/u, (_m, key: string) => `/${key} ${id} 0 R`), 'latin1');
  },
  deepArrays(d, r) {
    const depth = nestingDepth(r);
    const s = d.toString('latin1');
    return Buffer.from(s.replace(/\/MediaBox/u, `/Junk ${'['.repeat(depth)}${']'.repeat(r.float() < 0.5 ? depth : 0)} /MediaBox`), 'latin1');
  },
  brokenXref(d, r) {
    const s = d.toString('latin1');
    return Buffer.from(s.replace(/startxref\s+\d+/u, `startxref ${r.pick(['0', '999999999', '-5', String(r.int(s.length))])}`), 'latin1');
  },
  streamLength(d, r) {
    return Buffer.from(d.toString('latin1').replace(/\/Length\s+\d+/u, `/Length ${r.pick(['0', '2147483647', '-1', '99999999'])}`), 'latin1');
  },
};

/** DOCX (ZIP) tampering: corrupt or drop entries, lie about sizes, deeply nested XML. */
const docx: Record<string, Mutator> = {
  dropDocumentXml(d) {
    return makeZip(readZipEntries(d).filter((e) => e.name !== 'word/document.xml'));
  },
  corruptEntry(d, r) {
    const entries = readZipEntries(d);
    const e = r.pick(entries);
    const data = Buffer.from(e.data);
    for (let i = 0; i < 1 + r.int(32) && data.length > 0; i++) data[r.int(data.length)] = r.int(256);
    return makeZip(entries.map((x) => (x === e ? { name: x.name, data } : x)));
  },
  truncateEntry(d, r) {
    const entries = readZipEntries(d);
    const e = r.pick(entries);
    return makeZip(entries.map((x) => (x === e ? { name: x.name, data: x.data.subarray(0, r.int(x.data.length)) } : x)));
  },
  hugeDeclaredSize(d, r) {
    const entries = readZipEntries(d);
    const e = r.pick(entries);
    const size = r.pick([0, 1, 0x7fffffff, 0xfffffffe, e.data.length * 1000]);
    return makeZip(entries.map((x) => (x === e ? { ...x, declaredSize: size } : x)));
  },
  deepXml(d, r) {
    const depth = nestingDepth(r);
    const entries = readZipEntries(d);
    return makeZip(
      entries.map((x) => {
        if (x.name !== 'word/document.xml') return x;
        const s = x.data.toString('utf8');
        const tag = r.pick(['w:r', 'w:tbl', 'w:sdt', 'w:p', 'w:x']);
        const nest = `<${tag}>`.repeat(depth) + '<w:t>deep</w:t>' + (r.float() < 0.7 ? `</${tag}>`.repeat(depth) : '');
        return { name: x.name, data: Buffer.from(s.replace('<w:body>', `<w:body>${nest}`)) };
      }),
    );
  },
  xmlEntityBomb(d) {
    const entries = readZipEntries(d);
    return makeZip(
      entries.map((x) => {
        if (x.name !== 'word/document.xml') return x;
        const decl =
          '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">' +
          '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>';
        const s = x.data.toString('utf8').replace(/(<\?xml[^>]*\?>)/u, `$1${decl}`);
        return { name: x.name, data: Buffer.from(s.replace('<w:t', '<w:t>&e;</w:t><w:t')) };
      }),
    );
  },
  invalidXmlEncoding(d, r) {
    const entries = readZipEntries(d);
    return makeZip(
      entries.map((x) => {
        if (x.name !== 'word/document.xml') return x;
        const mutate = r.pick(Object.values(encoding));
        return { name: x.name, data: mutate(x.data, r) };
      }),
    );
  },
  manyEntries(d, r) {
    const extra = Array.from({ length: r.pick([100, 5_000, 12_000]) }, (_, i) => ({ name: `junk/${i}.xml`, data: Buffer.from('<a/>') }));
    return makeZip([...readZipEntries(d), ...extra]);
  },
  notAZip(d) {
    return Buffer.concat([Buffer.from('PK\x03\x04'), d.subarray(d.length >> 1)]);
  },
};

const BY_FORMAT: Record<FuzzSeed['format'], Record<string, Mutator>[]> = {
  pdf: [generic, pdf, pdf],
  docx: [generic, docx, docx],
  html: [generic, encoding, html],
  markdown: [generic, encoding, markdown],
  text: [generic, encoding, encoding],
};

/** Case `index` of a run with `seed`: a seed file and 1–3 mutations, reproducible from (seed, index) alone. */
export function fuzzCase(seeds: readonly FuzzSeed[], seed: number, index: number): FuzzCase {
  const r = new Rng(seed, index);
  const base = seeds[index % seeds.length]!;
  const families = BY_FORMAT[base.format];
  let data = base.data;
  const mutations: string[] = [];
  const count = 1 + r.int(3);
  for (let i = 0; i < count; i++) {
    const family = r.pick(families);
    const name = r.pick(Object.keys(family));
    try {
      data = family[name]!(data, r);
    } catch {
      // a structural mutation that needs a well-formed input (readZipEntries on an already broken zip): skip it
      continue;
    }
    mutations.push(name);
  }
  return { index, seed: base.name, name: base.name, format: base.format, mutations, data };
}

// ---- running ----

export type Outcome = 'ok' | (typeof FAILURE_KINDS)[number];

export interface CaseResult {
  index: number;
  outcome: Outcome;
  ms: number;
  /** Why the case breaks a property (an unnamed error, the internal kind, insane text); absent when it holds. */
  violation?: string;
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  outcomes: Record<string, number>;
  /** Counts per (seed file, outcome), e.g. "normans.pdf ok". */
  bySeed: Record<string, number>;
  maxCaseMs: number;
  maxCase: number;
  durationMs: number;
  rssMiB: { before: number; after: number; max: number };
  violations: { index: number; seed: string; mutations: string[]; violation: string }[];
  /** Cases stopped by the pool's limits (timeout, out_of_memory, converter_crashed): named, but worth a look. */
  stopped: { index: number; seed: string; mutations: string[]; outcome: Outcome; ms: number }[];
}

/** The properties of a successful conversion: text a string, pages ordered and inside it, preparable into passages. */
function insanity(doc: Awaited<ReturnType<Conversion['convert']>>, name: string): string | undefined {
  // a big text comes back as a PiecedText (conversion.ts), any other as a string
  const text = typeof doc.text === 'string' ? doc.text : doc.text instanceof PiecedText ? doc.text.toString() : undefined;
  if (text === undefined) return 'text is not a string';
  let prev = 0;
  for (const p of doc.pages) {
    if (!(p.charStart >= prev && p.charEnd >= p.charStart && p.charEnd <= doc.text.length)) {
      return `page ${p.number} range ${p.charStart}..${p.charEnd} outside 0..${doc.text.length} or out of order`;
    }
    prev = p.charStart;
  }
  for (const h of doc.headings) if (!(h.charStart >= 0 && h.charStart <= doc.text.length)) return `heading at ${h.charStart} outside the text`;
  try {
    prepareDocument({ ...doc, text }, { name, source: name }, { format: 'x' }, { words: 120, overlap: 20 });
  } catch (err) {
    return `prepareDocument threw: ${errorMessage(err)}`;
  }
  return undefined;
}

const MiB = 1024 * 1024;

export async function runFuzz(opts: {
  conversion: Conversion;
  seeds: readonly FuzzSeed[];
  seed: number;
  cases: number;
  /** Cases in flight at once (match the conversion's concurrency). */
  parallel: number;
  onCase?: (c: FuzzCase, r: CaseResult) => void;
}): Promise<{ summary: FuzzSummary; results: CaseResult[] }> {
  const started = performance.now();
  const rssBefore = process.memoryUsage.rss();
  let rssMax = rssBefore;
  const results: CaseResult[] = [];
  const summary: FuzzSummary = {
    seed: opts.seed,
    cases: opts.cases,
    outcomes: {},
    bySeed: {},
    maxCaseMs: 0,
    maxCase: -1,
    durationMs: 0,
    rssMiB: { before: 0, after: 0, max: 0 },
    violations: [],
    stopped: [],
  };
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < opts.cases) {
      const c = fuzzCase(opts.seeds, opts.seed, next++);
      const t0 = performance.now();
      let outcome: Outcome;
      let violation: string | undefined;
      try {
        const doc = await opts.conversion.convert({ data: c.data, name: c.name, format: c.format });
        violation = insanity(doc, c.name);
        outcome = 'ok';
      } catch (err) {
        outcome = failureKindOf(err);
        if (outcome === 'internal') violation = `unnamed failure: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
      }
      const r: CaseResult = { index: c.index, outcome, ms: performance.now() - t0, ...(violation ? { violation } : {}) };
      results.push(r);
      summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
      summary.bySeed[`${c.seed} ${outcome}`] = (summary.bySeed[`${c.seed} ${outcome}`] ?? 0) + 1;
      if (r.ms > summary.maxCaseMs) {
        summary.maxCaseMs = r.ms;
        summary.maxCase = c.index;
      }
      if (outcome === 'timeout' || outcome === 'out_of_memory' || outcome === 'converter_crashed') {
        summary.stopped.push({ index: c.index, seed: c.seed, mutations: c.mutations, outcome, ms: Math.round(r.ms) });
      }
      if (violation) summary.violations.push({ index: c.index, seed: c.seed, mutations: c.mutations, violation });
      rssMax = Math.max(rssMax, process.memoryUsage.rss());
      opts.onCase?.(c, r);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, one));
  const rssAfter = process.memoryUsage.rss();
  summary.durationMs = performance.now() - started;
  summary.rssMiB = {
    before: Math.round(rssBefore / MiB),
    after: Math.round(rssAfter / MiB),
    max: Math.round(Math.max(rssMax, rssAfter) / MiB),
  };
  return { summary, results };
}

/** A short, readable summary for the test log and docs. */
export function formatSummary(s: FuzzSummary): string {
  const outcomes = Object.entries(s.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `fuzz seed=${s.seed} cases=${s.cases} in ${(s.durationMs / 1000).toFixed(1)} s`,
    `outcomes: ${outcomes}`,
    `max case time: ${Math.round(s.maxCaseMs)} ms (case ${s.maxCase})`,
    `parent RSS MiB: before=${s.rssMiB.before} after=${s.rssMiB.after} max=${s.rssMiB.max}`,
    `stopped by the pool's limits: ${s.stopped.length}`,
    ...s.stopped.slice(0, 20).map((v) => `  case ${v.index} (${v.seed}: ${v.mutations.join('+')}): ${v.outcome} after ${v.ms} ms`),
    `violations: ${s.violations.length}`,
    ...s.violations.slice(0, 20).map((v) => `  case ${v.index} (${v.seed}: ${v.mutations.join('+')}): ${v.violation}`),
  ].join('\n');
}
