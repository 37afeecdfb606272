import path from 'node:path';
import express, { Router } from 'express';
import { PACKAGE_ROOT } from '../../config.js';
import type { ApiOperations } from '../openapi.js';

/** The web page's files: plain HTML, CSS and JavaScript modules, served as they are (no build step, no CDN). */
export const WEB_DIR = path.join(PACKAGE_ROOT, 'web');

export const webOperations: ApiOperations = (api) => {
  api.operation({
    method: 'get',
    path: '/',
    operationId: 'webPage',
    tags: ['web'],
    summary: 'The web page: ask, upload, list and delete documents, feedback, operator view',
    responses: { 200: { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
  });
};

/** GET / (the page) and its assets under /web/. */
export function webRoutes(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.sendFile(path.join(WEB_DIR, 'index.html'));
  });
  router.use('/web', express.static(WEB_DIR, { index: false, fallthrough: true, maxAge: '5m' }));
  return router;
}
