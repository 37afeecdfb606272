import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import { z } from 'zod';
import { WEB_DIR } from './web.js';
import type { ApiOperations } from '../openapi.js';

/** swagger-ui-dist's folder in node_modules: /docs is served offline from it (no CDN). */
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

/** The outline of an OpenAPI document (its full schema is the OpenAPI specification's). */
const OPENAPI_OBJECT = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

export const docsOperations: ApiOperations = (api) => {
  api.operation({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tags: ['web'],
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: { description: 'The OpenAPI document', content: { 'application/json': { schema: OPENAPI_OBJECT } } } },
  });
  api.operation({
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tags: ['web'],
    summary: 'Interactive API documentation (Swagger UI, served from node_modules)',
    responses: { 200: { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
  });
};

/** GET /openapi.json (the given document) and the interactive documentation at /docs. */
export function docsRoutes(document: OpenAPIObject): Router {
  const router = Router();
  const body = JSON.stringify(document);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  router.get('/docs', (_req, res) => {
    res.sendFile(path.join(WEB_DIR, 'docs.html'));
  });
  const assets = express.static(SWAGGER_UI_DIR, { index: false, fallthrough: true, maxAge: '1h' });
  router.use('/docs/assets', (req, res, next) => {
    if (!SWAGGER_UI_FILES.has(req.path.slice(1))) return next();
    assets(req, res, next);
  });
  return router;
}
