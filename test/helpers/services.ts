import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, PACKAGE_ROOT, type Config, type ConfigInput } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { openServices, type Services } from '../../src/services.js';

export const TINY_ROBERTA = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'models', 'tiny-roberta-qa');
export const TINY_BERT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'models', 'tiny-bert-qa');
export const CORPUS = path.join(PACKAGE_ROOT, 'corpus');

/** Real services (SQLite in a temp dir, the tiny real ONNX model) for in-process tests. */
export async function tempServices(overrides: ConfigInput = {}): Promise<Services & { dir: string; cleanup(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-test-'));
  const config: Config = loadConfig({}, { dataDir: dir, modelDir: TINY_ROBERTA, logLevel: 'silent', ...overrides });
  const services = await openServices(config, {
    logger: createLogger('silent'),
    metrics: new Metrics({ defaultMetrics: false }),
  });
  return Object.assign(services, {
    dir,
    async cleanup() {
      await services.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}
