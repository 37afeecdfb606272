/** The composition root: what it derives from the config, the scratch store of eval runs, the HTTP app. */
import fs from 'node:fs';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, DEFAULT_NO_ANSWER_THRESHOLD, loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { Metrics } from '../src/observability/metrics.js';
import { DEFAULT_READ_OPTIONS } from '../src/reader/types.js';
import { openScratchServices, readOptionsOf } from '../src/services.js';
import { makeDoc } from './store/contract.js';
import { TINY_ROBERTA, tempServices } from './helpers/services.js';

const quiet = () => ({ logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }) });

describe('services', () => {
  it("reads with the config's defaults, which the reader's own defaults agree with", () => {
    const fromConfig = readOptionsOf(CONFIG_DEFAULTS);
    expect(fromConfig).toEqual({
      maxSeqLength: DEFAULT_READ_OPTIONS.maxSeqLength,
      docStride: DEFAULT_READ_OPTIONS.docStride,
      maxQuestionLength: DEFAULT_READ_OPTIONS.maxQuestionLength,
      maxAnswerLength: DEFAULT_READ_OPTIONS.maxAnswerLength,
      batchSize: DEFAULT_READ_OPTIONS.batchSize,
    });
  });

  it('reads with the config settings and takes the no-answer threshold from the config, else the model, else the default', async () => {
    const services = await tempServices({ maxSeqLength: 256, docStride: 64 });
    try {
      expect(services.readOptions).toEqual({
        maxSeqLength: 256,
        docStride: 64,
        maxQuestionLength: CONFIG_DEFAULTS.maxQuestionLength,
        maxAnswerLength: CONFIG_DEFAULTS.maxAnswerLength,
        batchSize: CONFIG_DEFAULTS.readerBatchSize,
      });
      const model = (await services.reader()).model;
      expect(await services.noAnswerThreshold()).toEqual(
        model.noAnswerThreshold !== undefined
          ? { value: model.noAnswerThreshold, source: 'model manifest' }
          : { value: DEFAULT_NO_ANSWER_THRESHOLD, source: 'default' },
      );
    } finally {
      await services.cleanup();
    }
    const flagged = await tempServices({ noAnswerThreshold: 0.25 });
    try {
      expect(await flagged.noAnswerThreshold()).toEqual({ value: 0.25, source: 'flag or DOCQA_NO_ANSWER_THRESHOLD' });
    } finally {
      await flagged.cleanup();
    }
  });

  it('builds the HTTP app once, with the store counts on /metrics', async () => {
    const services = await tempServices();
    try {
      const app = await services.httpApp();
      expect(await services.httpApp()).toBe(app);
      const d = makeDoc('a.txt', ['Photosynthesis turns light into chemical energy.']);
      await services.store.writeDocument(d.doc, d.passages);
      const metrics = (await request(app).get('/metrics')).text;
      expect(metrics).toMatch(/^docqa_store_documents 1$/mu);
      expect(metrics).toMatch(/^docqa_store_passages 1$/mu);
    } finally {
      await services.cleanup();
    }
  });

  it('opens a scratch SQLite store in a temporary folder and drops it on close, unless kept', async () => {
    const config = loadConfig({}, { modelDir: TINY_ROBERTA, logLevel: 'silent' });
    const d = makeDoc('a.txt', ['Photosynthesis turns light into chemical energy.']);
    const scratch = await openScratchServices(config, 'eval-x', quiet());
    const dir = /in (.+)$/u.exec(scratch.location)![1]!;
    expect(dir).not.toBe(config.dataDir);
    await scratch.store.writeDocument(d.doc, d.passages);
    expect(fs.existsSync(dir)).toBe(true);
    await scratch.close();
    expect(fs.existsSync(dir)).toBe(false);

    const kept = await openScratchServices(config, 'eval-y', { ...quiet(), keep: true });
    const keptDir = /in (.+)$/u.exec(kept.location)![1]!;
    await kept.store.writeDocument(d.doc, d.passages);
    await kept.close();
    expect(fs.readdirSync(keptDir)).toContain('docqa.sqlite');
    fs.rmSync(keptDir, { recursive: true, force: true });
  });
});
