import { startProxy, type FaultProxy } from 'factstore-test-support';
import type { EventRecord } from 'factstore';
import { PostgresStore } from '../src/index.js';
import { postgresAdapter } from './adapter.js';
import { databaseUrl } from './database.js';

afterAll(() => postgresAdapter.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgresStore durable lease under a network partition', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    const target = new URL(databaseUrl());
    proxy = await startProxy({ target: { host: target.hostname, port: Number(target.port || 5432) }, protocol: 'postgres' });
  });
  afterAll(() => proxy.close());

  it('a holder cut off from the database past its lease starts no handler call once the network heals, and reports DURABLE_STREAM_LEASE_LOST', async () => {
    const schema = await postgresAdapter.create('partition');
    const options = { schema, leaseMs: 1500, pollIntervalMs: 50 };
    const writer = await PostgresStore.connect(databaseUrl(), options);
    const cutOff = await PostgresStore.connect(proxy.url(databaseUrl()), options); // the holder behind the proxy
    const other = await PostgresStore.connect(databaseUrl(), options);
    const calls: { who: 'a' | 'b'; at: number; first: bigint }[] = [];
    const errors: string[] = [];
    const handler = (who: 'a' | 'b') => (batch: readonly EventRecord[]) =>
      void calls.push({ who, at: Date.now(), first: batch[0]!.sequenceNumber });
    await cutOff.streamAllDurable('projection', handler('a'), { onError: (error) => errors.push((error as { code: string }).code) });
    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing; i++) {
        await writer.append([{ eventType: 'tick', payload: { i } }]);
        await sleep(30);
      }
    })();
    try {
      await sleep(500);
      expect(calls.some((c) => c.who === 'a')).toBe(true);
      proxy.mode('stall'); // the partition: nothing passes either way
      const partitionedAt = Date.now();
      // the other store takes the name once the lease (1.5 s) has run out
      let taken = false;
      while (!taken) {
        taken = await other.streamAllDurable('projection', handler('b')).then(
          () => true,
          (error: { code: string }) => {
            expect(error.code).toBe('DURABLE_STREAM_ACTIVE');
            return false;
          },
        );
        if (!taken) await sleep(100);
        expect(Date.now() - partitionedAt).toBeLessThan(5000);
      }
      const tookOverAt = Date.now();
      await sleep(1000);
      proxy.mode('forward'); // the network heals
      const healedAt = Date.now();
      await sleep(1500);
      writing = false;
      await writes;
      // the cut-off holder started nothing after the partition began (it could not read either),
      // nor after it healed; it said why, and the other holder delivered meanwhile
      expect(calls.filter((c) => c.who === 'a' && c.at >= healedAt)).toEqual([]);
      expect(Math.max(...calls.filter((c) => c.who === 'a').map((c) => c.at))).toBeLessThan(tookOverAt);
      expect(errors).toEqual(['DURABLE_STREAM_LEASE_LOST']);
      expect(calls.filter((c) => c.who === 'b' && c.at > tookOverAt).length).toBeGreaterThan(10);
    } finally {
      writing = false;
      await writes.catch(() => {});
      proxy.mode('forward');
      await Promise.all([writer.close(), other.close(), cutOff.close()]);
    }
  }, 30_000);
});
