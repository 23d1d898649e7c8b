import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPausedHolderIsFenced } from 'factstore-test-support';
import { PostgresStore } from '../src/index.js';
import { databaseUrl, dropSchemas, freshSchema } from './database.js';

const schemas: string[] = [];
const logs = mkdtempSync(join(tmpdir(), 'factstore-fencing-'));
afterAll(async () => {
  await dropSchemas(schemas);
  rmSync(logs, { recursive: true, force: true });
});

describe('PostgresStore durable leases fence a paused holder', () => {
  it('a holder stopped with SIGSTOP past its lease never delivers again once continued, and reports DURABLE_STREAM_LEASE_LOST', async () => {
    const schema = freshSchema('fenced');
    schemas.push(schema);
    const options = { schema, pollIntervalMs: 20 };
    await checkPausedHolderIsFenced({
      name: 'PostgresStore',
      open: () => PostgresStore.connect(databaseUrl(), options),
      child: {
        module: join(__dirname, '..', 'dist', 'index.mjs'),
        exportName: 'PostgresStore',
        open: 'connect',
        args: [databaseUrl(), options],
      },
      logFile: (tag) => join(logs, `${tag}.log`),
    });
  }, 60_000);
});
