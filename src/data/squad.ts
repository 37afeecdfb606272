/**
 * The SQuAD data sets docqa's evaluation, benchmarks and training use, as pinned facts and pure functions (no I/O):
 * the official files with their sha256, the project's splits (which articles of which official file, serialised
 * how) with the sha256 of the files the project measured on, and the derivation of a split from its official file.
 *
 * The splits are the ones the docs' numbers were measured on:
 *   squad-v1.1-dev-a.json         24 articles of the official SQuAD 1.1 dev set (tuning, training data)
 *   squad-v1.1-dev-b.json         the other 24 (held out: the model never saw them)
 *   squad-v1.1-train-subset.json  the first 44 articles of the official SQuAD 1.1 train set
 *   squad-v2.0-dev-sample.json    the first 2 articles of the official SQuAD 2.0 dev set
 * dev-a and dev-b are not the first and second halves in file order: dev-a keeps the official order, dev-b has an
 * order of its own. Both were checked offline: put together in the official order, dev-a and dev-b re-serialise
 * byte for byte to the official dev-v1.1.json (its sha256), so deriving them from the official file reproduces the
 * project's files exactly. The train subset and the v2.0 sample could not be checked against their official files
 * (no network where this was written): where a derived file differs from the recorded sha256, both are reported.
 */
import { createHash } from 'node:crypto';

export const SQUAD_BASE_URL = 'https://rajpurkar.github.io/SQuAD-explorer/dataset/';

export interface OfficialFile {
  /** File name, on the SQuAD site and under <data dir>/squad/. */
  name: string;
  sha256: string;
  bytes: number;
  what: string;
}

/** The official files (sha256 and sizes as published by many pinned downloaders, and checked here for dev-v1.1). */
export const OFFICIAL_FILES: readonly OfficialFile[] = [
  {
    name: 'train-v1.1.json',
    sha256: '3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955',
    bytes: 30_288_272,
    what: 'SQuAD 1.1 train: 442 articles, 87,599 questions',
  },
  {
    name: 'dev-v1.1.json',
    sha256: '95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9',
    bytes: 4_854_279,
    what: 'SQuAD 1.1 dev: 48 articles, 10,570 questions',
  },
  {
    name: 'dev-v2.0.json',
    sha256: '80a5225e94905956a6446d296ca1093975c4d3b3260f1d6c8f68bc2ab77182d8',
    bytes: 4_370_528,
    what: 'SQuAD 2.0 dev: 35 articles, 11,873 questions (5,945 unanswerable)',
  },
];

/**
 * How a split is written: `python` = Python's json.dumps defaults (ASCII only, ", " and ": "), the format of the
 * official SQuAD 1.1 files; `python-sorted` = the same with sorted keys; `indent2` = JSON.stringify(x, null, 2)
 * plus a newline (UTF-8, two-space indent).
 */
export type SplitFormat = 'python' | 'python-sorted' | 'indent2';

export interface Split {
  name: string;
  /** The official file it is cut from. */
  source: string;
  /** The articles, by title, in the order the split has them. */
  titles: readonly string[];
  format: SplitFormat;
  /** The sha256 of the file the project measured on. */
  sha256: string;
  /** Whether deriving it from the official file was shown to reproduce that sha256 (see the top of this file). */
  checked: boolean;
  what: string;
}

export const DEV_A_TITLES: readonly string[] = [
  'Super_Bowl_50', 'Warsaw', 'Teacher', 'Victoria_(Australia)', 'Oxygen', '1973_oil_crisis', 'Apollo_program',
  'European_Union_law', 'Packet_switching', 'Black_Death', 'Geology', 'Newcastle_upon_Tyne', 'Genghis_Khan',
  'Immune_system', 'Civil_disobedience', 'Construction', 'Harvard_University', 'Jacksonville,_Florida',
  'University_of_Chicago', 'Prime_number', 'Islamism', 'Imperialism', 'French_and_Indian_War', 'Force',
];

export const DEV_B_TITLES: readonly string[] = [
  'Southern_California', 'Doctor_Who', 'Normans', 'Victoria_and_Albert_Museum', 'American_Broadcasting_Company',
  'Kenya', 'Chloroplast', 'Steam_engine', 'Rhine', 'Economic_inequality', 'Scottish_Parliament', 'Pharmacy',
  'Nikola_Tesla', 'Fresno,_California', 'Sky_(United_Kingdom)', 'Martin_Luther', 'Huguenot', 'Ctenophora',
  'Intergovernmental_Panel_on_Climate_Change', 'United_Methodist_Church', 'Computational_complexity_theory',
  'Yuan_dynasty', 'Private_school', 'Amazon_rainforest',
];

export const TRAIN_SUBSET_TITLES: readonly string[] = [
  'University_of_Notre_Dame', 'Beyoncé', 'Montana', 'Genocide', 'Antibiotics', 'Frédéric_Chopin',
  'Sino-Tibetan_relations_during_the_Ming_dynasty', 'IPod', 'The_Legend_of_Zelda:_Twilight_Princess',
  'Spectre_(2015_film)', '2008_Sichuan_earthquake', 'New_York_City', 'To_Kill_a_Mockingbird', 'Solar_energy',
  'Tajikistan', 'Anthropology', 'Portugal', 'Kanye_West', 'Buddhism', 'American_Idol', 'Dog',
  '2008_Summer_Olympics_torch_relay', 'Alfred_North_Whitehead', 'Financial_crisis_of_2007%E2%80%9308',
  'Saint_Barth%C3%A9lemy', 'Genome', 'Comprehensive_school', 'Republic_of_the_Congo', 'Prime_minister',
  'Institute_of_technology', 'Wayback_Machine', 'Dutch_Republic', 'Symbiosis', 'Canadian_Armed_Forces',
  'Cardinal_(Catholicism)', 'Iranian_languages', 'Lighting', 'Separation_of_powers_under_the_United_States_Constitution',
  'Architecture', 'Human_Development_Index', 'Southern_Europe', 'BBC_Television', 'Arnold_Schwarzenegger', 'Plymouth',
];

export const V2_SAMPLE_TITLES: readonly string[] = ['Normans', 'Computational_complexity_theory'];

export const SPLITS: readonly Split[] = [
  {
    name: 'squad-v1.1-dev-a.json',
    source: 'dev-v1.1.json',
    titles: DEV_A_TITLES,
    format: 'python',
    sha256: 'bf8ebb60a161d0594f455be869ff3a476d2fe07da92ab1ecb0dea41f50ea64f3',
    checked: true,
    what: '24 articles of the SQuAD 1.1 dev set: 913 paragraphs, 4,961 questions',
  },
  {
    name: 'squad-v1.1-dev-b.json',
    source: 'dev-v1.1.json',
    titles: DEV_B_TITLES,
    format: 'python',
    sha256: 'f0a16b507dbb983d1a04315b6a189e539aa15c91c4ccfb849b0392593daf80dd',
    checked: true,
    what: 'the other 24 articles of the SQuAD 1.1 dev set (held out): 1,154 paragraphs, 5,609 questions',
  },
  {
    name: 'squad-v1.1-train-subset.json',
    source: 'train-v1.1.json',
    titles: TRAIN_SUBSET_TITLES,
    format: 'python-sorted',
    sha256: 'e7853905d95f255090f58a2af5221c7f2b296934f8a6c1d77b36df4686f0d828',
    checked: false,
    what: 'the first 44 articles of the SQuAD 1.1 train set: 2,430 paragraphs, 11,877 questions',
  },
  {
    name: 'squad-v2.0-dev-sample.json',
    source: 'dev-v2.0.json',
    titles: V2_SAMPLE_TITLES,
    format: 'indent2',
    sha256: 'dfed6c7aefe89fdcb8ed63b98dc742a0acf3565d92f97c61efaa077012b0fe68',
    checked: false,
    what: 'the first 2 articles of the SQuAD 2.0 dev set: 626 questions, 333 unanswerable',
  },
];

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A string as Python's json.dumps writes it with ensure_ascii: everything outside ' '..'~' escaped, per UTF-16 unit. */
function pythonString(s: string): string {
  // no `u` flag: astral characters are matched as two surrogates, escaped one by one as Python does
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/[\\"\u0000-\u001f\u007f-\uffff]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * JSON as Python's `json.dumps(value)` writes it (`sort_keys` as `json.dumps(value, sort_keys=True)`): the format
 * of the official SQuAD 1.1 files. Integers only (SQuAD has no other numbers; Python prints floats its own way).
 */
export function pythonJson(value: unknown, options: { sortKeys?: boolean } = {}): string {
  const write = (v: unknown): string => {
    if (v === null) return 'null';
    if (typeof v === 'string') return pythonString(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new Error(`pythonJson: only integers are supported, got ${v}`);
      return String(v);
    }
    if (Array.isArray(v)) return `[${v.map(write).join(', ')}]`;
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (options.sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, x]) => `${pythonString(k)}: ${write(x)}`).join(', ')}}`;
    }
    throw new Error(`pythonJson: cannot write a ${typeof v}`);
  };
  return write(value);
}

export function serialize(value: unknown, format: SplitFormat): string {
  switch (format) {
    case 'python':
      return pythonJson(value);
    case 'python-sorted':
      return pythonJson(value, { sortKeys: true });
    case 'indent2':
      return `${JSON.stringify(value, null, 2)}\n`;
  }
}

interface SquadJson {
  data: { title: string }[];
  [key: string]: unknown;
}

function parseSquad(text: string, name: string): SquadJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${name} is not JSON: ${(err as Error).message}`);
  }
  const data = (parsed as { data?: unknown })?.data;
  if (!Array.isArray(data) || data.some((a) => typeof (a as { title?: unknown })?.title !== 'string')) {
    throw new Error(`${name} is not a SQuAD file (no "data" list of articles with titles)`);
  }
  return parsed as SquadJson;
}

/**
 * A SQuAD file holding only the given articles, in the given order, with every other top-level field (`version`)
 * kept in place, written in `format`. Throws when an article is missing.
 */
export function selectArticles(sourceText: string, sourceName: string, titles: readonly string[], format: SplitFormat): string {
  const source = parseSquad(sourceText, sourceName);
  const byTitle = new Map(source.data.map((a) => [a.title, a]));
  const missing = titles.filter((t) => !byTitle.has(t));
  if (missing.length > 0) throw new Error(`${sourceName} has no article titled ${missing.map((t) => `'${t}'`).join(', ')}`);
  // spread first, then replace: the top-level keys keep the source's order ("data" then "version", or the reverse)
  return serialize({ ...source, data: titles.map((t) => byTitle.get(t)) }, format);
}

/** The split's file from its official source file's text. */
export function deriveSplit(split: Split, sourceText: string): string {
  return selectArticles(sourceText, split.source, split.titles, split.format);
}

export interface SquadCounts {
  articles: number;
  paragraphs: number;
  questions: number;
}

export function countSquad(text: string, name = 'file'): SquadCounts {
  const { data } = parseSquad(text, name) as unknown as { data: { paragraphs: { qas: unknown[] }[] }[] };
  const paragraphs = data.flatMap((a) => a.paragraphs);
  return { articles: data.length, paragraphs: paragraphs.length, questions: paragraphs.reduce((n, p) => n + p.qas.length, 0) };
}

/** What the fetch command knows about: the official files and the splits made from them. */
export interface SquadCatalog {
  official: readonly OfficialFile[];
  splits: readonly Split[];
}

export const SQUAD_CATALOG: SquadCatalog = { official: OFFICIAL_FILES, splits: SPLITS };

/** The catalog entry a file name or content hash stands for (names first: a file may be renamed, then its hash). */
export function identify(catalog: SquadCatalog, name: string, sha256: string | null): OfficialFile | Split | null {
  const all = [...catalog.official, ...catalog.splits];
  return all.find((f) => f.name === name) ?? (sha256 ? (all.find((f) => f.sha256 === sha256) ?? null) : null);
}

export function isSplit(f: OfficialFile | Split): f is Split {
  return 'source' in f;
}
