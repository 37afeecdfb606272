/**
 * `docqa model import <hf-checkpoint-dir> <out-dir>`: a local Hugging Face extractive-QA checkpoint (e.g.
 * deepset/roberta-base-squad2 as a user downloaded it) becomes a docqa model folder. The work is done by
 * training/import_model.py (PyTorch export to ONNX, int8, tokenizer files, manifest, parity with transformers'
 * pipeline) in a Python that has torch, transformers, onnx and onnxruntime: the training venv when there is one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PACKAGE_ROOT } from '../../config.js';
import { BadInputError, DocqaError, UnavailableError } from '../../errors.js';

export const IMPORT_SCRIPT = path.join(PACKAGE_ROOT, 'training', 'import_model.py');
const VENV_PYTHON = path.join(PACKAGE_ROOT, 'training', '.venv', 'bin', 'python');

/** training/.venv's Python when it exists (bash training/run.sh setup makes it), else python3 on the PATH. */
export function defaultPython(): string {
  return fs.existsSync(VENV_PYTHON) ? VENV_PYTHON : 'python3';
}

export interface ImportFlags {
  name?: string;
  version?: string;
  fp32?: boolean;
  force?: boolean;
  parityFile?: string;
  parityN?: number;
  threads?: number;
}

/** The import script's command line (after the Python executable). */
export function importArgs(checkpoint: string, out: string, flags: ImportFlags): string[] {
  return [
    IMPORT_SCRIPT,
    checkpoint,
    out,
    ...(flags.name ? ['--name', flags.name] : []),
    ...(flags.version ? ['--version', flags.version] : []),
    ...(flags.fp32 === false ? ['--no-fp32'] : []),
    ...(flags.force ? ['--force'] : []),
    ...(flags.parityFile ? ['--parity-file', flags.parityFile] : []),
    ...(flags.parityN !== undefined ? ['--parity-n', String(flags.parityN)] : []),
    ...(flags.threads !== undefined ? ['--threads', String(flags.threads)] : []),
  ];
}

/** Checks what can be checked without Python: the checkpoint is a folder with config.json and weights. */
export function checkCheckpoint(checkpoint: string): void {
  let isDir = false;
  try {
    isDir = fs.statSync(checkpoint).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new BadInputError(`checkpoint folder not found: ${checkpoint}`, 'checkpoint');
  if (!fs.existsSync(path.join(checkpoint, 'config.json'))) {
    throw new BadInputError(`${checkpoint} is not a Hugging Face checkpoint folder: it has no config.json`, 'checkpoint');
  }
  const files = fs.readdirSync(checkpoint);
  if (!files.some((f) => f.endsWith('.safetensors') || f.endsWith('.bin'))) {
    throw new BadInputError(`${checkpoint} has no weights (model.safetensors or pytorch_model.bin)`, 'checkpoint');
  }
}

/** Runs the import script; resolves when it succeeds, rejects with a DocqaError otherwise. */
export function runImport(python: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { stdio: 'inherit', env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new UnavailableError(
              `no Python at '${python}': model import needs one with torch, transformers, onnx and onnxruntime ` +
                '(bash training/run.sh setup makes training/.venv), or pass --python <path>',
            )
          : new UnavailableError(`could not start ${python}: ${err.message}`, { cause: err }),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new DocqaError('bad_input', `model import failed (${signal ?? `exit ${code}`}): see the messages above`));
    });
  });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function importCommand(): Command {
  return new Command('import')
    .description(
      'turn a local Hugging Face extractive-QA checkpoint into a docqa model folder: ONNX export (opset 17), int8 ' +
        "model.onnx (+ model.fp32.onnx), tokenizer files, manifest.json with sha256 of every file, and a parity check against transformers' pipeline",
    )
    .argument('<checkpoint>', 'the checkpoint folder (config.json, model.safetensors or pytorch_model.bin, tokenizer files)')
    .argument('<out>', 'the model folder to write (use it with --model-dir / DOCQA_MODEL_DIR)')
    .option('--name <name>', "the model's name in the manifest (default: the checkpoint folder's name)")
    .option('--version <version>', "the model's version in the manifest", '1.0.0')
    .option('--no-fp32', 'keep only the int8 model.onnx')
    .option('--force', 'replace a non-empty <out> folder')
    .option('--parity-file <file>', "SQuAD JSON whose first questions check parity (default: built-in questions)")
    .option('--parity-n <n>', 'questions for the parity check', positiveInt)
    .option('--threads <n>', 'onnxruntime / torch threads', positiveInt)
    .option('--python <path>', 'the Python to run training/import_model.py with (default: training/.venv, else python3)')
    .action(async (checkpoint: string, out: string, flags: ImportFlags & { python?: string }) => {
      checkCheckpoint(checkpoint);
      await runImport(flags.python ?? defaultPython(), importArgs(path.resolve(checkpoint), path.resolve(out), flags));
    });
}

export function modelCommand(): Command {
  return new Command('model').description('reader model folders').addCommand(importCommand());
}
