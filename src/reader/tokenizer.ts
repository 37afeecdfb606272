/**
 * The reader's tokenizer: token ids AND exact character offsets of every token, which transformers.js does not
 * return. It runs Hugging Face tokenizers' pipeline itself — added-token split, normalizer, pre-tokenizer,
 * subword model, post-processor — keeping alignments to the original text at every step; the subword model
 * (WordPiece or BPE: vocabulary, merges, greedy/merge algorithm) is transformers.js's own, loaded offline from
 * the model folder's tokenizer.json.
 *
 * Offsets are UTF-16 code-unit indexes into the encoded string (JavaScript string indexes), so
 * `text.slice(start, end)` is always the token's source text.
 */
import { ConfigError } from '../errors.js';
import { BYTE_TO_CHAR, SPACE_CHAR, utf8WithOwners } from './byte-level.js';
import { alignedText, createNormalizer, type AlignedText, type Normalizer } from './normalize.js';
import { createPreTokenizer, type PreTokenizer, type Word } from './pretokenize.js';
import { offsetTrimming, pairTemplate, type OffsetTrimming, type PairTemplate } from './template.js';
import { codePoints, isWhitespace } from './unicode.js';

/** A tokenized text: parallel arrays, one entry per token. */
export interface TokenizedText {
  ids: number[];
  /** Token source range [start, end) in the text, UTF-16 code units. */
  starts: number[];
  ends: number[];
  /** Index of the pre-token ("word") each token comes from; a word's tokens are adjacent. */
  words: number[];
}

/** The subword model: splits one pre-token into vocabulary tokens (transformers.js's WordPiece or BPE). */
export interface SubwordModel {
  kind: 'WordPiece' | 'BPE';
  tokenize(word: string): string[];
  idOf(token: string): number | undefined;
  unkToken?: string;
  /** WordPiece `##` / BPE continuing_subword_prefix. */
  continuingPrefix?: string;
  /** BPE end_of_word_suffix. */
  endOfWordSuffix?: string;
}

export interface AddedToken {
  id: number;
  content: string;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
}

/** What the reader needs from a tokenizer. */
export interface PassageTokenizer {
  encode(text: string): TokenizedText;
  readonly template: PairTemplate;
  /** HF pipeline: positions holding this id stay candidates (the no-answer position). */
  readonly clsTokenId: number | undefined;
  readonly padTokenId: number;
  /** Longest sequence the model accepts (tokenizer_config model_max_length, when sane). */
  readonly modelMaxLength: number | undefined;
}

type Json = Record<string, unknown>;

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Json).content === 'string') {
    return (value as Json).content as string;
  }
  return undefined;
}

const isWordChar = (ch: string | undefined) => ch !== undefined && /^[\p{L}\p{N}_]$/u.test(ch);

interface Section {
  start: number;
  end: number;
  added?: AddedToken;
}

/** Split the text around added tokens written in it (Hugging Face: leftmost-longest match, lstrip/rstrip). */
export function splitAddedTokens(text: string, added: readonly AddedToken[]): Section[] {
  if (added.length === 0 || text.length === 0) return text.length > 0 ? [{ start: 0, end: text.length }] : [];
  const byFirst = new Map<string, AddedToken[]>();
  for (const t of added) {
    if (t.content.length === 0) continue;
    const list = byFirst.get(t.content[0]!) ?? [];
    list.push(t);
    byFirst.set(t.content[0]!, list);
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.content.length - a.content.length);
  const out: Section[] = [];
  let cursor = 0;
  let i = 0;
  while (i < text.length) {
    const candidates = byFirst.get(text[i]!);
    const match = candidates?.find((t) => {
      if (!text.startsWith(t.content, i)) return false;
      if (!t.singleWord) return true;
      return !isWordChar(text[i - 1]) && !isWordChar(text[i + t.content.length]);
    });
    if (!match) {
      i++;
      continue;
    }
    // lstrip/rstrip: the whitespace beside the token belongs to no token; the token's offsets are its content
    let before = i;
    let after = i + match.content.length;
    if (match.lstrip) while (before > cursor && isWhitespace(text.charCodeAt(before - 1))) before--;
    if (match.rstrip) while (after < text.length && isWhitespace(text.charCodeAt(after))) after++;
    if (before > cursor) out.push({ start: cursor, end: before });
    out.push({ start: i, end: i + match.content.length, added: match });
    cursor = after;
    i = after;
  }
  if (cursor < text.length) out.push({ start: cursor, end: text.length });
  return out;
}

/** Assemble a tokenizer from tokenizer.json's sections and a subword model. Pure: no I/O. */
export function createPassageTokenizer(
  tokenizerJson: Json,
  tokenizerConfig: Json,
  model: SubwordModel,
): PassageTokenizer {
  const normalizer: Normalizer = createNormalizer(tokenizerJson.normalizer);
  const preTokenizer: PreTokenizer = createPreTokenizer(tokenizerJson.pre_tokenizer);
  const template = pairTemplate(tokenizerJson.post_processor);
  const trimming: OffsetTrimming = preTokenizer.byteLevel
    ? offsetTrimming(tokenizerJson.post_processor)
    : { trimOffsets: false, addPrefixSpace: false };
  if (tokenizerConfig.padding_side === 'left') {
    throw new ConfigError('tokenizer_config.json: padding_side "left" (context first) is not supported by the reader');
  }
  const added: AddedToken[] = ((tokenizerJson.added_tokens as Json[] | undefined) ?? [])
    .filter((t) => t.normalized !== true && typeof t.content === 'string' && typeof t.id === 'number')
    .map((t) => ({
      id: t.id as number,
      content: t.content as string,
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      singleWord: t.single_word === true,
    }));
  const idOfAdded = new Map(added.map((t) => [t.content, t.id]));
  const idOf = (token: string | undefined) =>
    token === undefined ? undefined : (idOfAdded.get(token) ?? model.idOf(token));

  const clsToken = tokenContent(tokenizerConfig.cls_token);
  const padToken = tokenContent(tokenizerConfig.pad_token);
  const maxLength = tokenizerConfig.model_max_length;

  const unkId = idOf(model.unkToken);

  function subwords(word: Word, out: TokenizedText, wordIndex: number, tokenStrings: string[]): void {
    let units: number[]; // for each unit of the model's alphabet, the index of its code point in the word
    let text: string;
    if (preTokenizer.byteLevel) {
      const { bytes, owner } = utf8WithOwners(word.cps);
      units = owner;
      text = bytes.map((b) => BYTE_TO_CHAR[b]!).join('');
    } else {
      units = word.cps.map((_, i) => i);
      text = String.fromCodePoint(...word.cps);
    }
    const unitText = preTokenizer.byteLevel ? [...text] : word.cps.map((cp) => String.fromCodePoint(cp));
    const tokens = model.tokenize(text);
    let pos = 0;
    tokens.forEach((token, k) => {
      let length: number;
      if (token === model.unkToken && model.kind === 'WordPiece') {
        length = units.length - pos; // WordPiece: an unknown word is one [UNK] for the whole word
      } else if (token === model.unkToken) {
        length = 1;
      } else {
        let piece = token;
        if (k > 0 && model.continuingPrefix && piece.startsWith(model.continuingPrefix)) {
          piece = piece.slice(model.continuingPrefix.length);
        }
        if (model.endOfWordSuffix && k === tokens.length - 1 && piece.endsWith(model.endOfWordSuffix)) {
          piece = piece.slice(0, piece.length - model.endOfWordSuffix.length);
        }
        const pieceUnits = [...piece];
        length = pieceUnits.length;
        for (let j = 0; j < length; j++) {
          if (unitText[pos + j] !== pieceUnits[j]) {
            throw new Error(`tokenizer: token "${token}" does not match the text of its word (reader bug)`);
          }
        }
      }
      if (length <= 0 || pos + length > units.length) {
        throw new Error(`tokenizer: cannot align token "${token}" (reader bug)`);
      }
      const first = units[pos]!;
      const last = units[pos + length - 1]!;
      out.ids.push(idOf(token) ?? unkId ?? 0);
      out.starts.push(word.starts[first]!);
      out.ends.push(word.ends[last]!);
      out.words.push(wordIndex);
      tokenStrings.push(token);
      pos += length;
    });
    if (pos !== units.length) throw new Error('tokenizer: tokens do not cover their word (reader bug)');
  }

  /** tokenizers' ByteLevel process_offsets: drop the spaces (Ġ) a token starts or ends with from its offsets. */
  function trimOffsets(out: TokenizedText, tokenStrings: string[]): void {
    const isSpace = (ch: string) => ch === SPACE_CHAR || isWhitespace(ch.codePointAt(0)!);
    tokenStrings.forEach((token, i) => {
      const chars = [...token];
      let leading = 0;
      while (leading < chars.length && isSpace(chars[leading]!)) leading++;
      let trailing = 0;
      while (trailing < chars.length && isSpace(chars[chars.length - 1 - trailing]!)) trailing++;
      if (leading === 0 && trailing === 0) return;
      let start = out.starts[i]!;
      let end = out.ends[i]!;
      if (leading > 0) {
        const isFirst = i === 0 || start === 0;
        if (!(isFirst && trimming.addPrefixSpace && leading === 1)) start = Math.min(start + leading, end);
      }
      if (trailing > 0 && end >= trailing) end = Math.max(end - trailing, start);
      out.starts[i] = start;
      out.ends[i] = end;
    });
  }

  function encode(text: string): TokenizedText {
    const out: TokenizedText = { ids: [], starts: [], ends: [], words: [] };
    const tokenStrings: string[] = [];
    let wordIndex = 0;
    for (const section of splitAddedTokens(text, added)) {
      if (section.added) {
        out.ids.push(section.added.id);
        out.starts.push(section.start);
        out.ends.push(section.end);
        out.words.push(wordIndex++);
        tokenStrings.push(section.added.content);
        continue;
      }
      const raw = alignedText(text.slice(section.start, section.end));
      const shifted: AlignedText = {
        cps: raw.cps,
        starts: raw.starts.map((s) => s + section.start),
        ends: raw.ends.map((e) => e + section.start),
      };
      for (const word of preTokenizer.split([normalizer(shifted)])) {
        subwords(word, out, wordIndex++, tokenStrings);
      }
    }
    if (trimming.trimOffsets) trimOffsets(out, tokenStrings);
    return out;
  }

  return {
    encode,
    template,
    // tokenizer_config's cls_token; without one, the template's first special token (CLS for BERT and RoBERTa)
    clsTokenId: idOf(clsToken) ?? template.beforeQuestion[0]?.id,
    padTokenId: idOf(padToken) ?? 0,
    modelMaxLength: typeof maxLength === 'number' && maxLength > 0 && maxLength < 1e6 ? maxLength : undefined,
  };
}

/** Code point index -> UTF-16 index of a string (for comparing with Python offsets, which count code points). */
export function utf16Index(text: string): number[] {
  const { starts } = codePoints(text);
  return [...starts, text.length];
}
