/**
 * A snippet of `text` around [start, end) of at most about `width` characters on each side, cut at whitespace so
 * no word is broken, with the span's position inside the snippet.
 */
export function contextAround(
  text: string,
  start: number,
  end: number,
  width: number,
): { context: string; offsets: { start: number; end: number } } {
  let from = Math.max(0, start - width);
  let to = Math.min(text.length, end + width);
  if (from > 0) {
    const space = text.slice(from, start).search(/\s/u);
    from = space >= 0 ? from + space : start;
  }
  if (to < text.length) {
    const tail = text.slice(end, to);
    const m = /\s\S*$/u.exec(tail);
    to = m ? end + m.index : end;
  }
  const lead = text.slice(from, start).length - text.slice(from, start).trimStart().length;
  from += lead;
  const context = text.slice(from, to).trimEnd();
  return { context, offsets: { start: start - from, end: end - from } };
}
