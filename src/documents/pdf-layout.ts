/**
 * Turns the positioned text items of PDF pages into page texts in reading order. Pure: items in, text out.
 *
 * - Rows: items on the same baseline, left to right, with a space wherever the gap between two items is wider
 *   than a fraction of the font size and neither side brings its own.
 * - Running headers and footers: rows near the top or bottom edge whose text (digits ignored, so "Page 3 of 9"
 *   matches "Page 4 of 9") repeats at the same height on at least 40% of the pages (and on two or more) are
 *   dropped, unless they are all the text of their page (a page of one line keeps it).
 * - Two columns: a vertical gutter that no row crosses, with text on both sides in enough rows, splits each
 *   block of rows into its left column, then its right column. Rows that cross the gutter (a title, a wide
 *   figure caption) are kept whole and end the block above them. This does not depend on the order of the
 *   content stream, so it also fixes producers that write both columns line by line.
 * - Paragraphs: a vertical gap clearly wider than the usual line spacing becomes a blank line.
 * - Hyphenation: a word broken with a hyphen at the end of a line is joined again ("hyphen-\nation" →
 *   "hyphenation") unless the hyphenated form occurs elsewhere in the document ("well-\nknown" stays
 *   "well-known"), and a hyphen before a capital stays ("Anglo-\nSaxon" → "Anglo-Saxon"); soft hyphens (U+00AD)
 *   at line ends are always joined. A word broken across a page break is
 *   joined on the page where it starts.
 * - Form feeds and other control characters inside items become spaces.
 */

/** One text item as pdf.js reports it, in page coordinates with y growing downwards (y = baseline). */
export interface PdfTextItem {
  text: string;
  x: number;
  y: number;
  width: number;
  /** Font size (the item's height). */
  height: number;
}

export interface PdfPageItems {
  /** 1-based. */
  number: number;
  width: number;
  height: number;
  items: PdfTextItem[];
}

export interface PdfPageText {
  number: number;
  text: string;
  /** Running header/footer rows dropped from this page. */
  droppedRows: string[];
  /** Whether a two-column layout was detected (and reordered). */
  columns: 1 | 2;
}

interface Row {
  y: number;
  size: number;
  items: PdfTextItem[];
  x0: number;
  x1: number;
}

/** Fraction of the page height, from the top and from the bottom, where running headers and footers live. */
const EDGE_BAND = 0.15;
/** Rows per edge examined as header/footer candidates. */
const EDGE_ROWS = 2;
const REPEAT_SHARE = 0.4;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu;

function cleanItemText(s: string): string {
  return s.replace(CONTROL, ' ').replace(/\t|\n/gu, ' ');
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Groups items into rows by baseline (within 40% of the font size), top to bottom, items left to right. */
export function rowsOf(items: PdfTextItem[]): Row[] {
  const visible = items
    .map((it) => ({ ...it, text: cleanItemText(it.text) }))
    .filter((it) => it.text.trim().length > 0);
  visible.sort((a, b) => a.y - b.y || a.x - b.x);
  const rows: Row[] = [];
  for (const it of visible) {
    const size = it.height > 0 ? it.height : 10;
    const row = rows.at(-1);
    if (row && Math.abs(it.y - row.y) <= 0.4 * Math.min(size, row.size)) {
      row.items.push(it);
      row.x0 = Math.min(row.x0, it.x);
      row.x1 = Math.max(row.x1, it.x + it.width);
      row.size = Math.max(row.size, size);
    } else {
      rows.push({ y: it.y, size, items: [it], x0: it.x, x1: it.x + it.width });
    }
  }
  for (const r of rows) r.items.sort((a, b) => a.x - b.x);
  return rows;
}

/** The text of items on one line, with spaces where the gaps between them are wide enough. */
function lineText(items: PdfTextItem[]): string {
  let out = '';
  let prevEnd: number | null = null;
  for (const it of items) {
    const size = it.height > 0 ? it.height : 10;
    if (prevEnd !== null && out.length > 0 && !/\s$/u.test(out) && !/^\s/u.test(it.text) && it.x - prevEnd > 0.15 * size) {
      out += ' ';
    }
    out += it.text;
    prevEnd = it.x + it.width;
  }
  return out.replace(/[^\S\n]+/gu, ' ').trim();
}

/** Header/footer key: case, digits and spacing ignored. */
function runningKey(row: Row): string {
  return lineText(row.items).toLowerCase().replace(/\d+/gu, '#').replace(/\s+/gu, ' ').trim();
}

/**
 * Header/footer candidates: the first (last) one or two rows of a page, if they lie in the edge band and are set
 * apart from the body below (above) them by a gap wider than the usual line spacing.
 */
function edgeRows(rows: Row[], pageHeight: number): Row[] {
  const gaps: number[] = [];
  for (let i = 1; i < rows.length; i++) gaps.push(rows[i]!.y - rows[i - 1]!.y);
  const spacing = median(gaps.filter((g) => g > 0));
  const apart = (a: Row, b: Row | undefined) => !b || Math.abs(b.y - a.y) > Math.max(spacing * 1.5, a.size * 1.5);
  const block = (ordered: Row[], inBand: (r: Row) => boolean): Row[] => {
    for (let k = Math.min(EDGE_ROWS, ordered.length); k >= 1; k--) {
      const candidates = ordered.slice(0, k);
      if (candidates.every(inBand) && apart(candidates[k - 1]!, ordered[k])) return candidates;
    }
    return [];
  };
  const top = block(rows, (r) => r.y <= pageHeight * EDGE_BAND);
  const bottom = block([...rows].reverse(), (r) => r.y >= pageHeight * (1 - EDGE_BAND)).filter((r) => !top.includes(r));
  // A header or footer runs above or below a body: a page whose rows are all edge rows (one line near the top of
  // each page, a title slide) has no body, and its rows are its text, not running furniture.
  if (top.length + bottom.length >= rows.length) return [];
  return [...top, ...bottom];
}

/**
 * Rows that repeat near the top or bottom edge of enough pages, as key → the usual baseline of that row. A row
 * is running only at (about) that baseline, so a title that happens to equal the running header is kept.
 */
export function runningRows(pages: { height: number; rows: Row[] }[]): Map<string, number> {
  const seen = new Map<string, number[]>();
  for (const page of pages) {
    const onPage = new Map<string, number>();
    for (const r of edgeRows(page.rows, page.height)) {
      const k = runningKey(r);
      if (k.length > 0 && !onPage.has(k)) onPage.set(k, r.y);
    }
    for (const [k, y] of onPage) seen.set(k, [...(seen.get(k) ?? []), y]);
  }
  const needed = Math.max(2, Math.ceil(pages.length * REPEAT_SHARE));
  return new Map([...seen].filter(([, ys]) => ys.length >= needed).map(([k, ys]) => [k, median(ys)]));
}

function isRunning(row: Row, running: Map<string, number>): boolean {
  const y = running.get(runningKey(row));
  return y !== undefined && Math.abs(row.y - y) <= Math.max(4, row.size * 0.5);
}

/** The largest page width or height PDF allows, in default user-space units (ISO 32000-1, annex C). */
const MAX_PAGE_UNITS = 14_400;

/**
 * A vertical gutter splitting the page into two columns, or null. The gutter is the widest x-interval in the
 * middle half of the text's width that no item overlaps, except in rows that cross it (at most a quarter of
 * the rows); at least a quarter of the rows must have text left of it and a quarter right of it.
 */
export function findGutter(rows: Row[]): number | null {
  if (rows.length < 4) return null;
  const x0 = Math.min(...rows.map((r) => r.x0));
  const x1 = Math.max(...rows.map((r) => r.x1));
  const span = x1 - x0;
  // text wider than the largest page PDF allows (14,400 units) has hostile or broken positions: no column split,
  // rather than one bin per unit of that width (a span of 1e83 threw a RangeError; one of 1e8 would fill and scan
  // 5e7 bins per row, in typed arrays outside the worker's heap limit)
  if (!(span > 0) || span > MAX_PAGE_UNITS) return null;
  const lo = Math.floor(x0 + span * 0.25);
  const hi = Math.ceil(x0 + span * 0.75);
  const bins = hi - lo;
  const crossing = new Uint32Array(bins);
  for (const r of rows) {
    const touched = new Uint8Array(bins);
    for (const it of r.items) {
      const a = Math.max(0, Math.floor(it.x) - lo);
      const b = Math.min(bins, Math.ceil(it.x + it.width) - lo);
      for (let i = a; i < b; i++) touched[i] = 1;
    }
    for (let i = 0; i < bins; i++) crossing[i]! += touched[i]!;
  }
  const allowed = Math.floor(rows.length * 0.25);
  const em = median(rows.map((r) => r.size));
  let best: { start: number; end: number } | null = null;
  for (let i = 0; i < bins; ) {
    if (crossing[i]! > allowed) {
      i++;
      continue;
    }
    let j = i;
    while (j < bins && crossing[j]! <= allowed) j++;
    if (!best || j - i > best.end - best.start) best = { start: i, end: j };
    i = j;
  }
  if (!best || best.end - best.start < Math.max(6, 0.8 * em)) return null;
  // the gutter's centre is where the fewest rows cross; ties go to the middle of the clear run
  let minCross = Infinity;
  for (let i = best.start; i < best.end; i++) minCross = Math.min(minCross, crossing[i]!);
  const clear: number[] = [];
  for (let i = best.start; i < best.end; i++) if (crossing[i] === minCross) clear.push(i);
  const gutter = lo + clear[Math.floor(clear.length / 2)]! + 0.5;
  // both columns must carry text in enough rows (their baselines need not line up)
  const leftRows = rows.filter((r) => r.items.some((it) => it.x + it.width <= gutter)).length;
  const rightRows = rows.filter((r) => r.items.some((it) => it.x >= gutter)).length;
  const enough = Math.max(2, rows.length * 0.25);
  return leftRows >= enough && rightRows >= enough ? gutter : null;
}

interface Line {
  y: number;
  size: number;
  text: string;
  /** Lines of one column block share a group; a new group starts a new paragraph. */
  group: number;
}

/** Lines in reading order: blocks of left-column rows then right-column rows, split by rows crossing the gutter. */
function readingOrder(rows: Row[], gutter: number | null): Line[] {
  const line = (r: Row, items: PdfTextItem[], group: number): Line => ({
    y: r.y,
    size: r.size,
    text: lineText(items),
    group,
  });
  if (gutter === null) return rows.map((r) => line(r, r.items, 0));
  const out: Line[] = [];
  let group = 0;
  let left: Line[] = [];
  let right: Line[] = [];
  const flush = () => {
    if (left.length > 0) out.push(...left.map((l) => ({ ...l, group })));
    if (left.length > 0) group++;
    if (right.length > 0) out.push(...right.map((l) => ({ ...l, group })));
    if (right.length > 0) group++;
    left = [];
    right = [];
  };
  for (const r of rows) {
    const crosses = r.items.some((it) => it.x < gutter && it.x + it.width > gutter);
    if (crosses) {
      flush();
      out.push(line(r, r.items, group++));
      continue;
    }
    const l = r.items.filter((it) => it.x + it.width <= gutter);
    const rt = r.items.filter((it) => it.x >= gutter);
    if (l.length > 0) left.push(line(r, l, 0));
    if (rt.length > 0) right.push(line(r, rt, 0));
  }
  flush();
  return out;
}

/** Joins lines into text: "\n" within a paragraph, "\n\n" between paragraphs (wide gaps or new blocks). */
function joinLines(lines: Line[]): string {
  const spacings: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const gap = lines[i]!.y - lines[i - 1]!.y;
    if (lines[i]!.group === lines[i - 1]!.group && gap > 0) spacings.push(gap);
  }
  const usual = median(spacings);
  let text = '';
  lines.forEach((l, i) => {
    if (l.text.length === 0) return;
    if (text.length > 0) {
      const prev = lines[i - 1]!;
      const gap = l.y - prev.y;
      const paragraph = l.group !== prev.group || (usual > 0 && gap > usual * 1.6) || gap > l.size * 2.5;
      text += paragraph ? '\n\n' : '\n';
    }
    text += l.text;
  });
  return text;
}

/** Hyphenated forms that occur within lines (e.g. "well-known"), lower-cased: these keep their hyphen. */
function hyphenatedWords(texts: string[]): Set<string> {
  const words = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/\p{L}+(?:-\p{L}+)+/gu)) words.add(m[0].toLowerCase());
  }
  return words;
}

/**
 * Joins words hyphenated across line ends (see the module comment), also across a column break (where the line
 * break is a blank line: a paragraph does not end in the middle of a hyphenated word).
 */
export function dehyphenate(text: string, keepHyphen: Set<string>): string {
  return text
    .replace(/(\p{L})\u00ad\n\n?(\p{L})/gu, '$1$2')
    .replace(/(\p{L})-\n\n?(\p{Lu})/gu, '$1-$2') // "Anglo-\nSaxon": a real hyphen, the line break goes
    .replace(/(\p{L}+)-\n\n?(\p{Ll}\p{L}*)/gu, (whole, head: string, tail: string) => {
      const hyphenated = `${head}-${tail}`.toLowerCase();
      return keepHyphen.has(hyphenated) ? `${head}-${tail}` : `${head}${tail}`;
    });
}

/** Page texts in reading order, with running headers/footers dropped and line-end hyphenation joined. */
export function layoutPages(pages: PdfPageItems[]): PdfPageText[] {
  const withRows = pages.map((p) => ({ ...p, rows: rowsOf(p.items) }));
  const running = runningRows(withRows);
  const laidOut = withRows.map((p) => {
    const droppedRows: string[] = [];
    const edges = new Set(edgeRows(p.rows, p.height));
    const body = p.rows.filter((r) => {
      const drop = edges.has(r) && isRunning(r, running);
      if (drop) droppedRows.push(lineText(r.items));
      return !drop;
    });
    const gutter = findGutter(body);
    return { number: p.number, text: joinLines(readingOrder(body, gutter)), droppedRows, columns: gutter === null ? 1 : 2 } as const;
  });
  const keep = hyphenatedWords(laidOut.map((p) => p.text.replace(/-\n\n?/gu, '-\u0000')));
  const pagesOut = laidOut.map((p) => ({ ...p, text: dehyphenate(p.text, keep) }));
  // a word hyphenated across a page break is joined on the page where it starts
  for (let i = 0; i + 1 < pagesOut.length; i++) {
    const cur = pagesOut[i]!;
    const next = pagesOut[i + 1]!;
    const head = /(\p{L}+)-$/u.exec(cur.text);
    const tail = /^(\p{Ll}\p{L}*)(\S*)\s*/u.exec(next.text);
    if (!head || !tail || keep.has(`${head[1]}-${tail[1]}`.toLowerCase())) continue;
    cur.text = cur.text.slice(0, -1) + tail[1] + tail[2];
    next.text = next.text.slice(tail[0].length);
  }
  return pagesOut;
}
