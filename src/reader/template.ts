/**
 * The special-token template of a question/context pair, derived from tokenizer.json's `post_processor`
 * (RoBERTa: `<s> q </s></s> c </s>`, BERT: `[CLS] q [SEP] c [SEP]` with token_type_ids 0/1), and whether
 * byte-level offsets are trimmed of their leading/trailing spaces.
 */
import { ConfigError } from '../errors.js';

export interface SpecialToken {
  id: number;
  typeId: number;
}

export interface PairTemplate {
  beforeQuestion: SpecialToken[];
  betweenQuestionAndContext: SpecialToken[];
  afterContext: SpecialToken[];
  questionTypeId: number;
  contextTypeId: number;
}

export interface OffsetTrimming {
  /** Byte-level `trim_offsets`: offsets exclude the spaces a token starts or ends with. */
  trimOffsets: boolean;
  addPrefixSpace: boolean;
}

type Json = Record<string, unknown>;

export function specialTokenCount(t: PairTemplate): number {
  return t.beforeQuestion.length + t.betweenQuestionAndContext.length + t.afterContext.length;
}

function pairOf(value: unknown, what: string): SpecialToken {
  if (Array.isArray(value) && typeof value[1] === 'number') return { id: value[1], typeId: 0 };
  throw new ConfigError(`tokenizer.json: post_processor ${what} must be [token, id]`);
}

function fromTemplateProcessing(c: Json): PairTemplate {
  const pair = c.pair as unknown[] | undefined;
  const specials = (c.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
  if (!Array.isArray(pair)) throw new ConfigError('tokenizer.json: TemplateProcessing without a "pair" template');
  const parts: SpecialToken[][] = [[], [], []];
  let part = 0;
  let questionTypeId = 0;
  let contextTypeId = 1;
  for (const piece of pair as Json[]) {
    if (piece.Sequence) {
      const seq = piece.Sequence as { id: string; type_id?: number };
      if (seq.id === 'A' && part === 0) {
        questionTypeId = seq.type_id ?? 0;
        part = 1;
      } else if (seq.id === 'B' && part === 1) {
        contextTypeId = seq.type_id ?? 1;
        part = 2;
      } else {
        throw new ConfigError('tokenizer.json: the pair template must put sequence A (question) before B (context)');
      }
    } else if (piece.SpecialToken) {
      const sp = piece.SpecialToken as { id: string; type_id?: number };
      const ids = specials[sp.id]?.ids;
      if (!ids) throw new ConfigError(`tokenizer.json: the pair template names an unknown special token "${sp.id}"`);
      for (const id of ids) parts[part]!.push({ id, typeId: sp.type_id ?? 0 });
    }
  }
  if (part !== 2) throw new ConfigError('tokenizer.json: the pair template lacks sequence A or B');
  return {
    beforeQuestion: parts[0]!,
    betweenQuestionAndContext: parts[1]!,
    afterContext: parts[2]!,
    questionTypeId,
    contextTypeId,
  };
}

const PLAIN: PairTemplate = {
  beforeQuestion: [],
  betweenQuestionAndContext: [],
  afterContext: [],
  questionTypeId: 0,
  contextTypeId: 1,
};

/** The pair template a tokenizer.json `post_processor` describes. */
export function pairTemplate(postProcessor: unknown): PairTemplate {
  const c = postProcessor as Json | null | undefined;
  if (c === null || c === undefined) return PLAIN;
  switch (c.type) {
    case 'RobertaProcessing': {
      const cls = pairOf(c.cls, 'cls');
      const sep = pairOf(c.sep, 'sep');
      return {
        beforeQuestion: [cls],
        betweenQuestionAndContext: [sep, sep],
        afterContext: [sep],
        questionTypeId: 0,
        contextTypeId: 0,
      };
    }
    case 'BertProcessing': {
      const cls = pairOf(c.cls, 'cls');
      const sep = pairOf(c.sep, 'sep');
      return {
        beforeQuestion: [cls],
        betweenQuestionAndContext: [sep],
        afterContext: [{ id: sep.id, typeId: 1 }],
        questionTypeId: 0,
        contextTypeId: 1,
      };
    }
    case 'TemplateProcessing':
      return fromTemplateProcessing(c);
    case 'ByteLevel':
      return PLAIN;
    case 'Sequence': {
      const templates = ((c.processors as unknown[]) ?? []).filter(
        (p) => (p as Json | null)?.type !== 'ByteLevel',
      );
      if (templates.length > 1) throw new ConfigError('tokenizer.json: more than one special-token post_processor');
      return templates.length === 1 ? pairTemplate(templates[0]) : PLAIN;
    }
    default:
      throw new ConfigError(`tokenizer.json: post_processor "${String(c.type)}" is not supported by the reader`);
  }
}

/** Whether (and how) byte-level offsets are trimmed, from the `post_processor`. */
export function offsetTrimming(postProcessor: unknown): OffsetTrimming {
  const c = postProcessor as Json | null | undefined;
  if (!c) return { trimOffsets: false, addPrefixSpace: false };
  if (c.type === 'RobertaProcessing' || c.type === 'ByteLevel') {
    return { trimOffsets: c.trim_offsets !== false, addPrefixSpace: c.add_prefix_space !== false };
  }
  if (c.type === 'Sequence') {
    for (const p of (c.processors as unknown[]) ?? []) {
      const t = offsetTrimming(p);
      if (t.trimOffsets) return t;
    }
  }
  return { trimOffsets: false, addPrefixSpace: false };
}
