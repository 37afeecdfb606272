import { Command } from 'commander';
import { KeyStore, parseScopes, type KeyInfo } from '../../keys/store.js';
import { escapeForTerminal } from '../escape.js';
import { addConfigOptions, configFrom } from '../options.js';

/** The key store of the configured data folder (keys live there whichever document store is used). */
function withKeys<T>(flags: Record<string, unknown>, fn: (keys: KeyStore) => T | Promise<T>): Promise<T> {
  const keys = KeyStore.inDataDir(configFrom(flags).dataDir);
  return Promise.resolve(fn(keys)).finally(() => keys.close());
}

const line = (k: KeyInfo) =>
  [k.id, escapeForTerminal(k.name), k.scopes.join(','), k.createdAt.slice(0, 19).replace('T', ' '), k.revokedAt ? `revoked ${k.revokedAt.slice(0, 19).replace('T', ' ')}` : 'live'].join('  ');

export function keysCommand(): Command {
  const keys = new Command('keys').description('API keys with scopes (ask, ingest, admin), stored hashed in <data-dir>/keys.sqlite');
  keys.addCommand(
    addConfigOptions(new Command('create'))
      .description('create a key; its secret is printed once and never stored')
      .requiredOption('--name <name>', 'who or what the key is for')
      .requiredOption('--scope <scopes>', 'comma-separated: ask (ask, feedback, read documents), ingest (upload, delete), admin (metrics, monitor, keys)')
      .option('--json', 'print JSON')
      .action(async (flags) => {
        await withKeys(flags, async (store) => {
          const key = await store.create(flags.name, parseScopes(flags.scope));
          if (flags.json) return void process.stdout.write(JSON.stringify(key, null, 2) + '\n');
          process.stdout.write(`${key.secret}\n`);
          process.stderr.write(`created key ${key.id} (${key.scopes.join(', ')}); the secret above is shown only now\n`);
        });
      }),
  );
  keys.addCommand(
    addConfigOptions(new Command('list'))
      .description('list keys (ids, names, scopes; never secrets)')
      .option('--json', 'print JSON')
      .action(async (flags) => {
        await withKeys(flags, (store) => {
          const all = store.list();
          if (flags.json) return void process.stdout.write(JSON.stringify({ keys: all }, null, 2) + '\n');
          process.stdout.write(all.length === 0 ? 'no stored keys\n' : all.map(line).join('\n') + '\n');
        });
      }),
  );
  keys.addCommand(
    addConfigOptions(new Command('revoke'))
      .description('revoke a key by id (a running server refuses it from its next request)')
      .argument('<id>', 'the key id (the 12 hex digits after dqk_)')
      .action(async (id: string, flags) => {
        await withKeys(flags, (store) => {
          const k = store.revoke(id);
          process.stdout.write(`revoked ${k.id} (${escapeForTerminal(k.name)})\n`);
        });
      }),
  );
  return keys;
}
