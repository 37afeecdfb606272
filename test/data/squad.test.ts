import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config.js';
import {
  countSquad,
  deriveSplit,
  DEV_A_TITLES,
  DEV_B_TITLES,
  identify,
  OFFICIAL_FILES,
  pythonJson,
  selectArticles,
  serialize,
  sha256Hex,
  SPLITS,
  SQUAD_CATALOG,
  TRAIN_SUBSET_TITLES,
  V2_SAMPLE_TITLES,
  type Split,
} from '../../src/data/squad.js';

const EXCERPT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'squad', 'squad-v1.1-dev-b-excerpt.json');

describe('pythonJson', () => {
  // the expected strings were printed by Python 3.11: json.dumps(v) and json.dumps(v, sort_keys=True)
  const value = {
    title: 'Caf\u00e9 \u201cquoted\u201d',
    s: 'a"b\\c/d\n\r\t\b\f\u0000\u001f\u007f \u2028 \u{1F600} \ud800 <>&',
    n: [0, -12, 123456789],
    b: [true, false, null],
    nested: { z: 1, a: { y: [], x: {} } },
  };

  it("writes what Python's json.dumps writes: ASCII only, surrogates escaped one by one, ', ' and ': '", () => {
    expect(pythonJson(value)).toBe(
      String.raw`{"title": "Caf\u00e9 \u201cquoted\u201d", "s": "a\"b\\c/d\n\r\t\b\f\u0000\u001f\u007f \u2028 \ud83d\ude00 \ud800 <>&", "n": [0, -12, 123456789], "b": [true, false, null], "nested": {"z": 1, "a": {"y": [], "x": {}}}}`,
    );
  });

  it('sorts keys at every level like sort_keys=True', () => {
    expect(pythonJson(value, { sortKeys: true })).toBe(
      String.raw`{"b": [true, false, null], "n": [0, -12, 123456789], "nested": {"a": {"x": {}, "y": []}, "z": 1}, "s": "a\"b\\c/d\n\r\t\b\f\u0000\u001f\u007f \u2028 \ud83d\ude00 \ud800 <>&", "title": "Caf\u00e9 \u201cquoted\u201d"}`,
    );
  });

  it('parses back to the same value, and refuses what Python would print differently (floats)', () => {
    expect(JSON.parse(pythonJson(value))).toEqual(value);
    expect(() => pythonJson({ x: 0.5 })).toThrow(/only integers/u);
  });

  it('reproduces the vendored SQuAD excerpt byte for byte (it is written in the official files’ format)', () => {
    const text = fs.readFileSync(EXCERPT, 'utf8');
    expect(pythonJson(JSON.parse(text))).toBe(text);
    expect(sha256Hex(text)).toBe('33f82db3425d2c8712e92b69c7fc987b884ce0fe3e12167daae58aeb6d8019d4');
  });

  it('indent2 is JSON.stringify with two spaces and a final newline, non-ASCII kept', () => {
    expect(serialize({ version: 'v2.0', data: [{ title: 'é' }] }, 'indent2')).toBe('{\n  "version": "v2.0",\n  "data": [\n    {\n      "title": "é"\n    }\n  ]\n}\n');
  });
});

describe('the pinned catalog', () => {
  it('has the three official files and four splits, each from an official file', () => {
    expect(OFFICIAL_FILES.map((f) => f.name)).toEqual(['train-v1.1.json', 'dev-v1.1.json', 'dev-v2.0.json']);
    for (const f of [...OFFICIAL_FILES, ...SPLITS]) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/u);
    for (const s of SPLITS) expect(OFFICIAL_FILES.map((f) => f.name)).toContain(s.source);
  });

  it('dev-a and dev-b are 24 articles each, disjoint: together the 48 of the official dev set', () => {
    expect(DEV_A_TITLES).toHaveLength(24);
    expect(DEV_B_TITLES).toHaveLength(24);
    expect(new Set([...DEV_A_TITLES, ...DEV_B_TITLES]).size).toBe(48);
    expect(TRAIN_SUBSET_TITLES).toHaveLength(44);
    expect(V2_SAMPLE_TITLES).toEqual(['Normans', 'Computational_complexity_theory']);
  });

  it('the excerpt holds dev-b articles only, in dev-b order', () => {
    const titles = (JSON.parse(fs.readFileSync(EXCERPT, 'utf8')) as { data: { title: string }[] }).data.map((a) => a.title);
    expect(titles.length).toBe(10);
    expect(titles).toEqual(DEV_B_TITLES.filter((t) => titles.includes(t)));
  });

  it('identifies a file by its name first, else by its sha256', () => {
    const dev = OFFICIAL_FILES[1]!;
    expect(identify(SQUAD_CATALOG, 'dev-v1.1.json', 'ff'.repeat(32))?.name).toBe('dev-v1.1.json');
    expect(identify(SQUAD_CATALOG, 'my-download.json', dev.sha256)?.name).toBe('dev-v1.1.json');
    expect(identify(SQUAD_CATALOG, 'squad-v1.1-dev-b.json', null)?.name).toBe('squad-v1.1-dev-b.json');
    expect(identify(SQUAD_CATALOG, 'other.json', 'ff'.repeat(32))).toBeNull();
  });
});

describe('deriving a split', () => {
  const text = fs.readFileSync(EXCERPT, 'utf8');

  it('keeps the whole articles asked for, in the order asked, and every top-level field in place', () => {
    const out = selectArticles(text, 'excerpt', ['Kenya', 'Southern_California'], 'python');
    const parsed = JSON.parse(out) as { data: { title: string }[]; version: string };
    expect(Object.keys(parsed)).toEqual(['data', 'version']);
    expect(parsed.version).toBe('1.1');
    expect(parsed.data.map((a) => a.title)).toEqual(['Kenya', 'Southern_California']);
    const original = (JSON.parse(text) as { data: { title: string }[] }).data;
    expect(parsed.data[0]).toEqual(original.find((a) => a.title === 'Kenya'));
    expect(out.startsWith('{"data": [{"title": "Kenya", "paragraphs": [{"context": ')).toBe(true);
  });

  it('selecting every article of a file in its order gives the file back (the official format round-trips)', () => {
    const titles = (JSON.parse(text) as { data: { title: string }[] }).data.map((a) => a.title);
    expect(selectArticles(text, 'excerpt', titles, 'python')).toBe(text);
  });

  it('derives with the split’s titles and format, and says which article is missing', () => {
    const split: Split = { ...SPLITS[1]!, titles: ['Normans', 'Huguenot'], format: 'python-sorted' };
    const out = deriveSplit(split, text);
    expect(out.startsWith('{"data": [{"paragraphs": [{"context": ')).toBe(true);
    expect(countSquad(out)).toMatchObject({ articles: 2 });
    expect(() => deriveSplit(SPLITS[1]!, text)).toThrow(/dev-v1\.1\.json has no article titled 'Victoria_and_Albert_Museum'/u);
    expect(() => deriveSplit(split, '{"nope": 1}')).toThrow(/not a SQuAD file/u);
    expect(() => deriveSplit(split, 'not json')).toThrow(/not JSON/u);
  });

  it('counts articles, paragraphs and questions', () => {
    expect(countSquad(text)).toEqual({ articles: 10, paragraphs: 407, questions: 1820 });
  });
});
