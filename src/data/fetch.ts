/**
 * `docqa data fetch squad`: puts the official SQuAD files and the project's splits into <data dir>/squad/, either by
 * downloading the official files or by copying local copies (`from`), always checked against pinned sha256, and
 * derives the splits from the official files. A file is written under a temporary name and renamed only once its
 * sha256 is right, so a failed or interrupted run never leaves a partial or wrong file behind.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CONFIG_DEFAULTS } from '../config.js';
import { BadInputError, DocqaError, UnavailableError, errorMessage } from '../errors.js';
import {
  deriveSplit,
  identify,
  sha256Hex,
  SQUAD_BASE_URL,
  SQUAD_CATALOG,
  type OfficialFile,
  type Split,
  type SquadCatalog,
} from './squad.js';

export type FileStatus = 'present' | 'downloaded' | 'copied' | 'derived' | 'missing' | 'failed';

export interface FileOutcome {
  name: string;
  status: FileStatus;
  /** The sha256 of the file now in place (null when there is none). */
  sha256: string | null;
  /** The pinned sha256. */
  expected: string;
  /** Where it came from, or why it is missing or failed. */
  detail: string;
  /** A derived split whose sha256 differs from the file the project measured on (both are in the outcome). */
  differs?: boolean;
  error?: DocqaError;
}

export interface FetchOptions {
  /** The docqa data folder (DOCQA_DATA_DIR); the files go to <dataDir>/squad/. */
  dataDir: string;
  /** A folder or a file with local copies (official files or the project's splits): copied, never downloaded. */
  from?: string;
  /** Where the official files are downloaded from (a mirror; default the SQuAD site). */
  baseUrl?: string;
  /** Fetch, copy and derive again even when a file with the right sha256 is in place. */
  force?: boolean;
  /** Per download: give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** What to fetch and the sha256 to check (tests pass small fakes). */
  catalog?: SquadCatalog;
  /** Progress lines (one per download, before it starts). */
  log?: (line: string) => void;
}

export function squadDir(dataDir: string): string {
  return path.join(dataDir, 'squad');
}

/** Hashes a file without reading it whole into memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

async function existingSha(file: string): Promise<string | null> {
  return fs.existsSync(file) ? sha256File(file) : null;
}

function tempName(final: string): string {
  return path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.part`);
}

/** Writes `write(temp)`'s file to `final` only when its sha256 is `expected` (or always when `expected` is null). */
async function writeVerified(
  final: string,
  expected: string | null,
  write: (temp: string) => Promise<string>,
  mismatch?: (got: string) => DocqaError,
): Promise<string> {
  const temp = tempName(final);
  try {
    const got = await write(temp);
    if (expected !== null && got !== expected) throw mismatch!(got);
    fs.renameSync(temp, final);
    return got;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** The cause of a failed fetch() in words: "connect ECONNREFUSED 127.0.0.1:9", "getaddrinfo ENOTFOUND host", ... */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  if ((err as { name?: string })?.name === 'TimeoutError') return 'timed out';
  return errorMessage(err);
}

class DownloadError extends UnavailableError {}

async function download(url: string, final: string, expected: string, timeoutMs: number): Promise<string> {
  return writeVerified(
    final,
    expected,
    async (temp) => {
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      } catch (err) {
        throw new DownloadError(`${url}: ${networkReason(err)}`, { cause: err });
      }
      if (!response.ok || !response.body) {
        throw new DownloadError(`${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
      }
      const hash = createHash('sha256');
      const tee = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), tee, fs.createWriteStream(temp));
      } catch (err) {
        throw new DownloadError(`${url}: the download broke off (${networkReason(err)})`, { cause: err });
      }
      return hash.digest('hex');
    },
    (got) => new UnavailableError(`${url} served a different file: sha256 ${got}, expected ${expected}; nothing was written`),
  );
}

async function copyVerified(source: string, final: string, expected: string): Promise<string> {
  return writeVerified(
    final,
    expected,
    async (temp) => {
      fs.copyFileSync(source, temp);
      fs.chmodSync(temp, 0o644); // not the source's mode: a read-only source would give a read-only copy
      return sha256File(temp);
    },
    (got) => new BadInputError(`${source} is not the expected ${path.basename(final)}: sha256 ${got}, expected ${expected}; nothing was written`),
  );
}

/** The local copies in `from` (a folder, not recursive, or one file): each known file by name, else by content. */
async function localCopies(from: string, catalog: SquadCatalog): Promise<Map<string, string>> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(from);
  } catch {
    throw new BadInputError(`--from ${from}: no such file or folder`, 'from');
  }
  const candidates = stat.isDirectory()
    ? fs
        .readdirSync(from, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.json'))
        .map((e) => path.join(from, e.name))
        .sort()
    : [from];
  const found = new Map<string, string>();
  for (const file of candidates) {
    const byName = identify(catalog, path.basename(file), null);
    // an unknown name: recognise it by content (a renamed download), hashing only files of a plausible size
    const entry = byName ?? (fs.statSync(file).size <= 64 * 1024 * 1024 ? identify(catalog, '', await sha256File(file)) : null);
    if (entry && !found.has(entry.name)) found.set(entry.name, file);
  }
  return found;
}

function hint(catalog: SquadCatalog): string {
  return (
    'If you have copies, point docqa at them: `docqa data fetch squad --from <folder or file>` (a folder holding any of ' +
    `${[...catalog.official, ...catalog.splits].map((f) => f.name).join(', ')}); every file is checked against its ` +
    'sha256. A mirror of the SQuAD site: --base-url <url>.'
  );
}

/**
 * Fetches (or copies) the official files, then derives the splits. Never throws for a single file: every file has an
 * outcome; `fetchSquadOrThrow` turns failures into one error.
 */
export async function fetchSquad(options: FetchOptions): Promise<FileOutcome[]> {
  const catalog = options.catalog ?? SQUAD_CATALOG;
  const log = options.log ?? (() => {});
  const dir = squadDir(options.dataDir);
  const baseUrl = (options.baseUrl ?? SQUAD_BASE_URL).replace(/\/?$/u, '/');
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const local = options.from ? await localCopies(options.from, catalog) : null;
  if (local && local.size === 0) {
    throw new BadInputError(
      `--from ${options.from}: no SQuAD file docqa knows (by name or sha256): expected any of ` +
        `${[...catalog.official, ...catalog.splits].map((f) => f.name).join(', ')}`,
      'from',
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  const outcomes: FileOutcome[] = [];

  // a file with the pinned sha256 is kept; anything else there (a derived split that differs included) is made again
  const inPlace = async (f: OfficialFile | Split): Promise<FileOutcome | null> => {
    if (options.force) return null;
    const sha = await existingSha(path.join(dir, f.name));
    return sha === f.sha256 ? { name: f.name, status: 'present', sha256: sha, expected: f.sha256, detail: 'already in place' } : null;
  };

  const fromLocal = async (f: OfficialFile | Split, source: string): Promise<FileOutcome> => {
    try {
      const sha = await copyVerified(source, path.join(dir, f.name), f.sha256);
      return { name: f.name, status: 'copied', sha256: sha, expected: f.sha256, detail: `copied from ${source}` };
    } catch (err) {
      const error = err instanceof DocqaError ? err : new BadInputError(`${source}: ${errorMessage(err)}`);
      return { name: f.name, status: 'failed', sha256: null, expected: f.sha256, detail: error.message, error };
    }
  };

  for (const f of catalog.official) {
    const present = await inPlace(f);
    if (present) {
      outcomes.push(present);
      continue;
    }
    if (local) {
      const source = local.get(f.name);
      outcomes.push(source ? await fromLocal(f, source) : { name: f.name, status: 'missing', sha256: null, expected: f.sha256, detail: `not in ${options.from}` });
      continue;
    }
    const url = new URL(f.name, baseUrl).toString();
    log(`${f.name}: downloading ${url} (${(f.bytes / 1e6).toFixed(1)} MB)`);
    try {
      const sha = await download(url, path.join(dir, f.name), f.sha256, timeoutMs);
      outcomes.push({ name: f.name, status: 'downloaded', sha256: sha, expected: f.sha256, detail: `from ${url}` });
    } catch (err) {
      const error = err instanceof DocqaError ? err : new UnavailableError(`${url}: ${errorMessage(err)}`);
      outcomes.push({ name: f.name, status: 'failed', sha256: null, expected: f.sha256, detail: error.message, error });
    }
  }

  for (const s of catalog.splits) {
    const present = await inPlace(s);
    if (present) {
      outcomes.push(present);
      continue;
    }
    const copy = local?.get(s.name);
    if (copy) {
      outcomes.push(await fromLocal(s, copy));
      continue;
    }
    const source = path.join(dir, s.source);
    const sourceOk = outcomes.some((o) => o.name === s.source && o.sha256 !== null);
    if (!sourceOk) {
      outcomes.push({ name: s.name, status: 'missing', sha256: null, expected: s.sha256, detail: `needs ${s.source}` });
      continue;
    }
    try {
      const text = deriveSplit(s, fs.readFileSync(source, 'utf8'));
      const final = path.join(dir, s.name);
      const sha = await writeVerified(final, null, async (temp) => {
        fs.writeFileSync(temp, text);
        return sha256Hex(text);
      });
      const differs = sha !== s.sha256;
      const detail = differs
        ? `derived from ${s.source}, but its sha256 ${sha} differs from the recorded ${s.sha256} of the file the project measured on`
        : `derived from ${s.source} (sha256 as recorded)`;
      outcomes.push({ name: s.name, status: 'derived', sha256: sha, expected: s.sha256, detail, ...(differs ? { differs } : {}) });
    } catch (err) {
      const error = new BadInputError(`${s.name}: cannot derive it from ${s.source}: ${errorMessage(err)}`);
      outcomes.push({ name: s.name, status: 'failed', sha256: null, expected: s.sha256, detail: error.message, error });
    }
  }

  writeChecksums(dir, outcomes);
  return outcomes;
}

/** SHA256SUMS beside the files (`sha256sum -c SHA256SUMS` checks them). */
function writeChecksums(dir: string, outcomes: readonly FileOutcome[]): void {
  const lines = outcomes.filter((o) => o.sha256 !== null).map((o) => `${o.sha256}  ${o.name}\n`);
  if (lines.length > 0) fs.writeFileSync(path.join(dir, 'SHA256SUMS'), lines.join(''));
}

/** One error for the failed files, with what to do about it; null when nothing failed. */
export function failureOf(outcomes: readonly FileOutcome[], catalog: SquadCatalog = SQUAD_CATALOG): DocqaError | null {
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length === 0) return null;
  const network = failed.filter((o) => o.error instanceof DownloadError);
  const lines = failed.map((o) => `  ${o.name}: ${o.detail}`).join('\n');
  if (network.length > 0) {
    return new UnavailableError(
      `could not download ${network.length === 1 ? 'a SQuAD file' : `${network.length} SQuAD files`} (no network?):\n${lines}\n` +
        `Nothing partial was written. ${hint(catalog)}`,
    );
  }
  const first = failed[0]!.error;
  const message = `${failed.length === 1 ? 'a SQuAD file' : `${failed.length} SQuAD files`} failed:\n${lines}`;
  return first instanceof UnavailableError ? new UnavailableError(message) : new BadInputError(message);
}

/**
 * The path of a file under <dataDir>/squad/, or an error saying how to get it (for benchmarks and scripts that need
 * the full data sets).
 */
export function requireSquadFile(name: string, dataDir = process.env.DOCQA_DATA_DIR || CONFIG_DEFAULTS.dataDir): string {
  const file = path.resolve(squadDir(dataDir), name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found: run \`npx docqa data fetch squad\` first (see docs/evaluation.md#data-sets)`);
  }
  return file;
}
