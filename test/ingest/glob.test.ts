import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileFilter, globMatcher } from '../../src/ingest/glob.js';

describe('globs for --include/--exclude', () => {
  it('matches the usual patterns', () => {
    const cases: [string, string, boolean][] = [
      ['*.pdf', 'a.pdf', true],
      ['*.pdf', 'deep/down/a.pdf', true], // no '/': the name at any depth
      ['*.pdf', 'a.pdf.txt', false],
      ['*.{pdf,docx}', 'x/report.docx', true],
      ['papers/**', 'papers/2020/a.pdf', true],
      ['papers/**', 'other/papers/a.pdf', false], // with '/': anchored at the folder given
      ['**/drafts/*.md', 'drafts/a.md', true],
      ['**/drafts/*.md', 'x/y/drafts/a.md', true],
      ['**/drafts/*.md', 'x/drafts/sub/a.md', false],
      ['report-??.txt', 'report-01.txt', true],
      ['report-??.txt', 'report-1.txt', false],
      ['[ab]*.txt', 'b1.txt', true],
      ['[!ab]*.txt', 'b1.txt', false],
      ['file(1).txt', 'file(1).txt', true],
      ['a+b.md', 'aab.md', false],
      // characters that picomatch would read as syntax are literal here; a backslash is a character
      ['a|b.md', 'a.md', false],
      ['a|b.md', 'a|b.md', true],
      ['"x".md', '"x".md', true],
      ['$x^', '$x^', true],
      ['a\\\\b', 'a\\\\b', true],
      ['a\\b', 'ab', false],
      ['*\\*', 'x\\y', true],
      ['[!ab]*\\', 'c\\', true],
    ];
    for (const [pattern, p, expected] of cases) expect(globMatcher(pattern)(p), `${pattern} ~ ${p}`).toBe(expected);
  });

  it('excludes whole folders, and includes only what matches', () => {
    const accept = fileFilter(['*.pdf', 'notes/**'], ['drafts', 'old/*.pdf']);
    expect(['a.pdf', 'x/b.pdf', 'notes/n.md', 'drafts/c.pdf', 'x/drafts/d.pdf', 'old/e.pdf', 'old/sub/f.pdf', 'g.md'].filter(accept)).toEqual([
      'a.pdf',
      'x/b.pdf',
      'notes/n.md',
      'old/sub/f.pdf',
    ]);
    expect(fileFilter([], [])('anything/at/all.txt')).toBe(true);
  });

  it('treats every character of a pattern without wildcards literally (property)', () => {
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[*?[\]{}/]/u.test(s) && s.trim() === s && s.length > 0);
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(globMatcher(a)(a)).toBe(true);
        expect(globMatcher(a)(`dir/${a}`)).toBe(true);
        expect(globMatcher(a)(b)).toBe(a === b);
      }),
      { numRuns: 300 },
    );
  });
});
