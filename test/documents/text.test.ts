import { describe, expect, it } from 'vitest';
import { converterFor } from '../../src/documents/converters/index.js';
import { decodeText, htmlConverter, markdownConverter, textConverter } from '../../src/documents/converters/text.js';
import { UnreadableDocumentError } from '../../src/documents/failure.js';
import { htmlToText } from '../../src/documents/html-text.js';
import { squadArticle } from '../fixtures/documents/render.js';

// real text with non-ASCII letters that Latin-1 can encode ("Ergänzungsschulen", "€" is not in Latin-1: avoided)
const paragraph = squadArticle('Private_school').paragraphs.find((p) => p.includes('Ergänzungsschulen'))!;

function failure(fn: () => unknown): UnreadableDocumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UnreadableDocumentError);
    return err as UnreadableDocumentError;
  }
  throw new Error('expected a failure');
}

describe('text decoding', () => {
  const text = `${paragraph}\n\nSecond paragraph.`;
  const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
  const cases: [string, Buffer, string][] = [
    ['utf-8', Buffer.from(text, 'utf8'), 'utf-8'],
    ['utf-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), 'utf-8'],
    ['utf-16le with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'utf-16le'],
    ['utf-16be with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), 'utf-16be'],
    ['utf-16le without BOM', Buffer.from(text, 'utf16le'), 'utf-16le'],
    ['utf-16be without BOM', utf16be(text), 'utf-16be'],
    ['latin-1', Buffer.from(text, 'latin1'), 'latin-1'],
    ['CRLF line ends', Buffer.from(text.replace(/\n/gu, '\r\n'), 'utf8'), 'utf-8'],
  ];
  for (const [label, bytes, encoding] of cases) {
    it(`detects ${label}`, () => {
      expect(decodeText(bytes, 'a.txt')).toEqual({ text, encoding });
    });
  }

  it('reports binary files with a text extension, and empty files', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61', 'hex');
    expect(failure(() => decodeText(png, 'image.txt')).kind).toBe('binary');
    const controls = Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 7 : 65 + (i % 26))));
    const err = failure(() => decodeText(controls, 'bell.md'));
    expect(err.kind).toBe('binary');
    expect(err.message).toMatch(/^bell\.md: binary file \(\d+ control characters\), not text$/u);
    for (const [bytes, message] of [
      [Buffer.alloc(0), 'empty.txt: empty file (0 bytes)'],
      [Buffer.from(' \n\t \n'), 'empty.txt: no text (only whitespace)'],
    ] as const) {
      const e = await textConverter.convert(bytes, 'empty.txt').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnreadableDocumentError);
      expect((e as UnreadableDocumentError).kind).toBe('empty');
      expect((e as Error).message).toBe(message);
    }
  });

  it('records Markdown headings with their positions', async () => {
    const md = `# Private schools\n\n${paragraph}\n\n## In Germany\n\nMore text.\n\n\`\`\`\n# not a heading\n\`\`\`\n`;
    const doc = await markdownConverter.convert(Buffer.from(md), 'schools.md');
    expect(doc.text).toBe(md);
    expect(doc.headings.map((h) => [h.level, h.text, md.slice(h.charStart).startsWith('#')])).toEqual([
      [1, 'Private schools', true],
      [2, 'In Germany', true],
    ]);
  });

  it('picks converters by extension, then media type, and names the file when none fits', () => {
    expect(converterFor('a/b/Report.PDF').format).toBe('pdf');
    expect(converterFor('notes', 'text/markdown; charset=utf-8').format).toBe('markdown');
    expect(converterFor('page.htm').format).toBe('html');
    expect(() => converterFor('tool.exe', 'application/octet-stream')).toThrow(
      /^tool\.exe: unsupported file type '\.exe' \(application\/octet-stream\); supported: \.pdf, \.docx, /u,
    );
  });
});

describe('HTML to text', () => {
  it('keeps the visible text in order: paragraphs, headings, lists, tables, pre; drops scripts and styles', async () => {
    const html = `<!doctype html><html><head><title>Private  schools</title><style>p { color: red }</style>
      <script>var x = "<p>not text</p>";</script></head>
      <body><nav><ul><li>Home</li><li>About</li></ul></nav>
      <h1>Private   schools</h1>
      <p>${paragraph.replace(/&/gu, '&amp;').replace('Ergänzungsschulen', 'Erg&auml;nzungsschulen')}</p>
      <p>Line one<br>line two &mdash; with <b>bold</b> and <a href="#">a link</a>.</p>
      <table><tr><th>Country</th><th>Share</th></tr><tr><td><p>Germany</p></td><td>7.8%</td></tr></table>
      <pre>  keep   this
    as is</pre><noscript>enable js</noscript></body></html>`;
    const doc = await htmlConverter.convert(Buffer.from(html), 'schools.html');
    expect(doc.text).toBe(
      [
        'Home\nAbout',
        'Private schools',
        paragraph,
        'Line one\nline two — with bold and a link.',
        'Country\tShare\nGermany\t7.8%',
        '  keep   this\n    as is',
      ].join('\n\n'),
    );
    expect(doc.meta).toEqual({ format: 'html', encoding: 'utf-8', title: 'Private schools' });
    expect(doc.headings).toEqual([{ level: 1, text: 'Private schools', charStart: doc.text.indexOf('Private schools') }]);
  });

  it('never produces leading or doubled separators', () => {
    expect(htmlToText('<div><div><p>a</p></div></div><p></p><p>b</p>').text).toBe('a\n\nb');
    expect(htmlToText('  text  <span> more </span> ').text).toBe('text more');
  });
});
