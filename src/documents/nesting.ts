/**
 * A bound on element nesting before a parser builds a tree of it (issue 16: HTML and DOCX files nested 50,000
 * elements deep held a conversion worker until its time limit; htmlparser2 keeps its open elements in an array
 * it shifts at every tag, and mammoth walks the XML tree recursively). HTML is counted while htmlToText parses it;
 * the XML parts of a DOCX are counted by a streaming pass before mammoth reads them. The count stops at the limit,
 * so the check costs the file's length times at most the limit.
 */
import { Parser } from 'htmlparser2';
import { MAX_NESTING_DEPTH } from '../config.js';
import { UnreadableDocumentError } from './failure.js';

/** Thrown by the parsers' callbacks as soon as the nesting goes past the limit. */
export class NestingTooDeepError extends Error {
  constructor(readonly limit: number) {
    super(`elements nested more than ${limit} deep`);
    this.name = 'NestingTooDeepError';
  }
}

/** Counts open elements; throws NestingTooDeepError past `limit`. */
export function nestingCounter(limit = MAX_NESTING_DEPTH): { open(): void; close(): void } {
  let depth = 0;
  return {
    open() {
      if (++depth > limit) throw new NestingTooDeepError(limit);
    },
    close() {
      depth = Math.max(0, depth - 1);
    },
  };
}

/** Throws NestingTooDeepError when the XML nests elements deeper than `limit` (a streaming pass, no tree). */
export function checkXmlNesting(xml: string, limit = MAX_NESTING_DEPTH): void {
  const counter = nestingCounter(limit);
  const parser = new Parser({ onopentag: counter.open, onclosetag: counter.close }, { xmlMode: true });
  parser.write(xml);
  parser.end();
}

/** The converters' failure for a file nested too deep: 'corrupt', naming the limit. */
export function tooDeep(name: string, err: NestingTooDeepError, where: string): UnreadableDocumentError {
  return new UnreadableDocumentError(
    name,
    'corrupt',
    `${where} has ${err.message} (the limit, MAX_NESTING_DEPTH, keeps a hostile file from holding a worker)`,
  );
}
