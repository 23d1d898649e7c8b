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
   * of waiting for the server to come back. An append given up on after its commit was sent
   * rejects with `mayHaveCommitted` set (retry it with the same idempotency key). Calls that
   * answer within it are unaffected, however long the outage was.
   */
  callTimeoutMs?: number;
  /**
   * The bound on `close()`, in ms (default 2000): streams stop, cursors are saved and the pool is
   * ended within it; connections to a server that does not answer are abandoned after it.
   */
  closeTimeoutMs?: number;
  /**
   * Where the store's spans and metrics go: `{ tracerProvider, meterProvider }` of OpenTelemetry
   * (docs/operations.md). Default: the global providers of `@opentelemetry/api` when it is
   * installed; without it, no telemetry.
   */
  telemetry?: TelemetryOptions;
}

/** TypeBox schema of {@link PostgresStoreOptions}. */
export const PostgresStoreOptions = Type.Object(
  {
    schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,50}$' })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
    leaseMs: Type.Optional(Type.Integer({ minimum: 300, maximum: 600_000 })),
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    callTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    closeTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    telemetry: Type.Optional(TelemetryOptions),
  },
  { additionalProperties: false },
);

/** Validates the arguments of `connect`, with defaults filled in. */
export function validateOptions(
  connection: unknown,
  options: unknown,
): { connection: PostgresConnection; options: Required<PostgresStoreOptions> } {
  const issues: InvalidInputIssue[] = [];
  const plainObject = typeof connection === 'object' && connection !== null && !Array.isArray(connection);
  if (!isSql(connection) && !plainObject && !(typeof connection === 'string' && connection.length > 0)) {
    issues.push({ path: 'connection', message: 'must be a connection URL, postgres.js options, or a postgres.js instance' });
  }
  const o = checkOptions<PostgresStoreOptions>(PostgresStoreOptions, options, issues, {
    '/schema': 'must be a plain identifier: a letter or _, then letters, digits or _ (at most 51)',
  });
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
      telemetry: o.telemetry ?? {},
    },
  };
}
