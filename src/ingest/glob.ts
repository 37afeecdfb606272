/**
 * Glob patterns for `docqa ingest --include/--exclude`, matched (with picomatch) against a file's path relative to
 * the folder given on the command line (with '/' separators). Pure.
 *
 * - `*` any characters but '/' (names starting with '.' too), `?` one character but '/', `**` any number of whole
 *   path segments, `[abc]`, `[a-z]`, `[!abc]` character classes, `{pdf,docx}` alternatives.
 * - Every other character stands for itself: no negation by a leading '!', no extglobs (`+(a)`), no groups, no
 *   quoting, and a backslash is a character (file names may hold one). As in picomatch, a class also matches its
 *   own text: `[ab]x` matches 'ax', 'bx' and '[ab]x'.
 * - A pattern without '/' matches the file's name at any depth (`*.pdf`, `.*`), like .gitignore.
 * - An exclude pattern that matches a folder excludes everything below it (`drafts`, `archive/2019`).
 * Matching is case-sensitive.
 */
import picomatch from 'picomatch';

const OPTIONS: picomatch.PicomatchOptions = {
  dot: true,
  nonegate: true,
  noextglob: true,
  keepQuotes: true,
  // POSIX bracket rules: `[!abc]` is a negated class
  posix: true,
  // picomatch's shortcuts for simple patterns drop some escapes ('\$' loses its '$'): always compile in full
  fastpaths: false,
};

/**
 * Characters that are literal in docqa's globs but that picomatch would read as regular-expression syntax (groups,
 * alternatives, quantifiers, anchors) or as a quote are escaped; a backslash becomes the class `[\\]` (picomatch
 * loops forever on some runs of escaped backslashes). Checked against every name of one or two printable ASCII
 * characters; test/ingest/glob.test.ts keeps checking literal names as a property.
 */
const literal = (pattern: string) => pattern.replace(/\\/gu, '[\\\\]').replace(/[()|+$"]/gu, (c) => `\\${c}`);

export interface PathMatcher {
  (relativePath: string): boolean;
}

/** True when the pattern matches the path (or, for a pattern without '/', its name). */
export function globMatcher(pattern: string): PathMatcher {
  const trimmed = pattern.replace(/^\.\//u, '').replace(/\/+$/u, '');
  // the regular expression alone: picomatch's matcher also accepts a path equal to the (escaped) pattern text
  const re = picomatch.makeRe(literal(trimmed), OPTIONS);
  if (!trimmed.includes('/')) return (p) => re.test(p.slice(p.lastIndexOf('/') + 1));
  return (p) => re.test(p);
}

/** Every ancestor folder of a relative path and the path itself: 'a/b/c.pdf' → ['a', 'a/b', 'a/b/c.pdf']. */
function selfAndAncestors(p: string): string[] {
  const parts = p.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Files pass when they match an include pattern (or there are none) and neither they nor a folder above them match an exclude pattern. */
export function fileFilter(include: string[], exclude: string[]): PathMatcher {
  const inc = include.map(globMatcher);
  const exc = exclude.map(globMatcher);
  return (p) => (inc.length === 0 || inc.some((m) => m(p))) && !selfAndAncestors(p).some((q) => exc.some((m) => m(q)));
}
