import fs from 'node:fs/promises';
import path from 'node:path';
import { supportedExtensions } from '../documents/converters/index.js';
import { BadInputError } from '../errors.js';
import { fileFilter } from './glob.js';

export interface SourceFile {
  /** Where it is on disk. */
  file: string;
  /** The document name it is stored under: the path relative to the folder given, or the file's own name. */
  name: string;
  size: number;
}

export interface CollectOptions {
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
 * given (even with an unsupported extension, so that they are reported rather than silently ignored). Names
 * must be unique: two files that would be stored under one name are an error.
 */
export async function collectFiles(paths: string[], options: CollectOptions = {}): Promise<CollectedFiles> {
  const extensions = new Set(supportedExtensions());
  const visible = fileFilter([], DEFAULT_EXCLUDES);
  const accept = fileFilter(options.include ?? [], options.exclude ?? []);
  const found: SourceFile[] = [];
  let unsupported = 0;
  let excluded = 0;
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => null);
    if (!stat) throw new BadInputError(`no such file or folder: ${p}`, 'paths');
    if (stat.isFile()) {
      found.push({ file: p, name: path.basename(p), size: stat.size });
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
      found.push({ file, name, size });
    }
  }
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < found.length; i++) {
    if (found[i]!.name === found[i - 1]!.name) {
      throw new BadInputError(
        `two files would be stored under the same name '${found[i]!.name}' (${found[i - 1]!.file} and ${found[i]!.file}); ingest them separately or from a common parent folder`,
        'paths',
      );
    }
  }
  return { files: found, unsupported, excluded };
}
