import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { PostgresStore } from '../src/index.js';
import { databaseUrl, dropSchemas, freshSchema, sql } from './database.js';
import { checkLogInvariants } from './invariants.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));
const schema = (tag: string) => {
  const name = freshSchema(tag);
  schemas.push(name);
  return name;
};
const opened = (accountId: string, extra: object = {}) => ({ eventType: 'account-opened', payload: { accountId, ...extra } });
const positions = (records: readonly { sequenceNumber: bigint }[]) => records.map((r) => Number(r.sequenceNumber));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgresStore persistence and connections', () => {
  it('keeps events, payloads and occurredAt across reconnects; batches replay with their boundaries', async () => {
    const s = schema('keep');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    await store.append([opened('a1', { nested: { list: [1.5, 'x', null, true], n: 0.1 + 0.2, big: 1e21 } }), opened('a2')]);
    await store.append([
      { eventType: 'scalar', payload: 'just text' },
      { eventType: 'null', payload: null },
      { eventType: 'list', payload: [1, 'two'] },
    ]);
    const before = await store.query({});
    await store.close();
    const again = await PostgresStore.connect(databaseUrl(), { schema: s });
    const after = await again.query({});
    expect(after).toEqual(before);
    expect(after.eventRecords[0]?.occurredAt.getTime()).toBe(before.eventRecords[0]?.occurredAt.getTime());
    const batches: number[][] = [];
    await again.streamAllDurable('replay', (batch) => void batches.push(positions(batch)));
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    await again.close();
    await checkLogInvariants(s);
  });

  it('durable cursors persist across reconnects', async () => {
    const s = schema('cursor');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    await store.append([opened('a1'), opened('a1', { name: 'Primary' })]);
    const first: number[][] = [];
    await store.streamAllDurable('account-directory', (batch) => void first.push(positions(batch)));
    expect(first).toEqual([[1, 2]]);
    await store.close();
    expect(await sql(`SELECT position FROM "${s}".cursors WHERE name = 'account-directory'`)).toEqual([{ position: 2n }]);
    const again = await PostgresStore.connect(databaseUrl(), { schema: s });
    const second: number[][] = [];
    await again.streamAllDurable('account-directory', (batch) => void second.push(positions(batch)));
    await sleep(100);
    expect(second).toEqual([]);
    await again.append([opened('a1', { amount: 50 })]);
    await sleep(100);
    expect(second).toEqual([[3]]);
    await again.close();
    expect(await sql(`SELECT position FROM "${s}".cursors WHERE name = 'account-directory'`)).toEqual([{ position: 3n }]);
  });

  it('missing batch history fails a durable replay with BACKEND_FAILURE; repaired, it replays', async () => {
    const s = schema('history');
    const first = await PostgresStore.connect(databaseUrl(), { schema: s });
    await first.append([opened('a1')]);
    await first.close();
    await sql(`DELETE FROM "${s}".batches`);
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    const error = await store.streamAllDurable('setup-failure', () => {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_FAILURE' });
    expect(String((error as Error).message)).toMatch(/batch history/);
    await sql(`INSERT INTO "${s}".batches VALUES (1, 1)`);
    const batches: number[][] = [];
    await store.streamAllDurable('setup-failure', (batch) => void batches.push(positions(batch)));
    expect(batches).toEqual([[1]]);
    await store.close();
  });

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

  it('a schema from a newer format is refused and left unchanged', async () => {
    const s = schema('newer');
    await (await PostgresStore.connect(databaseUrl(), { schema: s })).close();
    await sql(`UPDATE "${s}".factstore_meta SET value = '7' WHERE key = 'format_version'`);
    await sql(`DROP INDEX "${s}".events_payload`);
    const error = await PostgresStore.connect(databaseUrl(), { schema: s }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_FAILURE' });
    expect(String((error as Error).message)).toMatch(/format 7/);
    expect(await sql(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_payload'`, [s])).toEqual([]);
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

  it('close() lets the process exit by itself, also right after connect and with streams', () => {
    const s = schema('exit');
    const script = `
      const { PostgresStore } = require(${JSON.stringify(require.resolve('factstore-postgres'))});
      (async () => {
        const quick = await PostgresStore.connect(process.env.DATABASE_URL, { schema: '${s}' });
        await quick.close();
        const store = await PostgresStore.connect(process.env.DATABASE_URL, { schema: '${s}' });
        await store.streamAll(() => {});
        await store.streamAllDurable('d', () => {});
        await store.append([{ eventType: 'e', payload: 1 }]);
        await store.close();
        console.log('closed');
      })();
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('closed');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
  });
});
