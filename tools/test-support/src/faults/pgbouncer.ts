import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../embedded-postgres.mjs';

/** A PgBouncer in front of a PostgreSQL: see {@link startPgBouncer}. */
export interface PgBouncer {
  /** The server's URL with host and port replaced by PgBouncer's (same user, password, database). */
  readonly url: string;
  /** PgBouncer's port on 127.0.0.1. */
  readonly port: number;
  /** PgBouncer's output so far (its log goes to stderr). */
  log(): string;
  /** Stops PgBouncer (SIGINT, then SIGKILL after 5 s) and removes its folder. */
  close(): Promise<void>;
}

/** Options of {@link startPgBouncer}. */
export interface PgBouncerOptions {
  /** The PostgreSQL it pools, as a `postgres://user:password@host:port/database` URL. */
  url: string;
  /** PgBouncer's `pool_mode`; default `transaction` (what breaks LISTEN and named prepared statements). */
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per database and user (`default_pool_size`); default 20. */
  poolSize?: number;
  /** How long to wait until it accepts connections, in ms; default 10,000. */
  startTimeoutMs?: number;
}

/** The `pgbouncer` executable: on PATH, or in Debian's /usr/sbin (not on a plain user's PATH). */
function pgbouncerBinary(): string {
  for (const candidate of ['pgbouncer', '/usr/sbin/pgbouncer']) {
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error(
    'pgbouncer is not installed: the PgBouncer tests need it (`apt-get install pgbouncer`; `.ci/run` installs it when it is missing)',
  );
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The user PgBouncer runs as when started by root (it refuses to run as root): `postgres` when it exists, else `nobody`. */
function unprivilegedUser(): string {
  const users = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':')[0]);
  return users.includes('postgres') ? 'postgres' : 'nobody';
}

/** A value in the connection string of PgBouncer's `[databases]`, in single quotes (a quote inside doubled). */
const quoted = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Starts a PgBouncer (the system's `pgbouncer`, Debian's package) on a free port of 127.0.0.1 in
 * front of the PostgreSQL at `url`, as a child process with its ini and userlist in a fresh
 * temporary folder: every database name passes through to that server, logged in as `url`'s user
 * with its password (`auth_type = trust` towards the client). As root it runs as `postgres` (or
 * `nobody`) through `-u`. Throws with a clear message when `pgbouncer` is not installed: a test
 * that needs it fails rather than skips. Always `close()` it.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  const target = new URL(options.url);
  const user = decodeURIComponent(target.username) || 'postgres';
  const password = decodeURIComponent(target.password);
  const folder = mkdtempSync(join(tmpdir(), 'factstore-pgbouncer-'));
  const asRoot = process.getuid?.() === 0;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = [`host=${quoted(target.hostname.replace(/^\[|\]$/g, ''))}`, `port=${target.port || '5432'}`, `user=${quoted(user)}`];
    if (password) server.push(`password=${quoted(password)}`);
    writeFileSync(join(folder, 'userlist.txt'), `"${user.replace(/"/g, '""')}" "${password.replace(/"/g, '""')}"\n`);
    writeFileSync(
      join(folder, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = ${server.join(' ')}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(folder, 'userlist.txt')}`,
        `pool_mode = ${options.poolMode ?? 'transaction'}`,
        `default_pool_size = ${options.poolSize ?? 20}`,
        'max_client_conn = 2000',
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ].join('\n'),
    );
    // the folder is read by the unprivileged user PgBouncer switches to
    chmodSync(folder, 0o755);
    const args = [...(asRoot ? ['-u', unprivilegedUser()] : []), join(folder, 'pgbouncer.ini')];
    const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exited = false;
    const gone = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      }),
    );
    const since = Date.now();
    while (!exited && !(await accepts(port)) && Date.now() - since < startTimeoutMs) await new Promise((r) => setTimeout(r, 50));
    if (!exited && Date.now() - since < startTimeoutMs) {
      return {
        url: Object.assign(new URL(options.url), { hostname: '127.0.0.1', port: String(port) }).href,
        port,
        log: () => output,
        async close() {
          if (!exited) {
            child.kill('SIGINT');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            await gone;
            clearTimeout(timer);
          }
          rmSync(folder, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    await gone;
    // another process may have taken the port between the look and the start: try another one
    if (attempt < 3 && /Address already in use/.test(output)) continue;
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`pgbouncer did not start on 127.0.0.1:${port} within ${startTimeoutMs} ms (${binary} ${args.join(' ')}):\n${output}`);
  }
}
