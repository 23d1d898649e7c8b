import { Type } from '@sinclair/typebox';
import { InvalidInputError, TelemetryOptions, type InvalidInputIssue } from 'factstore';
import { checkOptions, LEASE_MS } from 'factstore/backend';
import { isSql, type PostgresConnection } from './connection.js';

/** Options of {@link PostgresStore.connect}. */
export interface PostgresStoreOptions {
  /** The PostgreSQL schema that holds every table (created when missing). Default `factstore`. */
  schema?: string;
  /** How often streams look for commits they were not notified of, in ms (default 1000). */
  pollIntervalMs?: number;
  /**
   * How long a durable stream's name stays held by a process that stopped renewing it, in ms
   * (default 3000). The holder renews every third of it, and stops starting handler calls two
   * thirds into it when it could not renew; a name whose holder died is free after it.
   */
  leaseMs?: number;
  /**
   * The bound on `connect()`, in ms (default 5000): whatever the server does (refuses, accepts and
   * closes, never answers), `connect()` settles within it, with `BACKEND_FAILURE` when the
   * schema could not be prepared. Also the driver's `connect_timeout` of each pool connection.
   */
  connectTimeoutMs?: number;
  /**
   * The bound on every call's answer, in ms (default 10000): an append, query or stream read
   * issued while the server is down or unreachable fails with `BACKEND_FAILURE` within it instead
   * of waiting for the server to come back. An append whose commit was sent and whose outcome
   * could not be settled within it rejects with `mayHaveCommitted` set (retry it with the same
   * idempotency key). Calls that answer within it are unaffected, however long the outage was.
   */
  callTimeoutMs?: number;
  /**
   * The bound on `close()`, in ms (default 2000): streams stop, cursors are saved and the pool is
   * ended within it; connections to a server that does not answer are abandoned after it.
   */
  closeTimeoutMs?: number;
  /**
   * How the connection reaches PostgreSQL, as PgBouncer's `pool_mode` names it (default
   * `'session'`): `'session'` for a direct connection or a session-mode pooler, where a connection
   * keeps its session; `'transaction'` for a transaction-mode pooler (PgBouncer with
   * `pool_mode = transaction`, Supabase's port 6543, Neon's `-pooler` host), which hands each
   * transaction to whichever server connection is free. Then the store's own pools use no named
   * prepared statements (`prepare: false`), and LISTEN, which needs a session, is not issued on
   * the connection: streams learn of other processes' commits through
   * {@link PostgresStoreOptions.listenUrl}, or else by polling every
   * {@link PostgresStoreOptions.pollIntervalMs}. A postgres.js instance of your own must then be
   * created with `prepare: false` (else `INVALID_INPUT`).
   */
  poolMode?: 'session' | 'transaction';
  /**
   * A connection URL of the same database that keeps a session (direct to PostgreSQL, or a
   * session-mode pooler), used for LISTEN only: the store holds one connection on it, and no
   * other statement goes there. Streams then learn of other processes' commits within a round
   * trip, also with `poolMode: 'transaction'`. Default: none (LISTEN on the main connection with
   * `poolMode: 'session'`; polling with `'transaction'`).
   */
  listenUrl?: string;
  /**
   * Where the store's spans and metrics go: `{ tracerProvider, meterProvider }` of OpenTelemetry
   * (docs/operations.md). Default: the global providers of `@opentelemetry/api` when it is
   * installed; without it, no telemetry.
   */
  telemetry?: TelemetryOptions;
}

/** {@link PostgresStoreOptions} with the defaults filled in. */
export type ValidPostgresStoreOptions = Required<Omit<PostgresStoreOptions, 'listenUrl'>> & Pick<PostgresStoreOptions, 'listenUrl'>;

/** TypeBox schema of {@link PostgresStoreOptions}. */
export const PostgresStoreOptions = Type.Object(
  {
    schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,50}$' })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
    leaseMs: Type.Optional(Type.Integer({ minimum: 300, maximum: 600_000 })),
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    callTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    closeTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    poolMode: Type.Optional(Type.Union([Type.Literal('session'), Type.Literal('transaction')])),
    listenUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    telemetry: Type.Optional(TelemetryOptions),
  },
  { additionalProperties: false },
);

/** Validates the arguments of `connect`, with defaults filled in. */
export function validateOptions(
  connection: unknown,
  options: unknown,
): { connection: PostgresConnection; options: ValidPostgresStoreOptions } {
  const issues: InvalidInputIssue[] = [];
  const plainObject = typeof connection === 'object' && connection !== null && !Array.isArray(connection);
  if (!isSql(connection) && !plainObject && !(typeof connection === 'string' && connection.length > 0)) {
    issues.push({ path: 'connection', message: 'must be a connection URL, postgres.js options, or a postgres.js instance' });
  }
  const o = checkOptions<PostgresStoreOptions>(PostgresStoreOptions, options, issues, {
    '/schema': 'must be a plain identifier: a letter or _, then letters, digits or _ (at most 51)',
    '/listenUrl': 'must be a postgres:// or postgresql:// URL',
  });
  if (o.poolMode === 'transaction' && isSql(connection) && connection.options?.prepare) {
    issues.push({
      path: 'connection',
      message:
        "must be a postgres.js instance created with prepare: false for poolMode 'transaction' (a named prepared statement does not survive transaction pooling)",
    });
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  return {
    connection: connection as PostgresConnection,
    options: {
      schema: o.schema ?? 'factstore',
      pollIntervalMs: o.pollIntervalMs ?? 1000,
      leaseMs: o.leaseMs ?? LEASE_MS,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      callTimeoutMs: o.callTimeoutMs ?? 10_000,
      closeTimeoutMs: o.closeTimeoutMs ?? 2000,
      poolMode: o.poolMode ?? 'session',
      ...(o.listenUrl !== undefined && { listenUrl: o.listenUrl }),
      telemetry: o.telemetry ?? {},
    },
  };
}
