import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { KeyStore, storedKeyring } from '../../src/keys/store.js';
import { runCommand } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs('docqa-keys-');

describe('key store (real SQLite file, scrypt hashes)', () => {
  it('creates, verifies, lists and revokes keys; stores only hashes', async () => {
    const dir = tempDir();
    const store = KeyStore.inDataDir(dir);
    const ring = storedKeyring(store);
    expect(ring.open()).toBe(true); // no file yet: no stored keys
    expect(fs.existsSync(path.join(dir, 'keys.sqlite'))).toBe(false);
    const asker = await store.create('web page', ['ask']);
    const admin = await store.create('ops', ['admin', 'ingest']);
    expect(asker.secret).toMatch(/^dqk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/u);
    expect(ring.open()).toBe(false);
    expect(await store.verify(asker.secret)).toEqual({ id: asker.id, scopes: ['ask'] });
    expect(await store.verify(admin.secret)).toEqual({ id: admin.id, scopes: ['admin', 'ingest'] });
    // a wrong secret for a real id, a malformed key, an unknown id
    expect(await store.verify(`dqk_${asker.id}_${'A'.repeat(43)}`)).toBeUndefined();
    expect(await store.verify('nonsense')).toBeUndefined();
    expect(await store.verify(`dqk_000000000000_${'A'.repeat(43)}`)).toBeUndefined();
    store.close();
    // the secret is nowhere in the files
    const secretPart = asker.secret.split('_').slice(2).join('_');
    for (const f of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, f)).includes(secretPart)).toBe(false);
    // another process (a fresh store) sees the keys and a revocation at once
    const other = KeyStore.inDataDir(dir);
    expect(other.list().map((k) => [k.name, k.scopes, k.revokedAt])).toEqual([
      ['web page', ['ask'], null],
      ['ops', ['admin', 'ingest'], null],
    ]);
    expect(await other.verify(asker.secret)).toBeDefined();
    KeyStore.inDataDir(dir).revoke(asker.id);
    expect(await other.verify(asker.secret)).toBeUndefined();
    expect(() => other.revoke('ffffffffffff')).toThrow(/no key with id/u);
    other.revoke(admin.id);
    expect(storedKeyring(other).open()).toBe(true); // no live key left
    other.close();
  });

  it('fails closed when the key file exists but cannot be read', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'keys.sqlite'), 'not a database');
    const ring = storedKeyring(KeyStore.inDataDir(dir));
    expect(() => ring.open()).toThrow(/key store/u);
  });

  it('docqa keys create | list | revoke: the secret printed once, names escaped', async () => {
    const dir = tempDir();
    const secret = (await runCommand(keysCommand, 'create', '--data-dir', dir, '--name', 'ci', '--scope', 'ask,ingest')).trim();
    expect(secret).toMatch(/^dqk_/u);
    const list = await runCommand(keysCommand, 'list', '--data-dir', dir);
    expect(list).toContain('ci  ask,ingest');
    expect(list).not.toContain(secret.slice(17));
    const id = secret.slice(4, 16);
    const json = JSON.parse(await runCommand(keysCommand, 'list', '--data-dir', dir, '--json')) as { keys: { id: string }[] };
    expect(json.keys.map((k) => k.id)).toEqual([id]);
    expect(await runCommand(keysCommand, 'revoke', '--data-dir', dir, id)).toContain(`revoked ${id}`);
    expect(await runCommand(keysCommand, 'list', '--data-dir', dir)).toContain('revoked');
    await expect(runCommand(keysCommand, 'create', '--data-dir', dir, '--name', 'x', '--scope', 'root')).rejects.toThrow(/unknown scope "root"/u);
    await expect(runCommand(keysCommand, 'create', '--data-dir', dir, '--name', 'a\u001b[2Jb', '--scope', 'ask')).rejects.toThrow(/control/u);
  });
});
