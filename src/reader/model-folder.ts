/**
 * Reading a model folder: model.onnx (or another ONNX file), tokenizer.json, tokenizer_config.json, config.json
 * and the optional manifest.json. Missing files are UnavailableError, unreadable ones ConfigError; each message
 * names the file.
 */
import { parseCalibrator } from '../qa/confidence.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, UnavailableError, errorMessage } from '../errors.js';
import { createPassageTokenizer, type PassageTokenizer } from './tokenizer.js';
import type { ModelInfo } from './types.js';

type Json = Record<string, unknown>;

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Read and parse a JSON file of the model folder; `optional` files that are absent give undefined. */
export async function readJsonFile(dir: string, name: string, optional = false): Promise<Json | undefined> {
  const file = path.join(dir, name);
  if (!(await exists(file))) {
    if (optional) return undefined;
    throw new UnavailableError(`model folder ${dir}: ${name} not found`);
  }
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`model folder ${dir}: ${name} is not valid JSON (${errorMessage(err)})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`model folder ${dir}: ${name} must hold a JSON object`);
  }
  return value as Json;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Check the folder and the ONNX file exist; returns the ONNX file's absolute path. */
export async function onnxFile(dir: string, file: string): Promise<string> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new UnavailableError(`model folder not found: ${dir}`);
  }
  const full = path.join(dir, file);
  if (!(await exists(full))) throw new UnavailableError(`model folder ${dir}: ${file} not found`);
  return full;
}

/** The tokenizer of a model folder (tokenizer.json + tokenizer_config.json), offline. */
export async function loadTokenizer(dir: string): Promise<PassageTokenizer> {
  const tokenizerJson = (await readJsonFile(dir, 'tokenizer.json'))!;
  const tokenizerConfig = (await readJsonFile(dir, 'tokenizer_config.json', true)) ?? {};
  if (typeof tokenizerJson.model !== 'object' || tokenizerJson.model === null) {
    throw new ConfigError(`model folder ${dir}: tokenizer.json has no "model" section`);
  }
  try {
    return await createPassageTokenizer(tokenizerJson, tokenizerConfig);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`model folder ${dir}: ${err.message}`);
    throw err;
  }
}

/** Longest input the model's position embeddings allow, from config.json (RoBERTa-style models reserve 2). */
export function positionLimit(config: Json): number | undefined {
  const max = config.max_position_embeddings;
  if (typeof max !== 'number' || max <= 0) return undefined;
  const offset = ['roberta', 'xlm-roberta', 'camembert', 'longformer'].includes(String(config.model_type)) ? 2 : 0;
  return max - offset;
}

function numberIn01(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

/**
 * ModelInfo from manifest.json when there is one (name, version, files[<onnx file>] = sha256,
 * eval.noAnswerThreshold), else the folder name, 'unversioned' and the computed sha256. When the manifest
 * records the ONNX file's sha256 the file is checked against it.
 */
export async function modelInfo(dir: string, file: string): Promise<ModelInfo> {
  const full = path.join(dir, file);
  const manifest = await readJsonFile(dir, 'manifest.json', true);
  const actual = await sha256File(full);
  const files = (manifest?.files ?? {}) as Record<string, unknown>;
  const recorded = files[file];
  const expected =
    typeof recorded === 'string'
      ? recorded
      : recorded && typeof recorded === 'object' && typeof (recorded as Json).sha256 === 'string'
        ? ((recorded as Json).sha256 as string)
        : undefined;
  if (expected !== undefined && expected.toLowerCase() !== actual) {
    throw new ConfigError(
      `model folder ${dir}: ${file} does not match manifest.json (sha256 ${actual}, manifest says ${expected})`,
    );
  }
  const evalSection = (manifest?.eval ?? {}) as Json;
  const threshold =
    numberIn01(evalSection.noAnswerThreshold) ??
    numberIn01(evalSection.no_answer_threshold) ??
    numberIn01(manifest?.noAnswerThreshold) ??
    numberIn01(manifest?.no_answer_threshold);
  const calibrations = (manifest?.calibration ?? {}) as Json;
  const calibrator = parseCalibrator(calibrations[file]);
  if (typeof calibrator === 'string') {
    throw new ConfigError(`model folder ${dir}: manifest.json calibration of ${file}: ${calibrator}`);
  }
  return {
    name: typeof manifest?.name === 'string' && manifest.name ? manifest.name : path.basename(path.resolve(dir)),
    version: typeof manifest?.version === 'string' && manifest.version ? manifest.version : 'unversioned',
    dir: path.resolve(dir),
    file,
    sha256: actual,
    ...(threshold !== undefined ? { noAnswerThreshold: threshold } : {}),
    ...(calibrator !== undefined ? { calibrator } : {}),
  };
}
