/**
 * Hostile files by the thousand (issue 16 §4): seeded mutations of real PDF, DOCX, HTML, Markdown and text files,
 * each converted by the compiled conversion worker pool the ingestor uses (WorkerConversion: per-file time and heap
 * limits). Properties: the parent never crashes, every failure is a named failure kind (never `internal` or an
 * unnamed throw), every success has sane text, and the parent's RSS stays bounded.
 *
 * CI runs 1,000 cases with a fixed seed. The long run: FUZZ_CASES=10000 [FUZZ_SEED=n] [FUZZ_REPORT=file.json]
 * npx vitest run test/reliability/fuzz.test.ts (see docs/reliability.md, "Hostile files").
 * Rebuild one case: fuzzCase(await fuzzSeeds(), seed, index) from test/reliability/helpers/fuzz.ts.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerConversion } from '../../src/ingest/conversion.js';
import { DIST_WORKER } from '../helpers/dist.js';
import { formatSummary, fuzzCase, fuzzSeeds, runFuzz } from './helpers/fuzz.js';

const CASES = Number(process.env.FUZZ_CASES ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const LIMITS = { timeoutMs: 10_000, memoryMb: 256, concurrency: 2 };

describe('hostile files through the conversion workers', () => {
  const conversion = new WorkerConversion(LIMITS, pathToFileURL(DIST_WORKER));
  afterAll(() => conversion.close());

  it('rebuilds a case byte for byte from (seed, index)', async () => {
    const a = fuzzCase(await fuzzSeeds(), SEED, 7);
    const b = fuzzCase(await fuzzSeeds(), SEED, 7);
    expect(b.data.equals(a.data)).toBe(true);
    expect(b.mutations).toEqual(a.mutations);
    expect(fuzzCase(await fuzzSeeds(), SEED, 8).data.equals(a.data)).toBe(false);
  });

  it(
    `${CASES} mutated files: no crash, every failure named, sane text, bounded parent RSS`,
    async () => {
      const seeds = await fuzzSeeds();
      const { summary, results } = await runFuzz({ conversion, seeds, seed: SEED, cases: CASES, parallel: LIMITS.concurrency });
      console.log(formatSummary(summary));
      if (process.env.FUZZ_REPORT) fs.writeFileSync(process.env.FUZZ_REPORT, JSON.stringify({ limits: LIMITS, summary }, null, 2));
      expect(results).toHaveLength(CASES);
      expect(summary.violations).toEqual([]);
      // the mix reaches both sides: files that still convert and files that fail by name
      expect(summary.outcomes.ok ?? 0).toBeGreaterThan(0);
      expect(summary.outcomes.corrupt ?? 0).toBeGreaterThan(0);
      // the workers are threads of this process, so its RSS includes their heaps: bounded by the pool's limits (one
      // more worker than the concurrency: a timed-out worker may still be ending while its replacement starts) plus
      // a fixed allowance, whatever the number of cases
      const bound = summary.rssMiB.before + (LIMITS.concurrency + 1) * (LIMITS.memoryMb + 64 + 64) + 256;
      expect(summary.rssMiB.max).toBeLessThan(bound);
      // the pool still converts a plain file afterwards
      const after = await conversion.convert({ data: Buffer.from('still here'), name: 'after.txt', format: 'text' });
      expect(after.text).toBe('still here');
    },
    Math.max(600_000, CASES * 2_000),
  );
});
