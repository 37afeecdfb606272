import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError } from '../../src/errors.js';
import { loadReader } from '../../src/reader/index.js';
import { loadTokenizer } from '../../src/reader/model-folder.js';
import { checkInputs, outputPlan } from '../../src/reader/session.js';
import { TINY_BERT } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the tiny BERT folder named `name`, changed by `edit`. */
function folder(name: string, edit: (dir: string) => void = () => {}): string {
  const parent = mkdtempSync(path.join(tmpdir(), 'docqa-reader-'));
  dirs.push(parent);
  const dir = path.join(parent, name);
  cpSync(TINY_BERT, dir, { recursive: true });
  edit(dir);
  return dir;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('model folder', () => {
  it('reads name, version and sha256 from manifest.json', async () => {
    const reader = await loadReader({ modelDir: TINY_BERT });
    const manifest = JSON.parse(readFileSync(path.join(TINY_BERT, 'manifest.json'), 'utf8'));
    expect(reader.model).toMatchObject({
      name: manifest.name,
      version: manifest.version,
      dir: TINY_BERT,
      file: 'model.onnx',
      sha256: manifest.files['model.onnx'],
    });
    expect(reader.model.noAnswerThreshold).toBeUndefined();
    await reader.close();
  });

  it('without manifest: the folder name, "unversioned" and the computed sha256', async () => {
    const dir = folder('my-model', (d) => rmSync(path.join(d, 'manifest.json')));
    const reader = await loadReader({ modelDir: dir });
    expect(reader.model).toEqual({
      name: 'my-model',
      version: 'unversioned',
      dir,
      file: 'model.onnx',
      sha256: sha256(path.join(dir, 'model.onnx')),
    });
    await reader.close();
  });

  it('reads the no-answer threshold of an evaluated model, defensively', async () => {
    const withThreshold = (value: unknown) =>
      folder('m', (d) => {
        const file = path.join(d, 'manifest.json');
        const manifest = JSON.parse(readFileSync(file, 'utf8'));
        writeFileSync(file, JSON.stringify({ ...manifest, eval: { noAnswerThreshold: value } }));
      });
    const good = await loadReader({ modelDir: withThreshold(0.42) });
    expect(good.model.noAnswerThreshold).toBe(0.42);
    await good.close();
    const bad = await loadReader({ modelDir: withThreshold('high') });
    expect(bad.model.noAnswerThreshold).toBeUndefined();
    await bad.close();
  });

  it('works without tokenizer_config.json (CLS from the pair template)', async () => {
    const dir = folder('m', (d) => rmSync(path.join(d, 'tokenizer_config.json')));
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.clsTokenId).toBe(101);
    const reader = await loadReader({ modelDir: dir });
    const result = await reader.read('Who?', [{ id: 'a', text: 'Someone went somewhere.' }]);
    expect(result.noAnswerScore).toBeGreaterThan(1e-6); // the CLS position was not masked
    await reader.close();
  });

  it('a missing folder or file is UnavailableError naming it', async () => {
    await expect(loadReader({ modelDir: '/nonexistent/model' })).rejects.toThrow(UnavailableError);
    await expect(loadReader({ modelDir: '/nonexistent/model' })).rejects.toThrow(/model folder not found: \/nonexistent\/model/);
    await expect(loadReader({ modelDir: TINY_BERT, modelFile: 'model.int8.onnx' })).rejects.toThrow(/model\.int8\.onnx not found/);
    for (const name of ['model.onnx', 'tokenizer.json', 'config.json']) {
      const dir = folder('m', (d) => rmSync(path.join(d, name)));
      const err = await loadReader({ modelDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toContain(`${name} not found`);
    }
  });

  it('a corrupt file is ConfigError naming it', async () => {
    const cases: [string, (d: string) => void, RegExp][] = [
      ['tokenizer.json', (d) => writeFileSync(path.join(d, 'tokenizer.json'), '{"model": '), /tokenizer\.json is not valid JSON/],
      ['config.json', (d) => writeFileSync(path.join(d, 'config.json'), '[1, 2]'), /config\.json must hold a JSON object/],
      [
        'model.onnx',
        (d) => {
          writeFileSync(path.join(d, 'model.onnx'), 'not an onnx graph');
          rmSync(path.join(d, 'manifest.json'));
        },
        /model\.onnx cannot be loaded by onnxruntime/,
      ],
      ['model.onnx vs manifest', (d) => writeFileSync(path.join(d, 'model.onnx'), 'tampered'), /model\.onnx does not match manifest\.json/],
      [
        'tokenizer model',
        (d) => {
          const file = path.join(d, 'tokenizer.json');
          const json = JSON.parse(readFileSync(file, 'utf8'));
          writeFileSync(file, JSON.stringify({ ...json, model: { type: 'NoSuchModel', vocab: [] } }));
        },
        /model folder .*: tokenizer\.json cannot be read by Hugging Face tokenizers/,
      ],
      [
        'normalizer',
        (d) => {
          const file = path.join(d, 'tokenizer.json');
          const json = JSON.parse(readFileSync(file, 'utf8'));
          // the library aborts the process on this one (a Rust panic): the reader checks in a child process first
          writeFileSync(file, JSON.stringify({ ...json, normalizer: { type: 'Precompiled' } }));
        },
        /tokenizer\.json cannot be read by Hugging Face tokenizers: Precompiled: .*precompiled_charsmap/,
      ],
      [
        'context-first template',
        (d) => {
          const file = path.join(d, 'tokenizer.json');
          const json = JSON.parse(readFileSync(file, 'utf8'));
          const pair = json.post_processor.pair as { Sequence?: { id: string } }[];
          const a = pair.findIndex((p) => p.Sequence?.id === 'A');
          const b = pair.findIndex((p) => p.Sequence?.id === 'B');
          [pair[a], pair[b]] = [pair[b]!, pair[a]!];
          writeFileSync(file, JSON.stringify(json));
        },
        /the pair template must put the question \(A\) before the context \(B\)/,
      ],
      [
        'padding side',
        (d) => {
          const file = path.join(d, 'tokenizer_config.json');
          const json = JSON.parse(readFileSync(file, 'utf8'));
          writeFileSync(file, JSON.stringify({ ...json, padding_side: 'left' }));
        },
        /padding_side "left" \(context first\) is not supported/,
      ],
    ];
    for (const [, edit, message] of cases) {
      const err = await loadReader({ modelDir: folder('m', edit) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('graph inputs and outputs', () => {
  it('accepts the inputs the reader can feed, and names the ones it cannot', () => {
    expect(checkInputs(['input_ids', 'attention_mask'], 'm.onnx')).toEqual(['input_ids', 'attention_mask']);
    expect(checkInputs(['input_ids', 'token_type_ids', 'attention_mask'], 'm.onnx')).toHaveLength(3);
    expect(() => checkInputs(['input_ids', 'position_ids'], 'm.onnx')).toThrow(/m\.onnx: .*position_ids/);
    expect(() => checkInputs(['attention_mask'], 'm.onnx')).toThrow(/no input_ids/);
  });

  it('finds start/end logits by name, else takes the first two outputs, or one [.., 2] output', () => {
    expect(outputPlan(['end_logits', 'start_logits'], 'm')).toEqual({ start: 'start_logits', end: 'end_logits' });
    expect(outputPlan(['a', 'b', 'c'], 'm')).toEqual({ start: 'a', end: 'b' });
    expect(outputPlan(['logits'], 'm')).toEqual({ start: 'logits' });
  });
});
