import { Command } from 'commander';
import type { MetaValue } from '../../documents/document.js';
import { NotFoundError } from '../../errors.js';
import { openServices } from '../../services.js';
import { findDocument } from '../../store/find.js';
import type { DocumentStore } from '../../store/store.js';
import { escapeForTerminal } from '../escape.js';
import { addConfigOptions, configFrom, parseIntFlag } from '../options.js';

const metaText = (v: MetaValue | undefined) => (v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));

function table(rows: string[][], right: Set<number>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

async function withStore<T>(flags: Record<string, unknown>, fn: (store: DocumentStore) => Promise<T>): Promise<T> {
  const services = await openServices(configFrom(flags));
  try {
    return await fn(services.store);
  } finally {
    await services.close();
  }
}

function listCommand(): Command {
  return addConfigOptions(new Command('list'))
    .description('list the indexed documents, by name, with their sources')
    .option('--limit <n>', 'at most this many', parseIntFlag('--limit'), 1000)
    .option('--offset <n>', 'skip this many', parseIntFlag('--offset'), 0)
    .option('--json', 'print JSON')
    .action(async (flags) => {
      await withStore(flags, async (store) => {
        const [documents, counts] = await Promise.all([store.listDocuments({ limit: flags.limit, offset: flags.offset }), store.counts()]);
        if (flags.json) {
          process.stdout.write(JSON.stringify({ documents, total: counts.documents, passages: counts.passages }, null, 2) + '\n');
          return;
        }
        if (documents.length === 0) {
          process.stdout.write(counts.documents === 0 ? 'no documents indexed\n' : `no documents at offset ${flags.offset}\n`);
          return;
        }
        const rows = [
          ['name', 'source', 'id', 'format', 'pages', 'passages', 'chars', 'ingested'],
          ...documents.map((d) => [
            escapeForTerminal(d.name),
            escapeForTerminal(d.source),
            d.id.slice(0, 12),
            metaText(d.meta.format),
            d.pageCount > 0 ? String(d.pageCount) : '-',
            String(d.passageCount),
            String(d.charCount),
            d.createdAt.slice(0, 19).replace('T', ' '),
          ]),
        ];
        process.stdout.write(table(rows, new Set([4, 5, 6])) + '\n');
        const shown = flags.offset + documents.length;
        process.stdout.write(
          `${documents.length} of ${counts.documents} documents (${counts.passages} passages)${shown < counts.documents ? `; more with --offset ${shown}` : ''}\n`,
        );
      });
    });
}

function showCommand(): Command {
  return addConfigOptions(new Command('show'))
    .description('show one document (by id, source, or name when only one document has it), optionally with its passages')
    .argument('<id-source-or-name>')
    .option('--passages', 'also print its passages with their pages and character offsets')
    .option('--json', 'print JSON')
    .action(async (nameOrId: string, flags) => {
      await withStore(flags, async (store) => {
        const doc = await findDocument(store, nameOrId);
        const passages = flags.passages ? await store.getPassages(doc.id) : undefined;
        if (flags.json) {
          process.stdout.write(JSON.stringify(passages ? { ...doc, passages } : doc, null, 2) + '\n');
          return;
        }
        const lines = [
          `name      ${escapeForTerminal(doc.name)}`,
          `source    ${escapeForTerminal(doc.source)}`,
          `id        ${doc.id}`,
          `pages     ${doc.pageCount}`,
          `passages  ${doc.passageCount}`,
          `chars     ${doc.charCount}`,
          `ingested  ${doc.createdAt}`,
          ...Object.entries(doc.meta).map(([k, v]) => `meta.${k.padEnd(14)} ${Array.isArray(v) ? JSON.stringify(v) : String(v)}`),
        ];
        for (const p of passages ?? []) {
          const where = [p.page !== null ? `page ${p.page}` : null, `chars ${p.charStart}-${p.charEnd}`, p.heading ? `under "${p.heading}"` : null]
            .filter(Boolean)
            .join(', ');
          lines.push('', `[${p.seq}] ${where}`, p.text.replace(/\s+/gu, ' '));
        }
        process.stdout.write(lines.join('\n') + '\n');
      });
    });
}

function deleteCommand(): Command {
  return addConfigOptions(new Command('delete'))
    .description('delete documents (by id, source, or name when only one document has it) with their passages')
    .argument('<ids-sources-or-names...>')
    .action(async (targets: string[], flags) => {
      await withStore(flags, async (store) => {
        const missing: string[] = [];
        for (const t of targets) {
          const doc = await findDocument(store, t).catch((err: unknown) => {
            if (err instanceof NotFoundError) return null;
            throw err;
          });
          if (!doc || !(await store.deleteDocument(doc.id))) {
            missing.push(t);
            continue;
          }
          process.stdout.write(`deleted ${escapeForTerminal(doc.source)} (${doc.passageCount} passages)\n`);
        }
        if (missing.length > 0) throw new NotFoundError(`not found: ${missing.join(', ')}`);
      });
    });
}

export function documentsCommand(): Command {
  return new Command('documents')
    .description('see and remove what is indexed: list, show, delete')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(deleteCommand());
}
