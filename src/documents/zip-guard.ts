/**
 * Checks a ZIP archive (a DOCX) before any library inflates it: it must have a central directory, few enough
 * entries, declared uncompressed sizes within a total budget, and every deflated entry must really inflate to no
 * more than it declares (a lying header is how zip bombs get past size checks). Inflation here is bounded by
 * zlib's maxOutputLength, so the check itself cannot be bombed.
 */
import zlib from 'node:zlib';
import { UnreadableDocumentError } from './failure.js';

export interface ZipLimits {
  /** Sum of the entries' uncompressed sizes. */
  maxUncompressedBytes: number;
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxUncompressedBytes: 256 * 1024 * 1024, maxEntries: 10_000 };

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function corrupt(name: string, why: string): UnreadableDocumentError {
  return new UnreadableDocumentError(name, 'corrupt', why);
}

function findEndOfCentralDirectory(data: Buffer): number {
  const min = Math.max(0, data.length - 22 - 0xffff);
  for (let i = data.length - 22; i >= min; i--) {
    if (data.readUInt32LE(i) === EOCD) return i;
  }
  return -1;
}

/** The central directory's entries. Throws 'corrupt' when the bytes are not a ZIP archive. */
export function zipEntries(data: Buffer, name: string): ZipEntry[] {
  if (data.length < 22) throw corrupt(name, 'not a ZIP archive (too short)');
  const eocd = findEndOfCentralDirectory(data);
  if (eocd < 0) {
    throw corrupt(name, data.readUInt32LE(0) === LOCAL ? 'truncated ZIP archive (no central directory)' : 'not a ZIP archive');
  }
  let count = data.readUInt16LE(eocd + 10);
  let offset = data.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || data.readUInt32LE(locator) !== ZIP64_LOCATOR) throw corrupt(name, 'broken ZIP64 archive');
    const record = Number(data.readBigUInt64LE(locator + 8));
    if (record + 56 > data.length || data.readUInt32LE(record) !== ZIP64_EOCD) throw corrupt(name, 'broken ZIP64 archive');
    count = Number(data.readBigUInt64LE(record + 32));
    offset = Number(data.readBigUInt64LE(record + 48));
  }
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > data.length || data.readUInt32LE(p) !== CENTRAL) throw corrupt(name, 'damaged ZIP central directory');
    const nameLength = data.readUInt16LE(p + 28);
    const extraLength = data.readUInt16LE(p + 30);
    const commentLength = data.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      name: data.toString('utf8', p + 46, p + 46 + nameLength),
      method: data.readUInt16LE(p + 10),
      compressedSize: data.readUInt32LE(p + 20),
      uncompressedSize: data.readUInt32LE(p + 24),
      localHeaderOffset: data.readUInt32LE(p + 42),
    };
    // ZIP64 extra field (id 1): the 64-bit values of the fields set to 0xffffffff, in this order
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    // lengths that run past the end of the file (a damaged or hostile header) would make the reads below throw
    // an unnamed RangeError (found by the hostile-file fuzzer, test/reliability/fuzz.test.ts)
    if (extraEnd + commentLength > data.length) throw corrupt(name, 'damaged ZIP central directory');
    while (e + 4 <= extraEnd) {
      const id = data.readUInt16LE(e);
      const size = data.readUInt16LE(e + 2);
      if (id === 1) {
        let q = e + 4;
        const next = () => {
          const v = q + 8 <= Math.min(e + 4 + size, extraEnd) ? Number(data.readBigUInt64LE(q)) : NaN;
          q += 8;
          return v;
        };
        if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      }
      e += 4 + size;
    }
    if (![entry.uncompressedSize, entry.compressedSize, entry.localHeaderOffset].every(Number.isFinite)) {
      throw corrupt(name, 'damaged ZIP64 extra field');
    }
    entries.push(entry);
    p = extraEnd + commentLength;
  }
  return entries;
}

/**
 * Throws 'zip_bomb' or 'corrupt' unless the archive is safe to hand to a ZIP library. Returns its entries.
 * `inspect` sees each entry's content as it is checked (and may throw).
 */
export function checkZip(
  data: Buffer,
  name: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  inspect?: (entry: ZipEntry, content: Buffer) => void,
): ZipEntry[] {
  const entries = zipEntries(data, name);
  if (entries.length > limits.maxEntries) {
    throw new UnreadableDocumentError(name, 'zip_bomb', `ZIP archive has ${entries.length} entries (limit ${limits.maxEntries})`);
  }
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (declared > limits.maxUncompressedBytes) {
    throw new UnreadableDocumentError(
      name,
      'zip_bomb',
      `ZIP archive would inflate to ${declared} bytes (limit ${limits.maxUncompressedBytes}): refusing a possible zip bomb`,
    );
  }
  for (const entry of entries) {
    const local = entry.localHeaderOffset;
    if (local + 30 > data.length || data.readUInt32LE(local) !== LOCAL) throw corrupt(name, `damaged ZIP entry ${entry.name}`);
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    const end = start + entry.compressedSize;
    if (end > data.length) throw corrupt(name, `truncated ZIP entry ${entry.name}`);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize) throw corrupt(name, `damaged ZIP entry ${entry.name}`);
      inspect?.(entry, data.subarray(start, end));
      continue;
    }
    if (entry.method !== 8) throw corrupt(name, `ZIP entry ${entry.name} uses unsupported compression method ${entry.method}`);
    let inflated: Buffer;
    try {
      inflated = zlib.inflateRawSync(data.subarray(start, end), { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new UnreadableDocumentError(
          name,
          'zip_bomb',
          `ZIP entry ${entry.name} inflates beyond the ${entry.uncompressedSize} bytes it declares: refusing a possible zip bomb`,
        );
      }
      throw corrupt(name, `damaged ZIP entry ${entry.name}`);
    }
    if (inflated.length !== entry.uncompressedSize) throw corrupt(name, `damaged ZIP entry ${entry.name} (size mismatch)`);
    inspect?.(entry, inflated);
  }
  return entries;
}
