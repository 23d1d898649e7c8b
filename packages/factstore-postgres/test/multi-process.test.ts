import { PostgresStore } from '../src/index.js';
import { child, kill } from './children.js';
import { databaseUrl, dropSchemas, freshSchema, sql } from './database.js';
import { checkLogInvariants } from './invariants.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));
const schema = (tag: string) => {
  const name = freshSchema(tag);
  schemas.push(name);
  return name;
};

describe('PostgresStore with several processes', () => {
  it('16 writers in 4 processes book 40 seats: no double booking, gapless log, every ack kept, every batch streamed once in order', async () => {
    const s = schema('seats');
    await (await PostgresStore.connect(databaseUrl(), { schema: s })).close();
    const streamer = child('streamer.mjs', [s]);
    await streamer.waitFor('ready');
    const bookers = ['p1', 'p2', 'p3', 'p4'].map((id) => child('booker.mjs', [s, id, '30']));
    expect(await Promise.all(bookers.map((b) => b.exited))).toEqual([0, 0, 0, 0]);

    const { head, batches } = await checkLogInvariants(s);
    const acks = bookers.flatMap((b) => b.messages.filter((m) => m.type === 'ack')) as unknown as {
      first: number;
      last: number;
      seat?: number;
    }[];
    const ranges = new Set(batches.map((b) => `${b.first}-${b.last}`));
    for (const ack of acks) expect(ranges.has(`${ack.first}-${ack.last}`)).toBe(true);
    expect(acks.length).toBe(batches.length);
    const seats = acks.filter((a) => a.seat !== undefined).map((a) => a.seat);
    expect(seats.length).toBe(40);
    expect(new Set(seats).size).toBe(40); // nobody got a seat twice, nobody booked beyond 40
    expect(await sql(`SELECT COUNT(*)::int AS n FROM "${s}".events WHERE event_type = 'seat-booked'`)).toEqual([{ n: 40 }]);

    streamer.process.send({ type: 'finish', head });
    const streamed = (await streamer.waitFor('batches', 60_000)).batches as number[][];
    expect(streamed.map((b) => `${b[0]}-${b[b.length - 1]}`)).toEqual(batches.map((b) => `${b.first}-${b.last}`));
    expect(streamed.flat()).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  }, 120_000);

  it('a durable name held by another process is refused, and free at once after that process is killed', async () => {
    const s = schema('lease');
    const holder = child('holder.mjs', [s, 'exclusive']);
    await holder.waitFor('ready');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    await expect(store.streamAllDurable('exclusive', () => {})).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
    await kill(holder.process);
    const killedAt = Date.now();
    let stream;
    while (!stream) {
      stream = await store.streamAllDurable('exclusive', () => {}).catch(() => undefined);
      if (!stream) await new Promise((r) => setTimeout(r, 50));
      expect(Date.now() - killedAt).toBeLessThan(5000);
    }
    expect(stream.active).toBe(true);
    await store.close();
  }, 30_000);

  it('a writer killed with SIGKILL mid-append: batches whole or absent, no hole, every ack kept, the next append continues', async () => {
    const s = schema('crash');
    await (await PostgresStore.connect(databaseUrl(), { schema: s })).close();
    let acknowledged = 0;
    for (let round = 0; round < 3; round++) {
      const crasher = child('crasher.mjs', [s]);
      await crasher.waitFor('ready');
      await new Promise((r) => setTimeout(r, 200 + round * 100));
      await kill(crasher.process);
      const acks = crasher.messages.filter((m) => m.type === 'ack') as unknown as { last: number }[];
      expect(acks.length).toBeGreaterThan(0);
      acknowledged = Math.max(acknowledged, ...acks.map((a) => a.last));
      // the server rolls back the killed session's open transaction; wait until its lock is gone
      await new Promise((r) => setTimeout(r, 100));
      const { head } = await checkLogInvariants(s);
      expect(head).toBeGreaterThanOrEqual(acknowledged);
    }
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    const { currentContextVersion } = await store.query({ limit: 1 });
    const next = await store.append([{ eventType: 'after-crash', payload: {} }]);
    expect(next.firstSequenceNumber).toBe((currentContextVersion ?? 0n) + 1n);
    await store.close();
    await checkLogInvariants(s);
  }, 60_000);
});
