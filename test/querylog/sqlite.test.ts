import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteQueryLog } from '../../src/querylog/sqlite.js';
import { describeQueryLogContract } from './contract.js';

describeQueryLogContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-querylog-'));
  const log = SqliteQueryLog.inDataDir(dir);
  return {
    log,
    async cleanup() {
      await log.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
