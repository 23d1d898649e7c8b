import postgres from 'postgres';
import { checkLogInvariants, isCommitReply, random, startProxy, type FaultProxy } from 'factstore-test-support';
import { PostgresStore } from '../src/index.js';
import { postgresAdapter } from './adapter.js';
import { databaseUrl } from './database.js';

afterAll(() => postgresAdapter.cleanup());

interface Outcome {
  readonly id: string;
  readonly kind: 'append' | 'appendIf';
  readonly first?: bigint;
  readonly last?: bigint;
  readonly code?: string;
  readonly mayHaveCommitted?: boolean;
}

describe('PostgresStore when a commit reply is lost', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    const target = new URL(databaseUrl());
    proxy = await startProxy({ target: { host: target.hostname, port: Number(target.port || 5432) }, protocol: 'postgres' });
  });
  afterAll(() => proxy.close());

  it('many concurrent appends and appendIfs while replies of commits are dropped: nothing twice, every ack exactly once, no false conflict, gapless', async () => {
    const schema = await postgresAdapter.create('lost-replies');
    const store = await PostgresStore.connect(proxy.url(databaseUrl()), { schema });
    const rnd = random(42);
    // after the pool is up: drop the reply of one commit in eight, cutting the connection, so the
    // store cannot know whether the commit landed
    // (a group of plain appends is one auto-commit statement; a group with appendIfs a transaction)
    const commits = (messages: Parameters<typeof isCommitReply>[0]) => isCommitReply(messages) || isCommitReply(messages, /INSERT INTO/);
    proxy.onServerChunk((_connection, _chunk, messages) => (commits(messages) && rnd() < 0.125 ? 'drop-and-cut' : 'forward'));
    const outcomes: Outcome[] = [];
    const deadline = Date.now() + 6000;
    const worker = async (w: number) => {
      for (let i = 0; Date.now() < deadline; i++) {
        const id = `${w}-${i}`;
        const plain = w % 2 === 0;
        try {
          const r = plain
            ? await store.append([{ eventType: 'written', payload: { id } }])
            : await (async () => {
                const context = { filters: [{ eventTypes: ['booked'], payloadPredicates: [{ slot: w % 5 }] }] };
                const { currentContextVersion } = await store.query(context);
                return store.appendIf([{ eventType: 'booked', payload: { id, slot: w % 5 } }], context, currentContextVersion);
              })();
          outcomes.push({ id, kind: plain ? 'append' : 'appendIf', first: r.firstSequenceNumber, last: r.lastSequenceNumber });
        } catch (error) {
          const { code, mayHaveCommitted } = error as { code?: string; mayHaveCommitted?: boolean };
          outcomes.push({ id, kind: plain ? 'append' : 'appendIf', code: code ?? 'none', mayHaveCommitted });
        }
      }
    };
    await Promise.all(Array.from({ length: 24 }, (_, w) => worker(w)));
    proxy.onServerChunk(undefined);
    await store.close();
    expect(proxy.stats.droppedChunks).toBeGreaterThan(5); // the fault really happened

    const { log } = await checkLogInvariants(postgresAdapter, schema); // gapless, batches whole
    const where = new Map<string, number[]>();
    for (const event of log.events) {
      const id = (event.payload as { id: string }).id;
      where.set(id, [...(where.get(id) ?? []), event.position]);
    }
    // nothing twice
    expect([...where.values()].filter((positions) => positions.length > 1)).toEqual([]);
    for (const o of outcomes) {
      const found = where.get(o.id);
      if (o.code === undefined) {
        // every acknowledged append is in the log exactly once, where its result says
        expect(found).toEqual([Number(o.first)]);
      } else if (o.code === 'CONDITIONAL_APPEND_CONFLICT') {
        // a conflict is never false: the append is not in the log
        expect({ id: o.id, found }).toEqual({ id: o.id, found: undefined });
      } else {
        expect(o.code).toBe('BACKEND_FAILURE');
        // a failed call whose append did land says that its outcome was unknown
        if (found) expect({ id: o.id, mayHaveCommitted: o.mayHaveCommitted }).toEqual({ id: o.id, mayHaveCommitted: true });
      }
    }
    const acknowledged = outcomes.filter((o) => o.code === undefined);
    expect(acknowledged.length).toBeGreaterThan(100);
  }, 60_000);

  it('a commit cut while it waits for the counter row, which lands after the store looked for it: the append resolves, written once', async () => {
    const schema = await postgresAdapter.create('late-commit');
    const app = `late-commit-${process.pid}`;
    const url = new URL(proxy.url(databaseUrl()));
    // one connection: the one cut is the only one, so the store's look-up and second commit open a new one
    // (with more, the look-up can go out on another connection the cut is just closing)
    const store = await PostgresStore.connect(
      {
        host: url.hostname,
        port: Number(url.port),
        user: decodeURIComponent(url.username) || 'postgres',
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
        max: 1,
        connection: { application_name: app },
      },
      { schema },
    );
    const admin = postgres(databaseUrl(), { max: 2, onnotice: () => {} });
    const waiting = async (count: number) => {
      for (;;) {
        const [row] =
          await admin`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${app} AND wait_event_type = 'Lock'`;
        if ((row as { n: number }).n >= count) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      await store.append([{ eventType: 'warm-up', payload: {} }]);
      const locker = await admin.reserve();
      await locker.unsafe('BEGIN');
      await locker.unsafe(`SELECT last_seq FROM "${schema}".head WHERE id = 1 FOR UPDATE`);
      // the append's statement reaches the server and waits for the counter row; its connection is
      // cut then: the server still has it, and commits it once the row is free
      const appending = store.append([{ eventType: 'late', payload: { n: 1 } }]);
      await waiting(1);
      proxy.cutAll();
      // the store looks for it (not there yet) and commits it again, which waits behind the first
      await waiting(2);
      await locker.unsafe('COMMIT');
      locker.release();
      const result = await appending;
      expect(result).toMatchObject({ firstSequenceNumber: 2n, lastSequenceNumber: 2n });
      const rows = await admin.unsafe(`SELECT seq::int AS seq, event_type FROM "${schema}".events ORDER BY seq`);
      expect(rows.map((r) => `${r.seq} ${r.event_type}`)).toEqual(['1 warm-up', '2 late']);
    } finally {
      await store.close();
      await admin.end({ timeout: 5 });
    }
  }, 30_000);
});
