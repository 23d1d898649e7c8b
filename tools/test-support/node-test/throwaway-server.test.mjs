// startThrowawayServer: a PostgreSQL of the test's own, stopped fast or immediately under load and
// started again on the same data and port.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import kit from './kit.mjs';
import { sleep, until } from './helpers.mjs';

const { startThrowawayServer } = kit;
const T = { timeout: 20_000 };

describe('startThrowawayServer', () => {
  let server;
  let sql;
  before(async () => {
    server = await startThrowawayServer({ settings: { max_connections: '30' } });
    sql = postgres(server.url, { max: 2, onnotice: () => {}, connect_timeout: 2 });
    await sql`CREATE TABLE acked (n int PRIMARY KEY)`;
  });
  after(async () => {
    await sql.end({ timeout: 1 });
    await server.close();
  });

  it('runs a real server with the given settings, as a user that is not root', T, async () => {
    const [{ max_connections: max }] = await sql`SHOW max_connections`;
    assert.equal(max, '30');
    const [{ usesuper }] = await sql`SELECT usesuper FROM pg_user WHERE usename = current_user`;
    assert.equal(usesuper, true);
    assert.ok(server.pid() > 0);
    assert.ok(existsSync(server.dataDir));
  });

  for (const mode of ['immediate', 'fast']) {
    it(`stop('${mode}') under load: clients fail during the outage; after start() every acknowledged insert is there`, T, async () => {
      const base = mode === 'immediate' ? 0 : 1_000_000;
      const acked = [];
      const failures = new Set();
      let running = true;
      const writer = (async () => {
        for (let n = base; running; n++) {
          try {
            await sql`INSERT INTO acked VALUES (${n})`;
            acked.push(n);
          } catch (error) {
            failures.add(error.code);
            await sleep(20);
          }
        }
      })();
      await until(() => acked.length >= 20, 10_000, 'inserts before the stop');
      const before = server.pid();
      await server.stop(mode);
      assert.equal(server.pid(), undefined);
      const during = acked.length;
      await sleep(300);
      assert.equal(acked.length, during, 'nothing is acknowledged while the server is down');
      await server.start();
      assert.ok(server.pid() > 0 && server.pid() !== before, 'a new postmaster');
      await until(() => acked.length >= during + 20, 10_000, 'inserts after the restart');
      running = false;
      await writer;
      assert.ok(failures.size > 0, 'the outage was seen');
      for (const code of failures)
        assert.ok(
          ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03'].includes(code),
          code,
        );
      const [{ count }] = await sql`SELECT count(*)::int AS count FROM acked WHERE n = ANY(${acked})`;
      assert.equal(count, acked.length, 'no acknowledged insert was lost');
    });
  }

  it('close() stops the server and removes its data; the instance is unusable afterwards', T, async () => {
    const other = await startThrowawayServer();
    const client = postgres(other.url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
    await client`SELECT 1`;
    await other.close();
    assert.equal(existsSync(other.dataDir), false);
    await assert.rejects(client`SELECT 1`, (error) =>
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'CONNECTION_CLOSED', '57P01'].includes(error.code),
    );
    await assert.rejects(other.start(), /the throwaway PostgreSQL is closed/);
    await client.end({ timeout: 1 });
    await other.close(); // twice is fine
  });

  it('reports a postmaster that exits without being asked to', T, async () => {
    const other = await startThrowawayServer();
    try {
      let exit;
      other.onUnexpectedExit = (code, signal) => (exit = { code, signal });
      process.kill(other.pid(), 'SIGQUIT');
      await until(() => exit !== undefined, 5000, 'the report');
      assert.equal(other.pid(), undefined);
      await other.start();
      const client = postgres(other.url, { max: 1, onnotice: () => {} });
      const [{ one }] = await client`SELECT 1 AS one`;
      assert.equal(one, 1);
      await client.end({ timeout: 1 });
    } finally {
      await other.close();
    }
  });
});
