import { BadInputError, DocqaError } from '../errors.js';

/**
 * Why a file could not be ingested, as a small closed set: it labels the `docqa_ingest_failures_total` metric and
 * groups the failures of a batch report. The human-readable message says the rest.
 */
export const FAILURE_KINDS = [
  /** Over the size limit (maxFileBytes / maxUploadBytes). */
  'too_large',
  /** No converter for its extension or media type. */
  'unsupported_type',
  /** No text at all (empty file, whitespace only). */
  'empty',
  /** A paginated document whose pages carry no text: most likely a scan that needs OCR. */
  'no_text_layer',
  /** Binary bytes behind a text extension. */
  'binary',
  /** Not a valid file of its format (damaged, truncated, not a zip, not a PDF). */
  'corrupt',
  /** Password-protected. */
  'encrypted',
  /** An archive that would inflate beyond the limits. */
  'zip_bomb',
  /** Conversion did not finish within fileTimeoutMs. */
  'timeout',
  /** Conversion exceeded its memory limit. */
  'out_of_memory',
  /** The conversion worker died for another reason. */
  'converter_crashed',
  /** The file could not be read from disk. */
  'unreadable_file',
  /** Other invalid input (a bad name, bad metadata). */
  'invalid',
  /** A bug: anything not classified above. */
  'internal',
] as const;

export type FailureKind = (typeof FAILURE_KINDS)[number];

/** A file docqa cannot turn into text; the message starts with the file's name and says why. */
export class UnreadableDocumentError extends BadInputError {
  constructor(
    name: string,
    readonly kind: FailureKind,
    reason: string,
  ) {
    super(`${name}: ${reason}`, 'file', { reason: kind });
  }
}

function isFailureKind(value: unknown): value is FailureKind {
  return typeof value === 'string' && (FAILURE_KINDS as readonly string[]).includes(value);
}

/** The failure kind of any error thrown while ingesting one file. */
export function failureKindOf(err: unknown): FailureKind {
  if (!(err instanceof DocqaError)) return 'internal';
  if (isFailureKind(err.details?.reason)) return err.details.reason;
  switch (err.code) {
    case 'too_large':
      return 'too_large';
    case 'unsupported_media_type':
      return 'unsupported_type';
    case 'bad_input':
      return 'invalid';
    default:
      return 'internal';
  }
}
