import { createServer } from 'node:net';
import { PostgresStore } from '../src/index.js';
import { describeConnectFailure } from '../src/connect-failure.js';
import { databaseUrl } from './database.js';

async function connectError(connection: unknown, options?: unknown) {
  const error = await PostgresStore.connect(connection as never, options as never).then(
    (store) => store.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { code: string; cause?: { code?: string }; issues?: unknown[] };
}

/** A local port nothing listens on: taken from the OS, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('PostgresStore.connect errors a user can act on', () => {
  it('an unknown option is INVALID_INPUT naming the key and the accepted ones, before connecting', async () => {
    const error = await connectError('postgres://nobody@127.0.0.1:1/none', { scheme: 'facts' });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.issues).toEqual([
      {
        path: 'options.scheme',
        message:
          'is not an accepted key (accepted: schema, pollIntervalMs, leaseMs, connectTimeoutMs, callTimeoutMs, closeTimeoutMs, poolMode, listenUrl, telemetry)',
      },
    ]);
  });

  it('a server that is not there: "cannot connect to PostgreSQL at host:port (ECONNREFUSED)", the driver error as cause', async () => {
    const port = await closedPort();
    const error = await connectError(`postgres://postgres@127.0.0.1:${port}/test`);
    expect(error.code).toBe('BACKEND_FAILURE');
    expect(error.message).toBe(`backend failure: cannot connect to PostgreSQL at 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(error.cause?.code).toBe('ECONNREFUSED');
  });

  it('a server that refuses the connection: its reason and SQLSTATE, at the configured address', async () => {
    const url = new URL(databaseUrl());
    url.pathname = '/no_such_database_for_factstore';
    const error = await connectError(url.toString());
    expect(error.code).toBe('BACKEND_FAILURE');
    expect(error.message).toBe(
      `backend failure: cannot connect to PostgreSQL at ${url.hostname}:${url.port || 5432}: database "no_such_database_for_factstore" does not exist (3D000)`,
    );
    expect(error.cause?.code).toBe('3D000');
  });

  it('names every address tried and the configured one when the error has none', () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}:5432`), { code: 'ECONNREFUSED', address, port: 5432 });
    const both = Object.assign(new AggregateError([refused('::1'), refused('127.0.0.1')]), { code: 'ECONNREFUSED' });
    expect(describeConnectFailure(both, 'postgres://localhost/db', 'factstore').message).toBe(
      'backend failure: cannot connect to PostgreSQL at [::1]:5432, 127.0.0.1:5432 (ECONNREFUSED)',
    );
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND db.invalid'), { code: 'ENOTFOUND', hostname: 'db.invalid' });
    expect(describeConnectFailure(dns, { host: 'db.invalid', port: 6543 }, 'factstore').message).toBe(
      'backend failure: cannot connect to PostgreSQL at db.invalid:6543 (ENOTFOUND)',
    );
    const other = Object.assign(new Error('permission denied for database test'), { code: '42501' });
    const failure = describeConnectFailure(other, 'postgres://localhost/db', 'facts');
    expect(failure.code).toBe('BACKEND_FAILURE');
    expect(failure.message).toBe('backend failure: cannot use PostgreSQL schema "facts": permission denied for database test');
    expect(failure.cause).toBe(other);
  });
});
