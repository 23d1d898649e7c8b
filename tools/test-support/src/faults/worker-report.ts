// One run of a PostgresStore under load and one fault (processes/pg-fault-worker.mjs in a watched
// child), and what came of it: unhandled rejections, crashes, calls past their bound, appends
// lost or written twice, gaps, whether the live stream saw the log exactly, connect and close
// times. Used by factstore-postgres's fault tests (which assert on it) and tools/fault-probe
// (which prints it).
import type { Sql } from 'postgres';
import { PROCESSES } from '../store-kit/processes.js';
import { watchedChild, type UnhandledEvent } from './unhandled.js';

/** One run: the store's address, its options, the load, and the fault. */
export interface FaultRun {
  /** URL of the built factstore-postgres (`dist/index.mjs`). */
  readonly module: string;
  /** Connection URL the store uses (through a proxy, or direct). */
  readonly url: string;
  /** The schema of this run (dropped afterwards by the caller if it likes). */
  readonly schema: string;
  /** PostgresStore options besides `schema` (for example `callTimeoutMs`). */
  readonly storeOptions?: Record<string, unknown>;
  /** How long the writers run, in ms (0 with `connectOnly`). */
  readonly durationMs: number;
  /** Concurrent writers (half the appends are appendIfs). Default 32. */
  readonly writers?: number;
  /** A call pending longer than this counts as slow, in ms. */
  readonly callBoundMs: number;
  /** Only time `connect()` (and `close()` if it connects). */
  readonly connectOnly?: boolean;
  /** How long `connect()` may take before the run gives up on it, in ms. */
  readonly connectCapMs: number;
  /** The fault, started once the store is connected (not with `connectOnly`). */
  readonly during?: () => Promise<unknown>;
}

/** What a run came to. `undefined` counts: the run did not get that far (e.g. connect failed). */
export interface FaultReport {
  readonly unhandled: readonly UnhandledEvent[];
  readonly uncaught: readonly UnhandledEvent[];
  /** Uncaught exceptions another listener in the child handled (the process went on). */
  readonly handled: readonly UnhandledEvent[];
  readonly crashed: boolean;
  /** ms connect() took; null when it had not settled by `connectCapMs`. */
  readonly connectMs: number | null;
  readonly connectError?: string | null;
  /** ms close() took; null when it had not settled within `callBoundMs`. */
  readonly closeMs?: number | null;
  readonly acked?: number;
  readonly failed?: number;
  readonly conflicts?: number;
  /** Calls pending longer than `callBoundMs`. */
  readonly slow?: number;
  /** Calls still pending when the worker reported. */
  readonly neverSettled?: number;
  /** Error codes of failed calls, with counts. */
  readonly failures?: Readonly<Record<string, number>>;
  /** Appends whose payload id is in the log more than once. */
  readonly twice?: number;
  /** Acknowledged appends not in the log. */
  readonly lost?: number;
  /** Failed appends that are in the log. */
  readonly landed?: number;
  /** Failed appends in the log whose error did not say `mayHaveCommitted` (conflicts included: a conflict wrote nothing). */
  readonly landedUnannounced?: number;
  /** Missing positions in the log. */
  readonly gaps?: number;
  /**
   * Whether the live stream delivered exactly the log's positions, in order, up to the head the
   * worker read after its writers stopped; past it, only appends that failed with
   * `mayHaveCommitted` may follow undelivered (a commit whose reply was cut can still land on the
   * server after that read: {@link streamLate} counts them).
   */
  readonly streamExact?: boolean;
  /** Positions at the log's end, past what the stream delivered, of appends that failed with `mayHaveCommitted`. */
  readonly streamLate?: number;
  /** When the stream was not exact: how its positions differ from the log's (for the failure message). */
  readonly streamMismatch?: string;
  readonly events?: number;
}

interface WorkerDone {
  type: 'done';
  connectMs: number | null;
  connectError?: string | null;
  closeMs?: number | null;
  acked?: string[];
  failed?: string[];
  uncertain?: string[];
  conflicted?: string[];
  failures?: Record<string, number>;
  conflicts?: number;
  slow?: number;
  neverSettled?: number;
  streamed?: number[];
}

/**
 * Runs the worker with `run`, applies the fault, and checks the log of `run.schema` with `admin`
 * (a connection to the same server, not through any proxy).
 */
export async function runFaultWorker(run: FaultRun, admin: Sql): Promise<FaultReport> {
  const config = {
    module: run.module,
    url: run.url,
    schema: run.schema,
    storeOptions: run.storeOptions ?? {},
    durationMs: run.durationMs,
    writers: run.writers ?? 32,
    callBoundMs: run.callBoundMs,
    connectOnly: run.connectOnly ?? false,
    connectCapMs: run.connectCapMs,
  };
  const child = watchedChild(PROCESSES, 'pg-fault-worker.mjs', [JSON.stringify(config)]);
  let during: Promise<unknown> | undefined;
  if (!run.connectOnly) {
    await child.waitFor('connected', run.connectCapMs + 5000).catch(() => {});
    during = run.during?.();
  }
  const outcome = await child.outcome(run.durationMs + run.callBoundMs * 3 + run.connectCapMs + 15_000);
  await during;
  const done = child.messages.find((m) => m.type === 'done') as unknown as WorkerDone | undefined;
  const base = {
    unhandled: outcome.unhandledRejections,
    uncaught: outcome.uncaughtExceptions,
    handled: outcome.handledExceptions,
    crashed: outcome.crashed,
    connectMs: done?.connectMs ?? null,
    connectError: done?.connectError,
    closeMs: done?.closeMs,
  };
  if (!done?.acked) return base;
  const rows = (await admin.unsafe(`SELECT seq::int AS seq, payload->>'id' AS id FROM "${run.schema}".events ORDER BY seq`)) as unknown as {
    seq: number;
    id: string;
  }[];
  const count = new Map<string, number>();
  for (const { id } of rows) count.set(id, (count.get(id) ?? 0) + 1);
  const uncertain = new Set(done.uncertain ?? []);
  const landedIds = (done.failed ?? []).filter((id) => count.has(id));
  return {
    ...base,
    acked: done.acked.length,
    failed: done.failed?.length ?? 0,
    conflicts: done.conflicts ?? 0,
    slow: done.slow ?? 0,
    neverSettled: done.neverSettled ?? 0,
    failures: done.failures ?? {},
    twice: [...count.values()].filter((n) => n > 1).length,
    lost: done.acked.filter((id) => !count.has(id)).length,
    landed: landedIds.length,
    landedUnannounced: landedIds.filter((id) => !uncertain.has(id)).length + (done.conflicted ?? []).filter((id) => count.has(id)).length,
    gaps: rows.length === 0 ? 0 : (rows.at(-1) as { seq: number }).seq - rows.length,
    ...streamCheck(done.streamed ?? [], rows, uncertain),
    events: rows.length,
  };
}

/**
 * The stream's positions against the log's rows: the same, in order, as far as the stream went;
 * after that only rows of appends that failed with `mayHaveCommitted` (committed on the server after
 * the worker read the head: a lock holder's commit goes through even when its reply is cut, and the
 * positions after its own wait for it, so such rows can only be the last ones).
 */
export function streamCheck(
  streamed: readonly number[],
  rows: readonly { seq: number; id: string }[],
  uncertain: ReadonlySet<string>,
): { streamExact: boolean; streamLate: number; streamMismatch?: string } {
  let i = 0;
  while (i < streamed.length && i < rows.length && streamed[i] === (rows[i] as { seq: number }).seq) i++;
  const late = i === streamed.length ? rows.slice(i) : [];
  const exact = i === streamed.length && late.every((row) => uncertain.has(row.id));
  if (exact) return { streamExact: true, streamLate: late.length };
  const seen = new Set(streamed);
  const missing = rows.filter((row) => !seen.has(row.seq)).map((row) => row.seq);
  const repeated = streamed.length - seen.size;
  const mismatch =
    `streamed ${streamed.length} positions, the log has ${rows.length}; first difference at index ${i} ` +
    `(streamed ${streamed[i] ?? 'nothing'}, log ${rows[i]?.seq ?? 'nothing'}); ${missing.length} missing ` +
    `(${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}), ${repeated} delivered more than once`;
  return { streamExact: false, streamLate: 0, streamMismatch: mismatch };
}
