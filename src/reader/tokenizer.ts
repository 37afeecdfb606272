/**
 * The reader's tokenizer: a thin adapter on Hugging Face's own tokenizers library (the npm package `tokenizers`,
 * the Rust implementation that transformers' fast tokenizers run), loaded offline from the model folder's
 * tokenizer.json. Every model type, normalizer, pre-tokenizer and post-processor the library reads is supported:
 * WordPiece (BERT), byte-level BPE (RoBERTa), Unigram/SentencePiece (XLM-RoBERTa, ALBERT, DeBERTa-v3)...
 *
 * The adapter encodes texts without special tokens and without truncation; the reader cuts the windows itself
 * (windows.ts) around the special-token template, which is read once by encoding a sample pair. Offsets are turned
 * from the library's code-point indexes into UTF-16 code-unit indexes (JavaScript string indexes), so
 * `text.slice(start, end)` is always the token's source text.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Tokenizer, type Encoding } from 'tokenizers';
import { ConfigError, errorMessage } from '../errors.js';
import type { PairTemplate, SpecialToken } from './windows.js';

/** A tokenized text: parallel arrays, one entry per token. */
export interface TokenizedText {
  ids: number[];
  /** Token source range [start, end) in the text, UTF-16 code units. */
  starts: number[];
  ends: number[];
  /** Index of the word (pre-token) each token comes from; a word's tokens are adjacent. Never shared across a gap. */
  words: number[];
}

/** What the reader needs from a tokenizer. */
export interface PassageTokenizer {
  /** One text, without special tokens. */
  encode(text: string): Promise<TokenizedText>;
  /** Several texts in one call (the library encodes them in parallel); same results as `encode` one by one. */
  encodeAll(texts: readonly string[]): Promise<TokenizedText[]>;
  /** The special tokens of a question/context pair (`[CLS] q [SEP] c [SEP]`, `<s> q </s></s> c </s>`...). */
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

/**
 * Code-point index -> UTF-16 index of a string, or undefined when the two are the same (no astral character).
 * A lone surrogate is one code point here, as in the library, which receives it as U+FFFD.
 */
export function utf16Offsets(text: string): Int32Array | undefined {
  if (!/[\ud800-\udfff]/.test(text)) return undefined;
  const map: number[] = [];
  let i = 0;
  for (const ch of text) {
    map.push(i);
    i += ch.length;
  }
  map.push(i);
  return Int32Array.from(map);
}

function tokenized(text: string, encoding: Encoding): TokenizedText {
  const map = utf16Offsets(text);
  const offsets = encoding.getOffsets();
  const wordIds = encoding.getWordIds();
  const starts = new Array<number>(offsets.length);
  const ends = new Array<number>(offsets.length);
  const words = new Array<number>(offsets.length);
  for (let i = 0; i < offsets.length; i++) {
    const [s, e] = offsets[i]!;
    starts[i] = map ? map[s!]! : s!;
    ends[i] = map ? map[e!]! : e!;
    // a token of no word (none expected without special tokens) is a word of its own
    const w = wordIds[i];
    words[i] = w === null || w === undefined ? -1 - i : w;
  }
  return { ids: encoding.getIds(), starts, ends, words };
}

/** The pair template, read from the library's own encoding of a sample question/context pair. */
export async function pairTemplateOf(tokenizer: Tokenizer): Promise<PairTemplate> {
  const pair = await tokenizer.encode('question', 'context', { addSpecialTokens: true });
  const ids = pair.getIds();
  const typeIds = pair.getTypeIds();
  const sequences = pair.getSequenceIds();
  const parts: SpecialToken[][] = [[], [], []];
  let part = 0;
  let questionTypeId = 0;
  let contextTypeId = 1;
  sequences.forEach((sequence, p) => {
    if (sequence === null || sequence === undefined) {
      parts[part]!.push({ id: ids[p]!, typeId: typeIds[p]! });
    } else if (sequence === 0 && part <= 1) {
      part = 1;
      questionTypeId = typeIds[p]!;
    } else if (sequence === 1 && part >= 1) {
      part = 2;
      contextTypeId = typeIds[p]!;
    } else {
      throw new ConfigError('tokenizer.json: the pair template must put the question (A) before the context (B)');
    }
  });
  if (part !== 2) throw new ConfigError('tokenizer.json: the pair encoding lacks the question or the context');
  return {
    beforeQuestion: parts[0]!,
    betweenQuestionAndContext: parts[1]!,
    afterContext: parts[2]!,
    questionTypeId,
    contextTypeId,
  };
}

const TOKENIZERS_MODULE = createRequire(import.meta.url).resolve('tokenizers');
const loadable = new Set<string>();

/**
 * The library aborts the whole process (a Rust panic, not an exception) on some malformed sections of a
 * tokenizer.json, e.g. a known normalizer type with a missing field. So a file is loaded once in a child process
 * first: an abort there becomes a ConfigError here. Ordinary errors are left to the real load. Files already
 * checked by this process (same content) are not checked again.
 */
async function checkInChildProcess(text: string): Promise<void> {
  const key = createHash('sha256').update(text).digest('hex');
  if (loadable.has(key)) return;
  const script =
    `try { require(${JSON.stringify(TOKENIZERS_MODULE)}).Tokenizer.fromString(require('node:fs').readFileSync(0, 'utf8')) } ` +
    'catch { process.exitCode = 0 }';
  const outcome = await new Promise<{ code: number | null; stderr: string } | undefined>((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', () => resolve(undefined)); // no child process here: the real load is all we have
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  });
  if (outcome && outcome.code !== 0) {
    const lines = outcome.stderr.split('\n');
    const at = lines.findIndex((l) => l.includes('panicked at'));
    const reason = (at >= 0 ? lines[at + 1] : lines.find((l) => l.trim())) ?? `exit code ${outcome.code}`;
    throw new ConfigError(`tokenizer.json cannot be read by Hugging Face tokenizers: ${reason.trim()}`);
  }
  loadable.add(key);
}

/** A PassageTokenizer from tokenizer.json's content and tokenizer_config.json. */
export async function createPassageTokenizer(tokenizerJson: Json, tokenizerConfig: Json): Promise<PassageTokenizer> {
  if (tokenizerConfig.padding_side === 'left') {
    throw new ConfigError('tokenizer_config.json: padding_side "left" (context first) is not supported by the reader');
  }
  const text = JSON.stringify(tokenizerJson);
  await checkInChildProcess(text);
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromString(text);
  } catch (err) {
    throw new ConfigError(`tokenizer.json cannot be read by Hugging Face tokenizers: ${errorMessage(err)}`);
  }
  // the reader windows the context itself: truncation or padding preset in the file would cut or pad every text
  tokenizer.disableTruncation();
  tokenizer.disablePadding();
  const template = await pairTemplateOf(tokenizer);

  const idOf = (token: string | undefined) => (token === undefined ? undefined : (tokenizer.tokenToId(token) ?? undefined));
  const padFromFile = (tokenizerJson.padding as Json | null | undefined)?.pad_id;
  const maxLength = tokenizerConfig.model_max_length;
  const options = { addSpecialTokens: false };

  return {
    async encode(text) {
      return tokenized(text, await tokenizer.encode(text, null, options));
    },
    async encodeAll(texts) {
      if (texts.length === 0) return [];
      const encodings = await tokenizer.encodeBatch([...texts], options);
      return encodings.map((e, i) => tokenized(texts[i]!, e));
    },
    template,
    // tokenizer_config's cls_token; without one, the template's first special token (CLS for BERT and RoBERTa)
    clsTokenId: idOf(tokenContent(tokenizerConfig.cls_token)) ?? template.beforeQuestion[0]?.id,
    padTokenId: idOf(tokenContent(tokenizerConfig.pad_token)) ?? (typeof padFromFile === 'number' ? padFromFile : 0),
    modelMaxLength: typeof maxLength === 'number' && maxLength > 0 && maxLength < 1e6 ? maxLength : undefined,
  };
}
