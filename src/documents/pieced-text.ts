/**
 * A document's text held as consecutive pieces instead of one string: what a big converted text becomes when it
 * crosses from the conversion worker to the main thread as UTF-8 bytes decoded a slice at a time (conversion.ts).
 * One 45-million-character string cloned between threads held the event loop for 50-180 ms; pieces never need one
 * flat copy, and a passage's text is a slice of one piece (or a join of two).
 */

/** What reading a document's text needs: a string is one, a PiecedText is another. */
export type TextSource = Pick<string, 'length' | 'slice' | 'toString'>;

export class PiecedText implements TextSource {
  readonly length: number;
  /** Where each piece starts in the whole text (UTF-16 code units, as string offsets are). */
  private readonly starts: number[] = [];

  constructor(private readonly pieces: readonly string[]) {
    let at = 0;
    for (const piece of pieces) {
      this.starts.push(at);
      at += piece.length;
    }
    this.length = at;
  }

  /** The same as String.prototype.slice on the whole text (negative positions count from the end). */
  slice(start = 0, end = this.length): string {
    const from = clamp(start, this.length);
    const to = clamp(end, this.length);
    if (to <= from) return '';
    let i = this.pieceAt(from);
    const parts: string[] = [];
    for (let at = from; at < to; i++) {
      const pieceStart = this.starts[i]!;
      const piece = this.pieces[i]!;
      const stop = Math.min(to, pieceStart + piece.length);
      parts.push(piece.slice(at - pieceStart, stop - pieceStart));
      at = stop;
    }
    return parts.length === 1 ? parts[0]! : parts.join('');
  }

  /** The whole text as one string. */
  toString(): string {
    return this.pieces.join('');
  }

  /** The index of the piece holding position `at` (0 <= at < length): binary search over the pieces' starts. */
  private pieceAt(at: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    // skip empty pieces that start at the same position
    while (this.pieces[lo]!.length === 0 || this.starts[lo]! + this.pieces[lo]!.length <= at) lo++;
    return lo;
  }
}

function clamp(n: number, length: number): number {
  const i = Math.trunc(Number.isNaN(n) ? 0 : n);
  return i < 0 ? Math.max(0, length + i) : Math.min(i, length);
}
