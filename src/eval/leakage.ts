/**
 * Evaluation that cannot flatter: warnings when a question set overlaps the model's training data, as the model
 * manifest records it (`trainingData.files`: {name: sha256}, `trainingData.articles`: titles). Pure.
 */
import type { EvalDataset } from './dataset.js';

const norm = (title: string) => title.replace(/ /gu, '_');

export function trainingDataWarnings(manifest: Record<string, unknown> | null, sha256: string, dataset: Pick<EvalDataset, 'articles'>): string[] {
  const training = (manifest?.trainingData ?? null) as { files?: Record<string, unknown>; articles?: unknown } | null;
  if (!training) return [];
  const warnings: string[] = [];
  const files = Object.entries(training.files ?? {}).filter(([, v]) => typeof v === 'string' && v.toLowerCase() === sha256);
  if (files.length > 0) {
    warnings.push(`this question set IS the model's training data (${files.map(([k]) => k).join(', ')}): its scores say nothing about new questions`);
  }
  const articles = new Set(Array.isArray(training.articles) ? training.articles.filter((a): a is string => typeof a === 'string').map(norm) : []);
  const seen = dataset.articles.map((a) => a.title).filter((t) => articles.has(norm(t)));
  if (seen.length > 0 && files.length === 0) {
    const shown = seen.slice(0, 5).join(', ') + (seen.length > 5 ? `, ... (${seen.length} in all)` : '');
    warnings.push(`${seen.length} of the set's ${dataset.articles.length} articles were in the model's training data (${shown}): scores on them are inflated`);
  }
  return warnings;
}
