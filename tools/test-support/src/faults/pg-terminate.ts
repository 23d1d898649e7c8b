import postgres, { type Sql } from 'postgres';

/** Options of {@link terminateStorm}. */
export interface TerminateStormOptions {
  /** Backends whose `application_name` is this are terminated (set it with `?application_name=…` in the URL of the victim). */
  applicationName: string;
  /** The pause between two rounds, in ms. Default 50. */
  everyMs?: number;
  /** How long the storm lasts, in ms (at most 120,000). Default 2,000. */
  durationMs?: number;
  /** The storm ends after this many terminations. Default 10,000. */
  maxTerminations?: number;
  /** A round that has not answered after this many ms counts as failed. Default 2,000. */
  roundTimeoutMs?: number;
  /** Ends the storm early. */
  signal?: AbortSignal;
}

/** What a storm did. */
export interface TerminateStormResult {
  /** Rounds run (each one `SELECT pg_terminate_backend(pid) …`). */
  rounds: number;
  /** Backends terminated. */
  terminated: number;
  /** Rounds that failed or timed out (the server was down, say). */
  failedRounds: number;
  /** The first ten errors of failed rounds. */
  errors: string[];
  /** How long the storm lasted, in ms. */
  elapsedMs: number;
}

const TERMINATE = `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
  WHERE application_name = $1 AND pid <> pg_backend_pid()`;

/** The application name of the storm's own connection (when it opens one), never a victim. */
export const STORM_APPLICATION_NAME = 'factstore-terminate-storm';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Terminates, round after round, every backend whose `application_name` is
 * `options.applicationName` (each victim sees FATAL 57P01 `terminating connection due to
 * administrator command`), for a bounded time and count. `admin` is a postgres.js instance (left
 * open) or a URL (a connection of its own is opened and closed). Never throws for a failed round:
 * failures are counted, so a storm can run across a server restart.
 */
export async function terminateStorm(admin: Sql | string, options: TerminateStormOptions): Promise<TerminateStormResult> {
  if (!options.applicationName) throw new Error('terminateStorm needs an applicationName');
  if (options.applicationName === STORM_APPLICATION_NAME) throw new Error('the storm would terminate itself');
  const everyMs = options.everyMs ?? 50;
  const durationMs = Math.min(options.durationMs ?? 2000, 120_000);
  const maxTerminations = options.maxTerminations ?? 10_000;
  const roundTimeoutMs = options.roundTimeoutMs ?? 2000;
  const sql =
    typeof admin === 'string'
      ? postgres(admin, { max: 1, onnotice: () => {}, connect_timeout: 5, connection: { application_name: STORM_APPLICATION_NAME } })
      : admin;
  const result: TerminateStormResult = { rounds: 0, terminated: 0, failedRounds: 0, errors: [], elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + durationMs;
  try {
    while (performance.now() < deadline && result.terminated < maxTerminations && !options.signal?.aborted) {
      result.rounds++;
      let timer: NodeJS.Timeout | undefined;
      try {
        const round = sql.unsafe(TERMINATE, [options.applicationName]);
        round.catch(() => {}); // a round that outlives its timeout must not reject unhandled
        const rows = await Promise.race([
          round,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${roundTimeoutMs} ms`)), roundTimeoutMs);
          }),
        ]);
        result.terminated += rows.filter((row) => row.terminated === true).length;
      } catch (error) {
        result.failedRounds++;
        if (result.errors.length < 10) result.errors.push(error instanceof Error ? error.message : String(error));
      } finally {
        clearTimeout(timer);
      }
      await sleep(Math.min(everyMs, Math.max(0, deadline - performance.now())), options.signal);
    }
  } finally {
    if (typeof admin === 'string') await sql.end({ timeout: 1 }).catch(() => {});
  }
  result.elapsedMs = Math.round(performance.now() - started);
  return result;
}
