/**
 * Every route module's OpenAPI operations, in the order the document lists them. A route module that adds routes
 * adds its `ApiOperations` here (test/api/openapi.test.ts fails when the app has a route the document lacks).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import { PACKAGE_ROOT } from '../config.js';
import { openApiDocument, type ApiOperations } from './openapi.js';
import { askOperations } from './routes/ask.js';
import { docsOperations } from './routes/docs.js';
import { documentOperations } from './routes/documents.js';
import { feedbackOperations } from './routes/feedback.js';
import { healthOperations } from './routes/health.js';
import { monitorOperations } from './routes/monitor.js';
import { webOperations } from './routes/web.js';

export const ROUTE_OPERATIONS: ApiOperations[] = [
  askOperations,
  feedbackOperations,
  documentOperations,
  healthOperations,
  monitorOperations,
  docsOperations,
  webOperations,
];

let cached: OpenAPIObject | undefined;

/** docqa's OpenAPI document (built once). */
export function apiDocument(): OpenAPIObject {
  if (cached) return cached;
  const { version } = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return (cached = openApiDocument(ROUTE_OPERATIONS, {
    title: 'docqa',
    version,
    description:
      'Extractive question answering over your own documents: upload documents, ask questions, get answers traced ' +
      'to the exact characters and page of their document, with a confidence, or a reasoned "no answer". Errors are ' +
      '`{error: {code, message, field?}}`. When docqa runs with API keys, /v1 needs one (Bearer or X-API-Key).',
  }));
}
