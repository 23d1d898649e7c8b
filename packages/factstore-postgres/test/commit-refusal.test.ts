import { createServer } from 'node:net';
import postgres from 'postgres';
import { refusedCommit } from '../src/commit-refusal.js';
import { databaseUrl } from './database.js';

/** The error `run` rejects with. */
const failure = (run: () => Promise<unknown>) =>
  run().then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

/** The error `SELECT 1` fails with on a server at 127.0.0.1:`port`. */
async function selectFailure(port: number): Promise<unknown> {
  const sql = postgres({ host: '127.0.0.1', port, max: 1, connect_timeout: 2, fetch_types: false, onnotice: () => {} });
  try {
    return await failure(() => sql`SELECT 1`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

describe('refusedCommit: whether a failed commit surely wrote nothing', () => {
  it('an ERROR from the server (the statement rolled back): refused', async () => {
    const sql = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    try {
      const error = await failure(() => sql`SELECT 1 / 0`);
      expect(error).toMatchObject({ code: '22012', severity: 'ERROR' });
      expect(refusedCommit(error)).toBe(true);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('its backend terminated while the statement ran: not refused, the outcome is open', async () => {
    const sql = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    const admin = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    try {
      const [{ pid }] = (await sql`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
      const running = failure(() => sql`SELECT pg_sleep(10)`);
      await new Promise((r) => setTimeout(r, 200));
      await admin`SELECT pg_terminate_backend(${pid})`;
      const error = await running;
      // the server's FATAL 57P01, or (as postgres.js 3.4 reports it) the connection it closed
      expect(['57P01', 'CONNECTION_CLOSED']).toContain((error as { code?: string }).code);
      expect(refusedCommit(error)).toBe(false);
    } finally {
      await sql.end({ timeout: 5 });
      await admin.end({ timeout: 5 });
    }
  });

  it('a connection lost while the statement was out (CONNECTION_CLOSED): not refused', async () => {
    // a server that accepts the connection, answers the startup, then closes on the first query
    const server = createServer((socket) => {
      socket.once('data', () => {
        // AuthenticationOk, ReadyForQuery (idle)
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49]));
        socket.once('data', () => socket.destroy());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await selectFailure(port);
      expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
      expect(refusedCommit(error)).toBe(false);
    } finally {
      server.close();
    }
  });

  it('a connection never made (ECONNREFUSED): refused, nothing was sent', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve)); // nothing listens there now
    const error = await selectFailure(port);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(refusedCommit(error)).toBe(true);
  });
});
