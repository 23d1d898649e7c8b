// PostgresStore behind PgBouncer in transaction pooling mode (a real pgbouncer, started on a free
// port in front of DATABASE_URL): the conformance suite and the store kit's several-process tests,
// with `poolMode: 'transaction'` (no named prepared statements, no LISTEN through the pooler:
// polling) and with a direct `listenUrl` for LISTEN.
import postgres from 'postgres';
import type { EventRecord } from 'factstore';
import { describeFactStoreConformance } from 'factstore-conformance';
import {
  describeCrossProcessWait,
  describeExitAfterClose,
  describeLeaseFencing,
  describeMultiProcess,
  eventually,
} from 'factstore-test-support';
import { startPgBouncer, type PgBouncer } from 'factstore-test-support/faults';
import { PostgresStore, type PostgresStoreOptions } from '../src/index.js';
import { postgresAdapterAt } from './adapter.js';
import { databaseUrl, dropSchemas, freshSchema } from './database.js';

let bouncer: PgBouncer;
const schemas: string[] = [];
beforeAll(async () => {
  bouncer = await startPgBouncer({ url: databaseUrl() });
}, 20_000);
afterAll(async () => {
  await dropSchemas(schemas);
  await bouncer?.close();
});

/** A store on a fresh schema, through PgBouncer. */
function behindBouncer(options: Omit<PostgresStoreOptions, 'schema'>, schema = freshSchema('pgb')): Promise<PostgresStore> {
  if (!schemas.includes(schema)) schemas.push(schema);
  return PostgresStore.connect(bouncer.url, { ...options, schema });
}

describe('PostgresStore behind PgBouncer (pool_mode = transaction)', () => {
  it('refuses a postgres.js instance of the caller that prepares statements, before any I/O; takes one with prepare: false', async () => {
    const preparing = postgres(bouncer.url, { max: 1 });
    try {
      await expect(PostgresStore.connect(preparing, { schema: freshSchema('pgb'), poolMode: 'transaction' })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        issues: [{ path: 'connection', message: expect.stringContaining('prepare: false') }],
      });
    } finally {
      await preparing.end({ timeout: 5 });
    }
    const own = postgres(bouncer.url, { prepare: false, fetch_types: false, onnotice: () => {} });
    try {
      const schema = freshSchema('pgb');
      schemas.push(schema);
      const store = await PostgresStore.connect(own, { schema, poolMode: 'transaction' });
      // distinct statements from many connections at once: with named statements, a pooled server connection would lack them
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.append([{ eventType: `e${i % 7}`, payload: { i } }])));
      const counts = await Promise.all(Array.from({ length: 7 }, (_, t) => store.query({ filters: [{ eventTypes: [`e${t}`] }] })));
      expect(counts.map((c) => c.eventRecords.length)).toEqual([6, 6, 6, 6, 6, 5, 5]);
      await store.close();
      expect(await own`SELECT 1 AS one`).toEqual([{ one: 1 }]); // close() left the caller's instance open
    } finally {
      await own.end({ timeout: 5 });
    }
  });

  it('refuses a listenUrl that is not a postgres:// URL and an unknown poolMode, with the paths', async () => {
    await expect(
      PostgresStore.connect(bouncer.url, { poolMode: 'statement', listenUrl: 'localhost:5432' } as unknown as PostgresStoreOptions),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      issues: expect.arrayContaining([
        expect.objectContaining({ path: 'options.listenUrl', message: 'must be a postgres:// or postgresql:// URL' }),
        expect.objectContaining({ path: 'options.poolMode' }),
      ]),
    });
  });

  it.each([
    ['polling every pollIntervalMs', { pollIntervalMs: 200 }],
    ['LISTEN on listenUrl (the poll an hour away)', { pollIntervalMs: 600_000, listenUrl: databaseUrl() }],
  ])('a live stream learns of another instance’s commit by %s', async (_how, options) => {
    const schema = freshSchema('pgb');
    const watching = await behindBouncer({ poolMode: 'transaction', ...options }, schema);
    const writing = await behindBouncer({ poolMode: 'transaction', ...options }, schema);
    const seen: EventRecord[] = [];
    const stream = await watching.streamAll(async (batch) => void seen.push(...batch));
    await writing.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }]);
    await eventually('the commit of the other instance streamed', () => seen.length > 0, 10_000);
    expect(seen.map((r) => r.payload)).toEqual([{ accountId: 'a1' }]);
    await stream.unsubscribe();
    await writing.close();
    await watching.close();
  });
});

describeFactStoreConformance('PostgresStore behind PgBouncer, polling', () =>
  behindBouncer({ poolMode: 'transaction', pollIntervalMs: 200 }),
);

describeFactStoreConformance('PostgresStore behind PgBouncer, LISTEN on listenUrl', () =>
  behindBouncer({ poolMode: 'transaction', listenUrl: databaseUrl() }),
);

const polling = postgresAdapterAt(databaseUrl(), {
  name: 'PostgresStore behind PgBouncer, polling',
  url: () => bouncer.url,
  options: { poolMode: 'transaction', pollIntervalMs: 200 },
});
const listening = postgresAdapterAt(databaseUrl(), {
  name: 'PostgresStore behind PgBouncer, LISTEN on listenUrl',
  url: () => bouncer.url,
  options: { poolMode: 'transaction', listenUrl: databaseUrl() },
});
describeMultiProcess(polling);
describeCrossProcessWait(polling);
describeLeaseFencing(polling);
describeExitAfterClose(polling);
describeMultiProcess(listening);
describeExitAfterClose(listening);
