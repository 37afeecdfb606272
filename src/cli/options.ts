import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, type Config, type ConfigInput } from '../config.js';

/** Flags shared by every command; each overrides its DOCQA_* environment variable. */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'where the embedded store keeps its data (DOCQA_DATA_DIR)')
    .option('--store <kind>', 'sqlite or elasticsearch (DOCQA_STORE)')
    .option('--model-dir <dir>', 'reader model folder (DOCQA_MODEL_DIR)')
    .option('--model-file <file>', 'ONNX file inside the model folder (DOCQA_MODEL_FILE)')
    .option('--es-url <url>', 'Elasticsearch URL (DOCQA_ES_URL)')
    .option('--log-level <level>', 'log level (DOCQA_LOG_LEVEL)');
}

export function configFrom(flags: Record<string, unknown>, extra: ConfigInput = {}): Config {
  const overrides: ConfigInput = {
    dataDir: flags.dataDir,
    store: flags.store,
    modelDir: flags.modelDir,
    modelFile: flags.modelFile,
    esUrl: flags.esUrl,
    logLevel: flags.logLevel,
    ...extra,
  };
  return loadConfig(process.env, overrides);
}

export function parseIntFlag(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got '${value}'`);
    return n;
  };
}

/** A number from 0 to 1 (a probability or confidence); anything else is a usage error (exit 2). */
export function parseProbabilityFlag(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new InvalidArgumentError(`${name} must be a number from 0 to 1, got '${value}'`);
    }
    return n;
  };
}
