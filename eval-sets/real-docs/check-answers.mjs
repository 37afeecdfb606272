#!/usr/bin/env node
// Checks that every gold answer of questions.jsonl occurs verbatim (case and whitespace included) in a passage of
// the document the question names, as docqa extracted it, and that unanswerable questions name no document.
// Run from the repository root after `npm run build` and an ingest of documents/ into DOCQA_DATA_DIR:
//   DOCQA_DATA_DIR=/tmp/realdocs-data node dist/cli/main.js ingest eval-sets/real-docs/documents
//   DOCQA_DATA_DIR=/tmp/realdocs-data node eval-sets/real-docs/check-answers.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const questions = fs
  .readFileSync(path.join(here, 'questions.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));
const passages = new Map();
function passagesOf(name) {
  if (!passages.has(name)) {
    const out = execFileSync('node', ['dist/cli/main.js', 'documents', 'show', name, '--passages', '--json'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    passages.set(name, JSON.parse(out).passages.map((p) => p.text));
  }
  return passages.get(name);
}
let problems = 0;
for (const q of questions) {
  if (q.answers.length === 0) {
    if (q.document !== null) (problems++, console.log(`${q.id}: unanswerable but names ${q.document}`));
    continue;
  }
  for (const a of q.answers) {
    if (!passagesOf(q.document).some((t) => t.includes(a))) (problems++, console.log(`${q.id}: '${a}' not found in ${q.document}`));
  }
}
const answerable = questions.filter((q) => q.answers.length > 0).length;
console.log(`${questions.length} questions (${answerable} answerable, ${questions.length - answerable} unanswerable), ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
