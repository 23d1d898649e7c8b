import { Type } from '@sinclair/typebox';
import { InvalidInputError, TelemetryOptions, type InvalidInputIssue } from 'factstore';
import { checkOptions, LEASE_MS } from 'factstore/backend';

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /**
   * `FULL` (default): every commit is synced to disk before `append` resolves; nothing
   * acknowledged is lost, even on power loss. `NORMAL`: syncs at checkpoints only; still never
   * corrupt and safe across process crashes, but the last commits can be lost on power loss or
   * an OS crash. Faster for small appends.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** How often streams look for commits of other processes, in ms (default 10). */
  pollIntervalMs?: number;
  /**
   * How long a durable stream's name stays held by a process that stopped renewing it, in ms
   * (default 3000). The holder renews every third of it, and stops starting handler calls two
   * thirds into it when it could not renew; a name whose holder died is free after it.
   */
  leaseMs?: number;
  /**
   * Where the store's spans and metrics go: `{ tracerProvider, meterProvider }` of OpenTelemetry
   * (docs/operations.md). Default: the global providers of `@opentelemetry/api` when it is
   * installed; without it, no telemetry.
   */
  telemetry?: TelemetryOptions;
}

/** TypeBox schema of {@link SqliteStoreOptions}. */
export const SqliteStoreOptions = Type.Object(
  {
    synchronous: Type.Optional(Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')])),
    busyTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
    leaseMs: Type.Optional(Type.Integer({ minimum: 300, maximum: 600_000 })),
    telemetry: Type.Optional(TelemetryOptions),
  },
  { additionalProperties: false },
);

/** Validates the arguments of `open`, with defaults filled in. */
export function validateOptions(path: unknown, options: unknown): { path: string; options: Required<SqliteStoreOptions> } {
  const issues: InvalidInputIssue[] = [];
  if (typeof path !== 'string' || path.length === 0) issues.push({ path: 'path', message: 'must be a non-empty string (a file path)' });
  else if (path.includes('\u0000')) issues.push({ path: 'path', message: 'contains \\u0000' });
  const o = checkOptions<SqliteStoreOptions>(SqliteStoreOptions, options, issues);
  if (issues.length > 0) throw new InvalidInputError(issues);
  return {
    path: path as string,
    options: {
      synchronous: o.synchronous ?? 'FULL',
      busyTimeoutMs: o.busyTimeoutMs ?? 5000,
      pollIntervalMs: o.pollIntervalMs ?? 10,
      leaseMs: o.leaseMs ?? LEASE_MS,
      telemetry: o.telemetry ?? {},
    },
  };
}
