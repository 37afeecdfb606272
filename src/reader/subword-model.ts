/**
 * The subword model (vocabulary + WordPiece/BPE algorithm) of a tokenizer.json, built by transformers.js
 * (@huggingface/transformers) from the JSON already read from the model folder: nothing is fetched.
 */
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { ConfigError, errorMessage } from '../errors.js';
import type { SubwordModel } from './tokenizer.js';

type Json = Record<string, unknown>;

interface TransformersModel {
  (tokens: string[]): string[];
  tokens_to_ids: Map<string, number>;
  unk_token?: string;
  config: Json;
}

export function subwordModel(tokenizerJson: Json, tokenizerConfig: Json): SubwordModel {
  const modelConfig = (tokenizerJson.model ?? {}) as Json;
  const kind = modelConfig.type;
  if (kind !== 'WordPiece' && kind !== 'BPE') {
    throw new ConfigError(
      `tokenizer.json: model type "${String(kind)}" is not supported by the reader (supported: WordPiece, BPE)`,
    );
  }
  let tokenizer: PreTrainedTokenizer;
  try {
    tokenizer = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig);
  } catch (err) {
    throw new ConfigError(`tokenizer.json: transformers.js cannot build the tokenizer: ${errorMessage(err)}`);
  }
  const model = (tokenizer as unknown as { _tokenizer: { model: TransformersModel } })._tokenizer.model;
  const prefix = modelConfig.continuing_subword_prefix;
  const suffix = modelConfig.end_of_word_suffix;
  // natural text repeats its words: remember their tokens (bounded)
  const cache = new Map<string, string[]>();
  const tokenize = (word: string) => {
    let tokens = cache.get(word);
    if (tokens === undefined) {
      tokens = model([word]);
      if (cache.size >= 50_000) cache.clear();
      cache.set(word, tokens);
    }
    return tokens;
  };
  return {
    kind,
    tokenize,
    idOf: (token) => model.tokens_to_ids.get(token),
    unkToken: typeof modelConfig.unk_token === 'string' ? modelConfig.unk_token : undefined,
    continuingPrefix: typeof prefix === 'string' && prefix.length > 0 ? prefix : undefined,
    endOfWordSuffix: typeof suffix === 'string' && suffix.length > 0 ? suffix : undefined,
  };
}
