import { BackendFailureError } from 'factstore';
import { DeadlineExceededError } from 'factstore/backend';
import { isSql, type PostgresConnection } from './connection.js';

/** Codes of a server that cannot be reached (Node's socket and DNS errors, postgres.js's own). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
]);

/**
 * SQLSTATEs with which a server refuses a connection: class 28 (authentication), 3D000 (no such
 * database), 53300 (too many connections), 57P03 (starting up or shutting down).
 */
export const REFUSED = /^(28...|3D000|53300|57P03)$/;

/**
 * The error `PostgresStore.connect` rejects with when opening failed: "cannot connect to
 * PostgreSQL at host:port (ECONNREFUSED)" when the server could not be reached, "cannot connect
 * to PostgreSQL at host:port: <the server's reason> (28P01)" when it refused the connection, and
 * "… the schema was not ready within the connect timeout of 5000 ms" when no answer came in time
 * (a silent server, or one that accepts and closes every connection), and otherwise "cannot use
 * PostgreSQL schema …" with the server's message. Always a
 * `BackendFailureError` whose `cause` is the driver's error.
 */
export function describeConnectFailure(error: unknown, connection: PostgresConnection, schema: string): BackendFailureError {
  if (error instanceof DeadlineExceededError) {
    const where = configured(connection);
    return new BackendFailureError(
      `cannot connect to PostgreSQL${where ? ` at ${where}` : ''}: the schema was not ready within the connect timeout of ${error.ms} ms`,
      error,
      { describesCause: true },
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNREACHABLE.has(code) || REFUSED.test(code))) {
    const where = endpoints(error) || configured(connection);
    const at = where ? ` at ${where}` : '';
    const reason = UNREACHABLE.has(code) ? '' : `: ${(error as Error).message}`;
    return new BackendFailureError(`cannot connect to PostgreSQL${at}${reason} (${code})`, error, { describesCause: true });
  }
  return new BackendFailureError(`cannot use PostgreSQL schema ${JSON.stringify(schema)}`, error);
}

/** `host:port` as the caller configured it (a URL, postgres.js options, or a postgres.js instance). */
function configured(connection: PostgresConnection): string {
  try {
    if (typeof connection === 'string') {
      const url = new URL(connection);
      return `${url.hostname || 'localhost'}:${url.port || '5432'}`;
    }
    const options = (isSql(connection) ? connection.options : connection) as { host?: unknown; port?: unknown };
    const hosts = ([] as unknown[]).concat(options.host ?? 'localhost');
    const ports = ([] as unknown[]).concat(options.port ?? 5432);
    return hosts.map((host, i) => `${String(host)}:${String(ports[i] ?? ports[0])}`).join(', ');
  } catch {
    return '';
  }
}

/** `host:port` of the failed attempts: the error's own, or those of an AggregateError's errors (`localhost` as ::1 and 127.0.0.1). */
function endpoints(error: unknown): string {
  const found = new Set<string>();
  for (const attempt of [error, ...((error as { errors?: unknown[] }).errors ?? [])]) {
    const { address, hostname, port } = attempt as { address?: unknown; hostname?: unknown; port?: unknown };
    const host = typeof address === 'string' ? address : typeof hostname === 'string' ? hostname : undefined;
    // without a port (a DNS failure names only the host), the configured address says more
    if (host === undefined || (typeof port !== 'number' && typeof port !== 'string')) continue;
    found.add(`${host.includes(':') && !host.startsWith('/') ? `[${host}]` : host}:${port}`);
  }
  return [...found].join(', ');
}
