import fs from 'node:fs/promises';
import path from 'node:path';
import { supportedExtensions } from '../documents/converters/index.js';
import { BadInputError } from '../errors.js';
import { fileFilter } from './glob.js';

export interface SourceFile {
  /** Where it is on disk. */
  file: string;
  /** The document's display name: the path relative to the folder given, or the file's own name. */
  name: string;
  /**
   * The document's identity (DocumentRecord.source): the path as given (a folder's path joined with the file's path
   * inside it), normalized ('./a//b/' is 'a/b', always '/'), or `--source` in its place.
   */
  source: string;
  size: number;
}

export interface CollectOptions {
  /**
   * Replaces the path as given in sources: with one file, the file's source; with one folder, the prefix its files'
   * relative paths are joined to ('.' or '' for none). Only with a single path.
   */
  source?: string;
  /** Globs a file (path relative to its folder argument) must match; empty = all supported files. */
  include?: string[];
  exclude?: string[];
}

export interface CollectedFiles {
  files: SourceFile[];
  /** Files inside the folders skipped because no converter reads their extension. */
  unsupported: number;
  /** Files inside the folders skipped by --include/--exclude (hidden files are skipped without being counted). */
  excluded: number;
}

/** Hidden files and folders, and installed dependencies, are never part of a corpus unless named explicitly. */
export const DEFAULT_EXCLUDES = ['.*', 'node_modules'];

/**
 * The files under the given paths, sorted by name: folders recursively (symbolic links are not followed), files as
 * given (even with an unsupported extension, so that they are reported rather than silently ignored). A file
 * reached twice (a folder and a file inside it) is ingested once.
 */
export async function collectFiles(paths: string[], options: CollectOptions = {}): Promise<CollectedFiles> {
  const extensions = new Set(supportedExtensions());
  const visible = fileFilter([], DEFAULT_EXCLUDES);
  const accept = fileFilter(options.include ?? [], options.exclude ?? []);
  const found: SourceFile[] = [];
  let unsupported = 0;
  let excluded = 0;
  if (options.source !== undefined && paths.length !== 1) {
    throw new BadInputError('--source names the source of one file or folder: give a single path with it', 'source');
  }
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => null);
    if (!stat) throw new BadInputError(`no such file or folder: ${p}`, 'paths');
    const given = options.source ?? sourcePath(p);
    if (stat.isFile()) {
      if (given.length === 0 || given === '.') throw new BadInputError('--source of a file must not be empty', 'source');
      found.push({ file: p, name: path.basename(p), source: given, size: stat.size });
      continue;
    }
    const root = path.resolve(p);
    const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile()) continue;
      const file = path.join(e.parentPath, e.name);
      const name = path.relative(root, file).split(path.sep).join('/');
      if (!visible(name)) continue;
      if (!accept(name)) {
        excluded++;
        continue;
      }
      if (!extensions.has(path.extname(e.name).toLowerCase())) {
        unsupported++;
        continue;
      }
      const size = (await fs.stat(file)).size;
      found.push({ file, name, source: joinSource(given, name), size });
    }
  }
  const bySource = new Map<string, SourceFile>();
  for (const f of found) if (!bySource.has(f.source)) bySource.set(f.source, f);
  const files = [...bySource.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { files, unsupported, excluded };
}

/** A path as given, normalized: no './', no doubled or trailing separators, '/' on every platform. */
export function sourcePath(p: string): string {
  const normalized = path.normalize(p).split(path.sep).join('/');
  return normalized.length > 1 ? normalized.replace(/\/+$/u, '') : normalized;
}

/** A folder's source joined with a path inside it ('.' and '' join to the relative path alone). */
export function joinSource(folder: string, relative: string): string {
  if (folder === '' || folder === '.') return relative;
  return folder.endsWith('/') || folder.endsWith(':') ? `${folder}${relative}` : `${folder}/${relative}`;
}
