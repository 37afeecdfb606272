/** Connection settings, the client built from them, and the one place Elasticsearch errors become docqa errors. */
import fs from 'node:fs';
import { Client, errors } from '@elastic/elasticsearch';
import { esNodeUrls, type Config } from '../../config.js';
import { BadInputError, ConfigError, DocqaError, UnavailableError, errorMessage } from '../../errors.js';

export interface ConnectionOptions {
  /**
   * e.g. http://127.0.0.1:9200 or https://es.example.com:9243; several nodes of one cluster comma-separated (the
   * client spreads requests over them and retries a request that failed to connect on another node).
   */
  url: string;
  /** Base64 API key (the `encoded` value Elasticsearch returns). Wins over username/password. */
  apiKey?: string;
  username?: string;
  password?: string;
  /** PEM file of the CA that signed the server's certificate (self-signed clusters). */
  caFile?: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Retries of the transport itself (connection errors, 502/503/504). */
  maxRetries?: number;
}

type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;

/** The connection settings of docqa's config (the document store and the query log connect alike). */
export function connectionOptions(config: Config): ConnectionOptions {
  return {
    url: config.esUrl,
    apiKey: config.esApiKey,
    username: config.esUsername,
    password: config.esPassword,
    caFile: config.esCaFile,
    timeoutMs: config.esTimeoutMs,
  };
}

export function createClient(options: ConnectionOptions): Client {
  const nodes = esNodeUrls(options.url).map((u) => {
    try {
      return new URL(u).toString();
    } catch {
      throw new ConfigError(`invalid setting DOCQA_ES_URL (esUrl): not a URL: ${u}`);
    }
  });
  if (nodes.length === 0) throw new ConfigError(`invalid setting DOCQA_ES_URL (esUrl): not a URL: ${options.url}`);
  const clientOptions: ClientOptions = {
    node: nodes.length === 1 ? nodes[0] : nodes,
    requestTimeout: options.timeoutMs,
    maxRetries: options.maxRetries ?? 2,
    name: 'docqa',
  };
  if (options.apiKey) {
    clientOptions.auth = { apiKey: options.apiKey };
  } else if (options.username !== undefined || options.password !== undefined) {
    if (!options.username || options.password === undefined) {
      throw new ConfigError('DOCQA_ES_USERNAME (esUsername) and DOCQA_ES_PASSWORD (esPassword) go together');
    }
    clientOptions.auth = { username: options.username, password: options.password };
  }
  if (options.caFile) {
    let ca: Buffer;
    try {
      ca = fs.readFileSync(options.caFile);
    } catch (err) {
      throw new ConfigError(`invalid setting DOCQA_ES_CA_FILE (esCaFile): cannot read ${options.caFile}: ${errorMessage(err)}`);
    }
    clientOptions.tls = { ca };
  }
  return new Client(clientOptions);
}

/** The `type` of an Elasticsearch error response (e.g. index_not_found_exception), when there is one. */
export function errorType(err: unknown): string | undefined {
  if (!(err instanceof errors.ResponseError)) return undefined;
  const body = err.body as { error?: { type?: string } | string } | undefined;
  return typeof body?.error === 'object' ? body.error.type : undefined;
}

interface EsErrorBody {
  type?: string;
  reason?: string;
  caused_by?: EsErrorBody;
}

/** `type: reason` of an error response, with the innermost cause (where the useful detail usually is). */
function reason(err: errors.ResponseError): string {
  const body = err.body as { error?: EsErrorBody | string } | string | undefined;
  if (typeof body === 'string') return body.slice(0, 300);
  if (typeof body?.error === 'string') return body.error;
  const top = body?.error;
  if (!top) return err.message;
  let root = top;
  while (root.caused_by) root = root.caused_by;
  const text = `${top.type ?? 'error'}: ${top.reason ?? ''}`.trim();
  return root === top ? text : `${text} (caused by ${root.type ?? 'error'}: ${root.reason ?? ''})`;
}

/** Connection failures, timeouts, overload and server errors: worth retrying, and a 503 for API callers. */
export function isTransient(err: unknown): boolean {
  if (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError
  ) {
    return true;
  }
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    return status === 429 || status >= 500;
  }
  return false;
}

/**
 * Turns what the client threw into a typed docqa error. `action` says what the store was doing, `url` where.
 * Unreachable, overloaded, failing or misconfigured servers are UnavailableError (HTTP 503); a request the server
 * rejected as malformed is BadInputError; anything else is an internal DocqaError.
 */
export function toStoreError(err: unknown, action: string, url: string): Error {
  if (err instanceof DocqaError) return err;
  const where = `Elasticsearch at ${url}`;
  if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) {
    return new UnavailableError(`${where} is unreachable (${action}): ${err.message}`, { cause: err });
  }
  if (err instanceof errors.TimeoutError || err instanceof errors.RequestAbortedError) {
    return new UnavailableError(`${where} did not answer in time (${action}): ${err.message}`, { cause: err });
  }
  if (err instanceof errors.ProductNotSupportedError) {
    return new UnavailableError(`the server at ${url} is not Elasticsearch (${action})`, { cause: err });
  }
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    const text = reason(err);
    if (status === 401) {
      return new UnavailableError(
        `${where} rejected the credentials (${action}): check DOCQA_ES_API_KEY or DOCQA_ES_USERNAME/DOCQA_ES_PASSWORD`,
        { cause: err },
      );
    }
    if (status === 403) {
      return new UnavailableError(`${where} refused permission (${action}): ${text}`, { cause: err });
    }
    if (status === 429 || status >= 500) {
      return new UnavailableError(`${where} failed (${action}, HTTP ${status}): ${text}`, { cause: err });
    }
    if (errorType(err) === 'index_not_found_exception') {
      return new UnavailableError(`${where} has no docqa index (${action}): ${text}`, { cause: err });
    }
    if (status === 400 && /compatible-with|media[_ ]type/i.test(text)) {
      return new UnavailableError(
        `${where} does not speak the version 9 API (${action}): docqa needs an Elasticsearch 9 server (${text})`,
        { cause: err },
      );
    }
    if (status === 400) return new BadInputError(`Elasticsearch rejected the request (${action}): ${text}`);
    return new DocqaError('internal', `Elasticsearch error (${action}, HTTP ${status}): ${text}`, undefined, {
      cause: err,
    });
  }
  return new DocqaError('internal', `Elasticsearch client error (${action}): ${errorMessage(err)}`, undefined, {
    cause: err,
  });
}
