import { Type } from '@sinclair/typebox';
import { InvalidInputError, type InvalidInputIssue } from 'factstore';
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
}

/** TypeBox schema of {@link PostgresStoreOptions}. */
export const PostgresStoreOptions = Type.Object(
  {
    schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,50}$' })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
    leaseMs: Type.Optional(Type.Integer({ minimum: 300, maximum: 600_000 })),
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
    options: { schema: o.schema ?? 'factstore', pollIntervalMs: o.pollIntervalMs ?? 1000, leaseMs: o.leaseMs ?? LEASE_MS },
  };
}
