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
  readonly message?: string;
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
          const { code, message } = error as { code?: string; message: string };
          outcomes.push({ id, kind: plain ? 'append' : 'appendIf', code: code ?? 'none', message });
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
        if (found) expect(o.message).toMatch(/may or may not have committed/);
      }
    }
    const acknowledged = outcomes.filter((o) => o.code === undefined);
    expect(acknowledged.length).toBeGreaterThan(100);
  }, 60_000);
});
