/**
 * Glob patterns for `docqa ingest --include/--exclude`, matched against a file's path relative to the folder
 * given on the command line (with '/' separators). Pure.
 *
 * - `*` any characters but '/', `?` one character but '/', `**` any number of whole path segments,
 *   `[abc]`, `[a-z]`, `[!abc]` character classes, `{pdf,docx}` alternatives.
 * - A pattern without '/' matches the file's name at any depth (`*.pdf`, `.*`), like .gitignore.
 * - An exclude pattern that matches a folder excludes everything below it (`drafts`, `archive/2019`).
 * Matching is case-sensitive.
 */

function classToRegExp(body: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const inner = (negated ? body.slice(1) : body).replace(/[\\\]]/gu, (c) => `\\${c}`);
  return negated ? `[^/${inner}]` : `[${inner}]`;
}

/** The regular expression source of a glob (anchored by the caller). */
export function globSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // '**/' : zero or more segments; a trailing '**': everything below
          if (glob[i + 2] === '/') {
            out += '(?:[^/]*/)*';
            i += 2;
          } else {
            out += '.*';
            i += 1;
          }
          continue;
        }
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
      } else {
        out += classToRegExp(glob.slice(i + 1, end));
        i = end;
      }
    } else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) {
        out += '\\{';
      } else {
        out += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map(globSource)
          .join('|')})`;
        i = end;
      }
    } else {
      out += c.replace(/[.+^$()|\\/]/gu, (x) => `\\${x}`);
    }
  }
  return out;
}

export interface PathMatcher {
  (relativePath: string): boolean;
}

/** True when the pattern matches the path (or, for a pattern without '/', one of its names). */
export function globMatcher(pattern: string): PathMatcher {
  const trimmed = pattern.replace(/^\.\//u, '').replace(/\/+$/u, '');
  const re = new RegExp(`^${globSource(trimmed)}$`, 'u');
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
