import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamHandler } from 'factstore';
import { kill } from '../children.js';
import type { Location, StoreAdapter } from './adapter.js';
import { sleep } from './helpers.js';
import { checkLogInvariants, range } from './invariants.js';
import { killChildren, storeChild } from './processes.js';

type Ack = { first: number; last: number; seat?: number };
const acksOf = (messages: { type: string }[]) => messages.filter((m) => m.type === 'ack') as unknown as Ack[];

/** Takes the durable name `name`, waiting while another (killed) holder's lease runs out; throws after `withinMs`. */
async function takeOver(adapter: StoreAdapter, location: Location, name: string, handler: StreamHandler, withinMs: number) {
  const store = await adapter.open(location);
  const since = Date.now();
  for (;;) {
    const stream = await store.streamAllDurable(name, handler).catch((error: { code?: string }) => {
      expect(error.code).toBe('DURABLE_STREAM_ACTIVE');
      return undefined;
    });
    if (stream) return { store, stream, after: Date.now() - since };
    if (Date.now() - since > withinMs) throw new Error(`${name} still held ${withinMs} ms after its holder was killed`);
    await sleep(50);
  }
}

/**
 * Several processes on one log: concurrent writers with a streaming process, a durable name held
 * by another process, and writers killed with SIGKILL in the middle of their work.
 */
export function describeMultiProcess(adapter: StoreAdapter): void {
  describe(`${adapter.name} with several processes`, () => {
    const folder = mkdtempSync(join(tmpdir(), 'factstore-kit-'));
    afterEach(() => killChildren());
    afterAll(async () => {
      rmSync(folder, { recursive: true, force: true });
      await adapter.cleanup();
    });

    it('three processes of four writers each and a streaming fourth: gapless log, every ack exactly once, no double booking, every batch streamed once in order', async () => {
      const location = await adapter.create('multi');
      await (await adapter.open(location)).close(); // create the log before the processes race
      const spec = adapter.child(location);
      const streamer = storeChild('streamer.mjs', spec);
      await streamer.waitFor('ready');
      const writers = ['w1', 'w2', 'w3'].map((id) => storeChild('writer.mjs', spec, [id, 45, 4]));
      expect(await Promise.all(writers.map((w) => w.exited))).toEqual([0, 0, 0]);

      const { head, batches, log } = await checkLogInvariants(adapter, location);
      const acks = writers.flatMap((w) => acksOf(w.messages));
      // every batch in the log was acknowledged to exactly one writer, and every ack is a batch
      expect(acks.map((a) => range(a.first, a.last)).sort()).toEqual(batches.map((b) => range(b.first, b.last)).sort());
      expect(acks.length).toBe(3 * 4 * 15 + 60); // the plain appends and the 60 seats
      const seats = acks.flatMap((a) => (a.seat === undefined ? [] : [a.seat]));
      expect(seats.sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1)); // each seat once, none beyond 60
      expect(log.events.filter((e) => e.eventType === 'seat-booked')).toHaveLength(60);
      const conflicts = writers.reduce((sum, w) => sum + Number(w.messages.find((m) => m.type === 'done')?.conflicts), 0);
      expect(conflicts).toBeGreaterThan(0); // the writers did contend for the seats

      streamer.process.send({ type: 'finish', head });
      const streamed = (await streamer.waitFor('batches', 60_000)).batches as number[][];
      expect(streamed.map((b) => range(b[0]!, b[b.length - 1]!))).toEqual(batches.map((b) => range(b.first, b.last)));
      expect(streamed.flat()).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(await streamer.exited).toBe(0);
    }, 120_000);

    it('two processes each deciding 60 increments of one counter at once end with 120, numbered 1 to 120, conflicts between them retried', async () => {
      const location = await adapter.create('decide');
      await (await adapter.open(location)).close();
      const spec = adapter.child(location);
      // maxAttempts above the default: the test is about correctness under contention, not about how rarely one side loses
      const deciders = ['p1', 'p2'].map((id) => storeChild('decider.mjs', spec, [id, 60, 200]));
      await Promise.all(deciders.map((d) => d.waitFor('ready')));
      for (const d of deciders) d.process.send({ type: 'go' });
      expect(await Promise.all(deciders.map((d) => d.exited))).toEqual([0, 0]);
      const attempts = deciders.flatMap((d) => d.messages.find((m) => m.type === 'done')?.attempts as number[]);
      expect(attempts).toHaveLength(120);
      const { log } = await checkLogInvariants(adapter, location);
      const increments = log.events.filter((e) => e.eventType === 'increment').map((e) => e.payload as { n: number; by: string });
      expect(increments.map((e) => e.n)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      // the processes did contend: a decision was retried after the other's commit, or (a store that
      // decides under its write lock never conflicts) their increments interleave in the log
      const switches = increments.filter((e, i) => i > 0 && e.by !== increments[i - 1]?.by).length;
      expect({ retried: attempts.reduce((sum, a) => sum + a, 0) > 120, interleaved: switches >= 2 }).not.toEqual({
        retried: false,
        interleaved: false,
      });
    }, 120_000);

    it('a durable name held by another process is refused, and free again within 5 s after that process is killed', async () => {
      const location = await adapter.create('lease');
      const holder = storeChild('holder.mjs', adapter.child(location), ['exclusive']);
      await holder.waitFor('ready');
      const store = await adapter.open(location);
      await expect(store.streamAllDurable('exclusive', () => {})).rejects.toMatchObject({ code: 'DURABLE_STREAM_ACTIVE' });
      await store.close();
      await kill(holder.process);
      const taken = await takeOver(adapter, location, 'exclusive', () => {}, 5000);
      expect(taken.stream.active).toBe(true);
      expect(taken.after).toBeLessThan(5000);
      await taken.store.close();
    }, 30_000);

    it('writers killed with SIGKILL mid-append, three times: batches whole or absent, no hole, every ack kept, cursors never past delivery, and the log goes on', async () => {
      const location = await adapter.create('crash');
      const log = join(folder, 'crash-deliveries.log'); // what the killed processes' durable stream was given
      const name = 'crash-projection';
      let acknowledged = 0;
      for (let round = 0; round < 3; round++) {
        const crasher = storeChild('crasher.mjs', adapter.child(location), [log, name]);
        await crasher.waitFor('ready');
        await sleep(200 + round * 100);
        await kill(crasher.process);
        const acks = acksOf(crasher.messages);
        expect(acks.length).toBeGreaterThan(0);
        acknowledged = Math.max(acknowledged, ...acks.map((a) => a.last));

        // whole batches, no hole, cursors at batch ends; a torn tail the killed writer left is cut by the next one
        const checked = await checkLogInvariants(adapter, location, { afterCrash: true });
        expect(checked.head).toBeGreaterThanOrEqual(acknowledged);
        const ranges = new Set(checked.batches.map((b) => range(b.first, b.last)));
        for (const ack of acks) expect(ranges.has(range(ack.first, ack.last))).toBe(true);
        const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
        const delivered = lines.map((line) => Number(line.split('-')[1]));
        const cursor = checked.log.cursors.find((c) => c.name === name);
        expect(cursor?.position ?? 0).toBeLessThanOrEqual(Math.max(0, ...delivered));
      }
      // the log opens and goes on after the crashes; the durable stream resumes once the lease is free
      const store = await adapter.open(location);
      const before = await store.query({ limit: 1 });
      const next = await store.append([{ eventType: 'after-crash', payload: {} }]);
      expect(next.firstSequenceNumber).toBe((before.currentContextVersion ?? 0n) + 1n);
      await store.close();
      const replayed: number[] = [];
      const taken = await takeOver(
        adapter,
        location,
        name,
        (batch) => void replayed.push(...batch.map((r) => Number(r.sequenceNumber))),
        5000,
      );
      expect(replayed.at(-1)).toBe(Number(next.lastSequenceNumber));
      await taken.store.close();
      await checkLogInvariants(adapter, location);
    }, 90_000);
  });
}
