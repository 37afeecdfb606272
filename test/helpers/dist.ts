/** The compiled CLI and conversion worker; test/global-setup.ts builds dist/ once before every test run. */
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/config.js';

export const DIST_CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
export const DIST_WORKER = path.join(PACKAGE_ROOT, 'dist', 'ingest', 'conversion-worker.js');
