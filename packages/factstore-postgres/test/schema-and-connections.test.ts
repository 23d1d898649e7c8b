import postgres from 'postgres';
import { eventually, opened, positions } from 'factstore-test-support';
import { PostgresStore } from '../src/index.js';
import { databaseUrl, schemasDroppedAfterAll, sql } from './database.js';

const schema = schemasDroppedAfterAll();

describe('PostgresStore schema and connections', () => {
  it('creates its tables in the named schema, with the format version and the GIN index', async () => {
    const s = schema('tables');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    await store.close();
    const tables = (
      await sql<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [s])
    ).map((r) => r.table_name);
    expect(tables).toEqual(['batches', 'cursors', 'events', 'factstore_meta', 'head']);
    expect(await sql(`SELECT value FROM "${s}".factstore_meta WHERE key = 'format_version'`)).toEqual([{ value: '2' }]);
    const [index] = await sql<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_payload'`,
      [s],
    );
    expect(index?.indexdef).toMatch(/gin \(payload jsonb_path_ops\)/);
  });

  it('listens from its first stream on: while it only appends and reads it holds no LISTEN connection', async () => {
    const s = schema('lazy');
    // the listening connection's last statement is its LISTEN of the schema's channel
    const listeners = async () =>
      Number(
        (
          await sql<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE query ILIKE 'listen %' AND position($1 in query) > 0`,
            [`"factstore_${s}"`],
          )
        )[0]?.n,
      );
    // the poll an hour away: only a notification can tell the stream of the other instance's commit
    const watching = await PostgresStore.connect(databaseUrl(), { schema: s, pollIntervalMs: 600_000 });
    const writing = await PostgresStore.connect(databaseUrl(), { schema: s, pollIntervalMs: 600_000 });
    try {
      await writing.append([opened('a1')]);
      await watching.append([opened('a2')]);
      expect(positions((await watching.query({})).eventRecords)).toEqual([1, 2]);
      expect(await listeners()).toBe(0);
      const seen: number[] = [];
      const stream = await watching.streamAll(async (batch) => void seen.push(...positions(batch)));
      await eventually('one LISTEN connection', async () => (await listeners()) === 1);
      await writing.append([opened('a3')]);
      await eventually('the other instance’s commit streamed', () => seen.length > 0, 10_000);
      expect(seen).toEqual([3]);
      expect(watching.status().head).toBe(3n);
      await stream.unsubscribe();
    } finally {
      await writing.close();
      await watching.close();
    }
    await eventually('no LISTEN connection after close', async () => (await listeners()) === 0);
  });

  it('accepts an existing postgres.js instance and leaves it open on close', async () => {
    const s = schema('instance');
    const own = postgres(databaseUrl(), { onnotice: () => {} });
    const store = await PostgresStore.connect(own, { schema: s });
    await store.append([opened('a1')]);
    expect(positions((await store.query({})).eventRecords)).toEqual([1]);
    await store.close();
    expect(await own`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    await own.end();
  });

  it('accepts postgres.js options', async () => {
    const s = schema('options');
    const url = new URL(databaseUrl());
    const store = await PostgresStore.connect(
      {
        host: url.hostname,
        port: Number(url.port || 5432),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
      },
      { schema: s },
    );
    expect((await store.append([opened('a1')])).firstSequenceNumber).toBe(1n);
    await store.close();
  });

  it('bad arguments are INVALID_INPUT; an unreachable server is BACKEND_FAILURE with the cause', async () => {
    await expect(PostgresStore.connect(databaseUrl(), { schema: 'bad-name' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(PostgresStore.connect(databaseUrl(), { schema: 'x', other: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(PostgresStore.connect(42 as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const error = await PostgresStore.connect('postgres://nobody@127.0.0.1:1/none', { schema: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_FAILURE' });
    expect((error as { cause?: unknown }).cause).toBeDefined();
  });

  it('containment says more than the contract; the store keeps to the contract', async () => {
    const s = schema('exact');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    await store.append([
      { eventType: 'tagged', payload: ['vip', 'beta'] },
      { eventType: 'tagged', payload: 'vip' },
      { eventType: 'tagged', payload: { tags: ['vip'] } },
      { eventType: 'tagged', payload: { tags: 'vip' } },
    ]);
    expect(positions((await store.query({ filters: [{ payloadPredicates: ['vip'] }] })).eventRecords)).toEqual([2]);
    expect(positions((await store.query({ filters: [{ payloadPredicates: [{ tags: 'vip' }] }] })).eventRecords)).toEqual([4]);
    await expect(store.appendIf([opened('x')], { filters: [{ payloadPredicates: ['vip'] }] }, 2n)).resolves.toMatchObject({
      firstSequenceNumber: 5n,
    });
    await store.close();
  });
});
