/**
 * GPT-2's byte-level alphabet: every byte is written as one printable character, so byte-level BPE tokens are
 * strings of these characters and map back to exact byte ranges of the UTF-8 text.
 */

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

/** byte -> its character in the byte-level alphabet */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** The byte-level character of the space byte ("Ġ"). */
export const SPACE_CHAR = BYTE_TO_CHAR[0x20]!;

/**
 * UTF-8 bytes of a sequence of code points (a lone surrogate is taken as U+FFFD, as TextEncoder does), and for
 * each byte the index of the code point it belongs to.
 */
export function utf8WithOwners(cps: readonly number[]): { bytes: number[]; owner: number[] } {
  const bytes: number[] = [];
  const owner: number[] = [];
  cps.forEach((raw, i) => {
    const cp = raw >= 0xd800 && raw <= 0xdfff ? 0xfffd : raw;
    if (cp < 0x80) {
      bytes.push(cp);
      owner.push(i);
    } else if (cp < 0x800) {
      bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
      owner.push(i, i);
    } else if (cp < 0x10000) {
      bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
      owner.push(i, i, i);
    } else {
      bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
      owner.push(i, i, i, i);
    }
  });
  return { bytes, owner };
}
