import { join } from 'node:path';
import { checkPausedHolderIsFenced } from 'factstore-test-support';
import { SqliteStore } from '../src/index.js';
import { removeTempFolders, tempDb, tempFolder } from './temp-files.js';

afterAll(removeTempFolders);

describe('SqliteStore durable leases fence a paused holder', () => {
  it('a holder stopped with SIGSTOP past its lease never delivers again once continued, and reports DURABLE_STREAM_LEASE_LOST', async () => {
    const path = tempDb('fenced');
    const logs = tempFolder();
    await checkPausedHolderIsFenced({
      name: 'SqliteStore',
      open: () => SqliteStore.open(path),
      child: { module: join(__dirname, '..', 'dist', 'index.mjs'), exportName: 'SqliteStore', open: 'open', args: [path] },
      logFile: (tag) => join(logs, `${tag}.log`),
    });
  }, 60_000);
});
