/**
 * HTML → plain text with the positions of its headings. Used for .html files and for the HTML that mammoth makes
 * of a DOCX. Pure: a string in, text out.
 *
 * - Block elements (p, div, li, h1–h6, blockquote...) become paragraphs separated by a blank line; list items
 *   and table rows are single lines; `br` is a line break.
 * - Tables become text, one row per line, cells separated by a tab.
 * - Whitespace inside a block collapses to single spaces, except in `pre` (or everywhere, with
 *   `preserveWhitespace`).
 * - script, style, template, head (except title), svg and similar are skipped; entities are decoded.
 */
import { Parser } from 'htmlparser2';
import type { Heading } from './converter.js';
import { nestingCounter } from './nesting.js';

export interface HtmlText {
  text: string;
  headings: Heading[];
  /** The <title>, when there is one. */
  title?: string;
}

const PARAGRAPH = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'nav', 'aside', 'blockquote', 'figure',
  'figcaption', 'address', 'dl', 'ul', 'ol', 'table', 'form', 'fieldset', 'details', 'summary', 'pre', 'hr',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'caption', 'body', 'center',
]);
const LINE = new Set(['li', 'tr', 'dt', 'dd', 'option']);
const CELL = new Set(['td', 'th']);
const SKIP = new Set(['script', 'style', 'template', 'noscript', 'svg', 'math', 'iframe', 'object', 'canvas', 'head', 'select']);
const HEADING = /^h([1-6])$/u;

type Break = '' | ' ' | '\t' | '\n' | '\n\n';
const STRENGTH: Record<Break, number> = { '': 0, ' ': 1, '\t': 2, '\n': 3, '\n\n': 4 };

export interface HtmlTextOptions {
  /**
   * Keep the whitespace of text nodes as it is instead of collapsing it: for generated HTML whose whitespace is
   * the document's own (mammoth's output of a DOCX), not source formatting.
   */
  preserveWhitespace?: boolean;
  /** The deepest element nesting parsed; deeper throws NestingTooDeepError (default MAX_NESTING_DEPTH). */
  maxDepth?: number;
}

export function htmlToText(html: string, options: HtmlTextOptions = {}): HtmlText {
  let text = '';
  /** The strongest separator requested since the last text: written only when more text follows. */
  let pending: Break = '';
  let skipDepth = 0;
  let preDepth = 0;
  let inTitle = false;
  let title = '';
  let heading: { level: number; charStart: number; text: string } | null = null;
  const headings: Heading[] = [];
  let cellInRow = 0;
  /** Inside a table cell, paragraphs (mammoth wraps cell text in <p>) only separate words. */
  let cellDepth = 0;

  const request = (b: Break) => {
    if (STRENGTH[b] > STRENGTH[pending]) pending = b;
  };
  const block = (b: Break) => request(cellDepth > 0 ? ' ' : b);
  const write = (s: string) => {
    if (s.length === 0) return;
    if (text.length > 0 && pending !== '') text += pending;
    pending = '';
    if (heading && heading.charStart < 0) heading.charStart = text.length;
    text += s;
    if (heading) heading.text += s;
  };

  const nesting = nestingCounter(options.maxDepth);
  const parser = new Parser(
    {
      onopentag(name) {
        nesting.open();
        if (name === 'title') inTitle = true;
        if (SKIP.has(name)) {
          skipDepth++;
          return;
        }
        if (skipDepth > 0) return;
        if (name === 'pre') preDepth++;
        if (PARAGRAPH.has(name)) block('\n\n');
        else if (LINE.has(name)) block('\n');
        if (name === 'tr') cellInRow = 0;
        if (CELL.has(name)) {
          if (cellInRow > 0) request('\t');
          cellInRow++;
          cellDepth++;
        }
        if (name === 'br') block('\n');
        const h = HEADING.exec(name);
        if (h) heading = { level: Number(h[1]), charStart: -1, text: '' };
      },
      ontext(raw) {
        if (inTitle) {
          title += raw;
          return;
        }
        if (skipDepth > 0) return;
        if (preDepth > 0 || options.preserveWhitespace) {
          const lines = raw.replace(/\r\n?/gu, '\n').split('\n');
          lines.forEach((line, i) => {
            if (i > 0) request('\n');
            write(line);
          });
          return;
        }
        const collapsed = raw.replace(/\s+/gu, ' ');
        const leading = collapsed.startsWith(' ');
        const trailing = collapsed.endsWith(' ') && collapsed.length > 1;
        const core = collapsed.trim();
        if (leading) request(' ');
        write(core);
        if (trailing || (collapsed === ' ' && core.length === 0)) request(' ');
      },
      onclosetag(name) {
        nesting.close();
        if (name === 'title') inTitle = false;
        if (SKIP.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth > 0) return;
        if (name === 'pre') preDepth = Math.max(0, preDepth - 1);
        if (CELL.has(name)) cellDepth = Math.max(0, cellDepth - 1);
        if (PARAGRAPH.has(name)) block('\n\n');
        else if (LINE.has(name)) block('\n');
        if (HEADING.test(name) && heading) {
          const t = heading.text.replace(/\s+/gu, ' ').trim();
          if (heading.charStart >= 0 && t.length > 0) headings.push({ charStart: heading.charStart, level: heading.level, text: t });
          heading = null;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  const t = title.replace(/\s+/gu, ' ').trim();
  return { text, headings, ...(t ? { title: t } : {}) };
}
