import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnreadableDocumentError } from '../../src/documents/failure.js';
import { InlineConversion, SizeLanes, TEXT_BYTES_CHARS, WorkerConversion } from '../../src/ingest/conversion.js';
import { PiecedText } from '../../src/documents/pieced-text.js';
import { layoutSlice } from '../../src/documents/prepare.js';
import { COPY_SLICE_BYTES } from '../../src/util/event-loop.js';
import { DocqaError } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/config.js';
import { renderPdf, squadArticle } from '../fixtures/documents/render.js';
import { DIST_WORKER } from '../helpers/dist.js';

const MISBEHAVING = pathToFileURL(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'documents', 'workers', 'misbehaving.mjs'));

async function kindOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DocqaError);
  return err instanceof UnreadableDocumentError ? err.kind : String((err as DocqaError).details?.reason ?? (err as DocqaError).code);
}

describe('WorkerConversion: a pool of worker threads with a per-file time and memory limit', () => {
  const pool = new WorkerConversion({ timeoutMs: 1500, memoryMb: 64, concurrency: 2 }, MISBEHAVING);
  afterAll(() => pool.close());
  const convert = (name: string) => pool.convert({ data: Buffer.from('x'), name, format: 'text' });

  it('converts, and a file that hangs is stopped at the timeout while the other lane goes on', async () => {
    const hanging = convert('hang.pdf');
    const others = await Promise.all(['a.txt', 'b.txt', 'c.txt'].map(convert));
    expect(others.map((d) => d.text)).toEqual(['text of a.txt', 'text of b.txt', 'text of c.txt']);
    const err = await hanging.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreadableDocumentError);
    expect((err as UnreadableDocumentError).kind).toBe('timeout');
    expect((err as Error).message).toBe('hang.pdf: conversion did not finish within 1500 ms (fileTimeoutMs); gave up');
    // the killed worker is replaced
    expect((await convert('after.txt')).text).toBe('text of after.txt');
  });

  it('fails a file that exhausts the heap limit, or crashes its worker, alone', async () => {
    // a generous timeout: on a loaded machine filling 64 MiB can take longer than the other tests' 1.5 s,
    // and only the memory limit may stop this worker
    const roomy = new WorkerConversion({ timeoutMs: 120_000, memoryMb: 64, concurrency: 2 }, MISBEHAVING);
    const results = await Promise.all(
      ['oom.docx', 'crash.pdf', 'throw.pdf', 'fail.pdf', 'fine.txt'].map((n) =>
        roomy.convert({ data: Buffer.from('x'), name: n, format: 'text' }).then((d) => d.text, (e: unknown) => e),
      ),
    );
    await roomy.close();
    expect((results[0] as UnreadableDocumentError).kind).toBe('out_of_memory');
    expect((results[0] as Error).message).toBe('oom.docx: conversion ran out of memory (limit 64 MiB, fileMemoryMb)');
    expect((results[1] as UnreadableDocumentError).kind).toBe('converter_crashed');
    expect((results[1] as Error).message).toMatch(/^crash\.pdf: the converter exited \(code 7\)$/u);
    expect((results[2] as UnreadableDocumentError).kind).toBe('converter_crashed');
    expect((results[2] as Error).message).toMatch(/^throw\.pdf: the converter crashed \(boom\)$/u);
    expect(results[3]).toBeInstanceOf(DocqaError);
    expect((results[3] as DocqaError).details).toEqual({ reason: 'corrupt' });
    expect(results[4]).toBe('text of fine.txt');
  });

  it('rejects work after close', async () => {
    const p = new WorkerConversion({ timeoutMs: 1000, memoryMb: 64, concurrency: 1 }, MISBEHAVING);
    expect((await p.convert({ data: Buffer.from('x'), name: 'x.txt', format: 'text' })).text).toBe('text of x.txt');
    await p.close();
    await expect(p.convert({ data: Buffer.from('x'), name: 'y.txt', format: 'text' })).rejects.toThrow(/closed/u);
  });
});

describe('the compiled conversion worker (dist/) converts real files', () => {

  it('returns the same document as converting in-process, and the same typed failures', async () => {
    const pool = new WorkerConversion({ timeoutMs: 60_000, memoryMb: 512, concurrency: 1 }, pathToFileURL(DIST_WORKER));
    try {
      const pdf = Buffer.from((await renderPdf(squadArticle('Normans').paragraphs.slice(0, 8), { footer: (n) => `${n}` })).bytes);
      const viaWorker = await pool.convert({ data: pdf, name: 'normans.pdf', format: 'pdf' });
      const inline = await new InlineConversion(60_000).convert({ data: pdf, name: 'normans.pdf', format: 'pdf' });
      expect(viaWorker).toEqual(inline);
      expect(viaWorker.pages.length).toBeGreaterThan(1);
      expect(await kindOf(pool.convert({ data: Buffer.from('%PDF-1.4 nonsense'), name: 'bad.pdf', format: 'pdf' }))).toBe('corrupt');
      expect(await kindOf(pool.convert({ data: Buffer.from([0, 1, 2, 3, 0]), name: 'bin.txt', format: 'text' }))).toBe('binary');
    } finally {
      await pool.close();
    }
  });

  it('sends a big text back as bytes decoded in slices: the same text, layout and passages, the caller\'s buffer intact', async () => {
    const pool = new WorkerConversion({ timeoutMs: 60_000, memoryMb: 512, concurrency: 1 }, pathToFileURL(DIST_WORKER));
    try {
      // over TEXT_BYTES_CHARS characters and COPY_SLICE_BYTES bytes, with characters of 2, 3 and 4 UTF-8 bytes
      // everywhere (so some straddle the decoder's 1 MiB slices)
      const paragraphs = squadArticle('Normans').paragraphs.map((p) => `${p} Ærø – Gödel ≠ 東京 𝄞 naïve.`);
      let text = '';
      while (text.length < TEXT_BYTES_CHARS || Buffer.byteLength(text) <= COPY_SLICE_BYTES) text += `${paragraphs.join('\n\n')}\n\n`;
      const data = Buffer.from(text, 'utf8');
      expect(data.length).toBeGreaterThan(COPY_SLICE_BYTES);
      const copyOfData = Buffer.from(data);
      const split = { words: 120, overlap: 20 };
      const viaWorker = await pool.convert({ data, name: 'big.txt', format: 'text', split });
      const inline = await new InlineConversion(60_000).convert({ data, name: 'big.txt', format: 'text', split });
      expect(data.equals(copyOfData)).toBe(true); // transferred a copy, not the caller's bytes
      expect(viaWorker.text).toBeInstanceOf(PiecedText);
      expect(typeof inline.text).toBe('string');
      expect(viaWorker.text.length).toBe(inline.text.length);
      expect(viaWorker.text.toString() === inline.text).toBe(true);
      expect(viaWorker.layout!.contentId).toBe(inline.layout!.contentId);
      const id = inline.layout!.contentId;
      const n = inline.layout!.starts.length;
      expect(n).toBeGreaterThan(1000);
      expect(layoutSlice(id, viaWorker.text, viaWorker.layout!, 0, n)).toEqual(layoutSlice(id, inline.text, inline.layout!, 0, n));
    } finally {
      await pool.close();
    }
  });
});

describe('SizeLanes: small files are not stuck behind big, slow conversions', () => {
  it('answers a small file while every big-file worker is busy, and keeps each lane working', async () => {
    const large = new WorkerConversion({ timeoutMs: 3000, memoryMb: 64, concurrency: 1 }, MISBEHAVING);
    const small = new WorkerConversion({ timeoutMs: 3000, memoryMb: 64, concurrency: 1 }, MISBEHAVING);
    const lanes = new SizeLanes(small, large, 100);
    try {
      const big = Buffer.alloc(1000, 'x');
      // the only big-file worker hangs until its timeout, and another big file waits behind it
      const hanging = lanes.convert({ data: big, name: 'hang-big.pdf', format: 'text' }).catch((e: unknown) => e);
      const queued = lanes.convert({ data: big, name: 'big.txt', format: 'text' });
      let bigDone = false;
      void queued.then(() => (bigDone = true));
      const tiny = await lanes.convert({ data: Buffer.from('44 bytes'), name: 'tiny.txt', format: 'text' });
      expect(tiny.text).toBe('text of tiny.txt');
      expect(bigDone).toBe(false); // the small file did not wait for the big lane
      expect(((await hanging) as UnreadableDocumentError).kind).toBe('timeout');
      expect((await queued).text).toBe('text of big.txt');
    } finally {
      await lanes.close();
    }
  });
});
