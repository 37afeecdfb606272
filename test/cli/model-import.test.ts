/**
 * `docqa model import`: what it checks before it runs Python (exit 2 with the reason), a missing Python (exit 3 with
 * how to get one), and the command line it gives training/import_model.py. The import itself (ONNX export, int8,
 * tokenizer, manifest, parity with transformers' pipeline, loading the result in docqa's reader) is tested in Python:
 * training/tests/test_import_model.py.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMPORT_SCRIPT, checkCheckpoint, importArgs, modelCommand } from '../../src/cli/commands/model.js';
import { EXIT, exitCodeOf } from '../../src/cli/exit.js';
import { throwOnUsageErrors } from '../../src/cli/usage.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-model-import-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function docqaModel(args: string[]): Promise<unknown> {
  try {
    await throwOnUsageErrors(modelCommand()).parseAsync(args, { from: 'user' });
    return null;
  } catch (err) {
    return err;
  }
}

function checkpoint(files: Record<string, string>): string {
  const ckpt = path.join(dir, 'ckpt');
  fs.mkdirSync(ckpt);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(ckpt, name), text);
  return ckpt;
}

describe('docqa model import', () => {
  it('refuses a missing folder, a folder without config.json, and one without weights (exit 2), before any Python', async () => {
    const missing = await docqaModel(['import', path.join(dir, 'nope'), path.join(dir, 'out')]);
    expect(exitCodeOf(missing)).toBe(EXIT.badInput);
    expect((missing as Error).message).toMatch(/^checkpoint folder not found: /u);

    const noConfig = checkpoint({ 'model.safetensors': 'x' });
    expect(() => checkCheckpoint(noConfig)).toThrow(/has no config\.json/u);
    fs.writeFileSync(path.join(noConfig, 'config.json'), '{}');
    fs.rmSync(path.join(noConfig, 'model.safetensors'));
    const noWeights = await docqaModel(['import', noConfig, path.join(dir, 'out')]);
    expect(exitCodeOf(noWeights)).toBe(EXIT.badInput);
    expect((noWeights as Error).message).toMatch(/has no weights \(model\.safetensors or pytorch_model\.bin\)$/u);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('without the Python it needs says how to get one (exit 3)', async () => {
    const ckpt = checkpoint({ 'config.json': '{}', 'model.safetensors': 'x' });
    const err = await docqaModel(['import', ckpt, path.join(dir, 'out'), '--python', path.join(dir, 'no-python')]);
    expect(exitCodeOf(err)).toBe(EXIT.unavailable);
    expect((err as Error).message).toContain('torch, transformers, onnx and onnxruntime');
    expect((err as Error).message).toContain('--python <path>');
  });

  it('passes the flags on to training/import_model.py', () => {
    expect(importArgs('/c', '/o', {})).toEqual([IMPORT_SCRIPT, '/c', '/o']);
    expect(importArgs('/c', '/o', { name: 'rb', version: '2.0.0', fp32: false, force: true, parityFile: 'f.json', parityN: 20, threads: 4 })).toEqual([
      IMPORT_SCRIPT, '/c', '/o', '--name', 'rb', '--version', '2.0.0', '--no-fp32', '--force', '--parity-file', 'f.json', '--parity-n', '20', '--threads', '4',
    ]);
    expect(fs.existsSync(IMPORT_SCRIPT)).toBe(true);
  });

  it('rejects a bad --parity-n (exit 2)', async () => {
    const ckpt = checkpoint({ 'config.json': '{}', 'model.safetensors': 'x' });
    const err = await docqaModel(['import', ckpt, path.join(dir, 'out'), '--parity-n', '0']);
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
  });
});
