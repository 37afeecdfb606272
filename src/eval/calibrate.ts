/**
 * The I/O edge of calibration: read `--candidates` files, write the fitted calibrator into a model folder's
 * manifest.json (atomically), build the calibration/report sets from SQuAD files.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../errors.js';
import { FEATURE_NAMES, type Calibrator } from '../qa/confidence.js';
import { CANDIDATES_SCHEMA, hasRawInputs, withCurrentFeatures } from './calibration.js';
import type { DatasetInfo } from './dataset.js';
import type { CandidateRecord } from './runner.js';
import { calibrationSets, isSwapped, type SquadJson } from './sets.js';

export interface CandidatesFile {
  file: string;
  header: { candidates: string; features: string[]; dataset: DatasetInfo; model: Record<string, unknown>; topK: number };
  records: CandidateRecord[];
}

export async function readCandidatesFile(file: string): Promise<CandidatesFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new BadInputError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err)}`, 'candidates');
  }
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new BadInputError(`${file}: line ${n}: not JSON`, 'candidates');
    }
  };
  const header = parse(lines[0] ?? '', 1) as CandidatesFile['header'];
  if (header?.candidates !== CANDIDATES_SCHEMA) {
    throw new BadInputError(`${file}: not a candidates file of 'docqa eval open --candidates' (first line must say "candidates": "${CANDIDATES_SCHEMA}")`, 'candidates');
  }
  const records = lines.slice(1).map((l, i) => parse(l, i + 2) as CandidateRecord);
  // features are computed again from the raw inputs the file keeps, so an older file serves newer features
  if (records.every(hasRawInputs)) return { file, header: { ...header, features: [...FEATURE_NAMES] }, records: records.map(withCurrentFeatures) };
  if (JSON.stringify(header.features) !== JSON.stringify(FEATURE_NAMES)) {
    throw new BadInputError(`${file}: written with other features (${header.features.join(', ')}) and without the raw inputs to compute them again; run the evaluation again`, 'candidates');
  }
  return { file, header, records };
}

/** Stores `calibrator` as manifest.json's calibration[modelFile], keeping everything else of the manifest. */
export async function writeCalibration(modelDir: string, modelFile: string, calibrator: Calibrator): Promise<string> {
  const file = path.join(modelDir, 'manifest.json');
  let manifest: Record<string, unknown> = {};
  try {
    manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new BadInputError(`${file}: ${String(err)}`, 'modelDir');
  }
  const calibration = { ...((manifest.calibration as Record<string, unknown> | undefined) ?? {}), [modelFile]: calibrator };
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify({ ...manifest, calibration }, null, 2) + '\n');
  await fs.rename(tmp, file);
  return file;
}

async function readSquad(file: string): Promise<SquadJson> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as SquadJson;
  } catch (err) {
    throw new BadInputError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (get it with: docqa data fetch squad)' : String(err)}`, 'squad');
  }
}

/**
 * Writes calibration-set.json, report-set.json and sets.json (the rule's choices) into `outDir`, and
 * calibration-swapped.json: the calibration set's swapped-name questions alone, over the same paragraphs (the same
 * corpus), to add them to a run of the set made before it held them.
 */
export async function makeCalibrationSets(squadDir: string, outDir: string): Promise<{ files: string[]; rule: unknown }> {
  const [devA, devB, train] = await Promise.all(
    ['squad-v1.1-dev-a.json', 'squad-v1.1-dev-b.json', 'squad-v1.1-train-subset.json'].map((f) => readSquad(path.join(squadDir, f))),
  );
  const sets = calibrationSets(devA!, devB!, train!);
  const swappedOnly: SquadJson = {
    ...sets.calibration,
    data: sets.calibration.data.map((a) => ({ ...a, paragraphs: a.paragraphs.map((p) => ({ ...p, qas: p.qas.filter((q) => isSwapped(q.id)) })) })),
  };
  await fs.mkdir(outDir, { recursive: true });
  const names = ['calibration-set.json', 'report-set.json', 'sets.json', 'calibration-swapped.json'];
  const files = names.map((n) => path.join(outDir, n));
  await fs.writeFile(files[0]!, JSON.stringify(sets.calibration));
  await fs.writeFile(files[1]!, JSON.stringify(sets.report));
  await fs.writeFile(files[2]!, JSON.stringify(sets.rule, null, 2) + '\n');
  await fs.writeFile(files[3]!, JSON.stringify(swappedOnly));
  return { files, rule: sets.rule };
}
