/**
 * Text from documents or clients, made safe to print on a terminal: control characters (CR, LF, ESC, DEL, C1 ...)
 * and lone surrogates are shown as \u escapes, so a name cannot move the cursor, recolour or fake lines.
 */
export function escapeForTerminal(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]|\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
