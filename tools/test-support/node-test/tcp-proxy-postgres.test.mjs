// The fault proxy between plain postgres.js and PostgreSQL: what each mode does to a real client,
// and the unknown-outcome fault: a commit that lands while its reply is lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import kit from './kit.mjs';
import { databaseUrl, rawClient, sleep, targetOf, until, within } from './helpers.mjs';

const { startProxy, isCommitReply } = kit;
const T = { timeout: 20_000 };
const table = `fault_proxy_${process.pid}`;

describe('startProxy between postgres.js and PostgreSQL', () => {
  let admin;
  const proxies = [];
  const clients = [];
  const proxy = async (options = {}) => {
    const p = await startProxy({ target: targetOf(databaseUrl()), ...options });
    proxies.push(p);
    return p;
  };
  const through = (p, options = {}) => {
    const sql = postgres(p.url(databaseUrl()), { max: 1, onnotice: () => {}, connect_timeout: 5, ...options });
    clients.push(sql);
    return sql;
  };
  before(async () => {
    admin = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id text PRIMARY KEY)`);
  });
  after(async () => {
    for (const sql of clients) await sql.end({ timeout: 1 }).catch(() => {});
    for (const p of proxies) await p.close();
    await admin.unsafe(`DROP TABLE IF EXISTS ${table}`);
    await admin.end({ timeout: 1 });
  });
  const rows = async (id) => (await admin.unsafe(`SELECT id FROM ${table} WHERE id = $1`, [id])).length;

  it('forward: queries work and the connection is seen through its startup', T, async () => {
    const p = await proxy();
    const sql = through(p);
    const [row] = await sql`SELECT 1 AS one`;
    assert.equal(row.one, 1);
    assert.equal(p.connections()[0].ready, true);
    assert.ok(p.stats.serverBytes > 0 && p.stats.clientBytes > 0);
  });

  it('stall: a query hangs while the stall lasts and completes when it ends', T, async () => {
    const p = await proxy();
    const sql = through(p);
    await sql`SELECT 1`;
    p.mode('stall');
    const query = sql`SELECT 2 AS two`;
    assert.deepEqual(await within(query, 700), { state: 'pending' });
    p.mode('forward');
    const [row] = await query;
    assert.equal(row.two, 2);
  });

  it(
    'accept-and-close: a query on an existing connection fails with CONNECTION_CLOSED; a fresh connection gets no server byte',
    T,
    async () => {
      const p = await proxy();
      const sql = through(p);
      await sql`SELECT 1`;
      p.mode('accept-and-close');
      await assert.rejects(sql`SELECT 1`, { code: 'CONNECTION_CLOSED' });

      // a PostgreSQL startup message on a raw socket: closed with a FIN, nothing answered
      const raw = rawClient(p.port);
      await raw.connected;
      raw.socket.write(Buffer.from('0000000800030000', 'hex'));
      await until(() => raw.closed, 5000, 'the close');
      assert.equal(raw.ended, true);
      assert.equal(raw.data, '');

      // postgres.js gets no usable connection while the mode lasts (today it retries at once, again and again)
      const fresh = through(p);
      const attempt = await within(fresh`SELECT 1`, 500);
      assert.notEqual(attempt.state, 'fulfilled');
      assert.ok(p.stats.closedAtAccept >= 2, `the client's connections were closed at accept (${p.stats.closedAtAccept})`);
      assert.ok(
        p.connections().every((c) => c.kind !== 'closed-at-accept' || c.serverBytes === 0),
        'none reached the server',
      );
      p.mode('forward');
      const [row] = await fresh`SELECT 3 AS three`;
      assert.equal(row.three, 3);
    },
  );

  it('refuse: a fresh connection fails with ECONNRESET', T, async () => {
    const p = await proxy({ mode: 'refuse' });
    await assert.rejects(through(p)`SELECT 1`, { code: 'ECONNRESET' });
  });

  it('silent: a fresh connection is accepted, never answered, and fails only at the client connect timeout', T, async () => {
    const p = await proxy({ mode: 'silent' });
    const started = Date.now();
    await assert.rejects(through(p, { connect_timeout: 1 })`SELECT 1`, { code: 'CONNECT_TIMEOUT' });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 5000, `failed after ${elapsed} ms`);
    const [connection] = p.connections();
    assert.equal(connection.kind, 'black-hole');
    assert.ok(connection.clientBytes > 0, 'the startup message arrived');
    assert.equal(connection.serverBytes, 0);
  });

  it('drop the reply of an auto-commit INSERT: the row is in the table, the client got a connection error', T, async () => {
    const p = await proxy();
    const sql = through(p);
    await sql`SELECT 1`; // connected: the hook below only sees the insert's reply
    p.onServerChunk((_c, _chunk, messages) => (isCommitReply(messages) ? 'drop-and-cut' : 'forward'));
    const id = `auto-${Date.now()}`;
    await assert.rejects(sql.unsafe(`INSERT INTO ${table} (id) VALUES ($1)`, [id]), { code: 'CONNECTION_CLOSED' });
    assert.equal(await rows(id), 1, 'committed, though the client cannot know');
    assert.equal(p.stats.droppedChunks, 1);
    p.onServerChunk(undefined);
    await sql`SELECT 1`; // and the client reconnects
  });

  it('drop-replies with isCommitReply: a transaction whose COMMIT reply was lost is committed', T, async () => {
    const p = await proxy();
    const sql = through(p);
    await sql`SELECT 1`;
    p.mode('drop-replies', { when: (_c, _chunk, messages) => isCommitReply(messages) });
    const id = `tx-${Date.now()}`;
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx.unsafe(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
        await tx.unsafe(`INSERT INTO ${table} (id) VALUES ($1)`, [`${id}-2`]);
      }),
      { code: 'CONNECTION_CLOSED' },
    );
    assert.equal((await rows(id)) + (await rows(`${id}-2`)), 2);
    assert.equal(p.stats.droppedChunks, 1, 'only the COMMIT reply: the inserts inside the transaction were relayed');
  });

  it('a statement that failed is no commit: its reply is relayed', T, async () => {
    const p = await proxy();
    const sql = through(p);
    const id = `dup-${Date.now()}`;
    await admin.unsafe(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
    p.mode('drop-replies', { when: (_c, _chunk, messages) => isCommitReply(messages) });
    await assert.rejects(sql.unsafe(`INSERT INTO ${table} (id) VALUES ($1)`, [id]), { code: '23505' });
    assert.equal(p.stats.droppedChunks, 0);
  });

  it('cutAll during a query: it fails with CONNECTION_CLOSED at once, and the next query reconnects', T, async () => {
    const p = await proxy();
    const sql = through(p);
    await sql`SELECT 1`;
    const sleeping = sql`SELECT pg_sleep(2)`;
    await sleep(200);
    const cutAt = Date.now();
    assert.equal(p.cutAll(), 1);
    await assert.rejects(sleeping, { code: 'CONNECTION_CLOSED' });
    assert.ok(Date.now() - cutAt < 1000, 'without waiting for the statement');
    const [again] = await sql`SELECT 4 AS four`;
    assert.equal(again.four, 4);
    assert.equal(p.stats.accepted, 2);
  });
});
