/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas the routes validate with (one source of
 * truth) by @asteasolutions/zod-to-openapi.
 *
 * Each route module declares its own operations beside its handlers, as an `ApiOperations` function
 * (e.g. `askOperations` in routes/ask.ts), and lists it in ROUTE_OPERATIONS below. test/api/openapi.test.ts fails
 * when the app has a route the document lacks (or the other way round), when a reply does not match its declared
 * status and schema, and when the document is not valid OpenAPI 3.1.
 */
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import type { z } from 'zod';
import { errorReplySchema } from './replies.js';

export type { RouteConfig };

/** What a route module exports: it declares its operations (paths, request and reply schemas) in the registry. */
export type ApiOperations = (api: ApiRegistry) => void;

/** Names of the security schemes (a key as `Authorization: Bearer <key>` or `X-API-Key: <key>`). */
export const SECURITY_SCHEMES = ['bearerKey', 'headerKey'] as const;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `error.field` names the field',
  401: 'Missing or invalid API key',
  403: 'The API key lacks the scope this operation needs',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Ambiguous: several documents have that name (the message lists their sources)',
  413: 'Request body too large',
  415: 'Unsupported content type',
  429: 'Too many requests: wait `Retry-After` seconds',
  503: 'A dependency (store, model) is unavailable or the service is overloaded',
};

/** The registry route modules declare their operations in, with helpers for docqa's common shapes. */
export class ApiRegistry {
  readonly registry = new OpenAPIRegistry();

  /**
   * Declares one operation. `auth` (the default for /v1 paths: the scope it needs) lists the API key schemes, the
   * scope, and the 401 and 403 replies.
   */
  operation(route: RouteConfig & { auth?: string | false }): void {
    const { auth = route.path.startsWith('/v1/') ? 'a key' : false, ...rest } = route;
    if (!auth) return void this.registry.registerPath(rest);
    this.registry.registerPath({
      ...rest,
      description: [rest.description, `Needs ${auth === 'a key' ? 'an API key' : `a key with the scope ${auth}`} when docqa runs with API keys.`]
        .filter(Boolean)
        .join('\n\n'),
      security: [...SECURITY_SCHEMES.map((s) => ({ [s]: [] })), {}],
      responses: { ...rest.responses, ...this.errors(401, 403) },
    });
  }

  /** Registers a schema under components/schemas/<name> (so it is shared by $ref, and named in generated clients). */
  schema<T extends z.ZodType>(name: string, schema: T): T {
    return schema.meta({ ...schema.meta(), id: name }) as T;
  }

  /** A JSON reply of `schema`. */
  json(description: string, schema: z.ZodType): ResponseConfig {
    return { description, content: { 'application/json': { schema } } };
  }

  /** docqa's error replies (`{error: {code, message, field?}}`) for the given statuses, plus 500. */
  errors(...statuses: number[]): Record<string, ResponseConfig> {
    const replies: Record<string, ResponseConfig> = {};
    for (const status of [...statuses, 500]) {
      replies[String(status)] = this.json(ERROR_DESCRIPTIONS[status] ?? 'Internal error (details are in the log)', errorReplySchema);
    }
    return replies;
  }
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** The OpenAPI 3.1 document of the given route modules' operations. */
export function openApiDocument(modules: ApiOperations[], info: OpenApiInfo): OpenAPIObject {
  const api = new ApiRegistry();
  api.registry.registerComponent('securitySchemes', 'bearerKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key as `Authorization: Bearer <key>` (needed when docqa runs with API keys).',
  });
  api.registry.registerComponent('securitySchemes', 'headerKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key as `X-API-Key: <key>` (needed when docqa runs with API keys).',
  });
  for (const declare of modules) declare(api);
  return new OpenApiGeneratorV31(api.registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { ...info },
    servers: [{ url: '/' }],
  });
}

/** An Express route path (`/v1/documents/:id`) as an OpenAPI path (`/v1/documents/{id}`). */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/gu, '{$1}');
}
