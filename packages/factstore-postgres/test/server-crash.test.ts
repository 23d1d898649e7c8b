import { join } from 'node:path';
import type { EventRecord } from 'factstore';
import { checkLogInvariants, child as start, range, sleep } from 'factstore-test-support';
import { PostgresStore } from '../src/index.js';
import { postgresAdapterAt } from './adapter.js';

const child = (script: string, args: string[]) => start(join(__dirname, 'processes'), script, args);

describe('PostgresStore when the server stops immediately and comes back', () => {
  it('appends in the outage fail with BACKEND_FAILURE; afterwards the log is whole and streams resume without loss or repeat', async () => {
    const server = child('pg-server.mjs', []);
    const { url } = (await server.waitFor('ready', 60_000)) as unknown as { url: string };
    const schema = 'crash_test';
    const writer = await PostgresStore.connect(url, { schema });
    const reader = await PostgresStore.connect(url, { schema, pollIntervalMs: 100 });
    const live: number[][] = [];
    const durable: number[][] = [];
    await reader.streamAll((batch: readonly EventRecord[]) => void live.push(batch.map((r) => Number(r.sequenceNumber))));
    await reader.streamAllDurable(
      'projection',
      (batch: readonly EventRecord[]) => void durable.push(batch.map((r) => Number(r.sequenceNumber))),
    );

    const acks: [number, number][] = [];
    const failures: string[] = [];
    let writing = true;
    const loop = (async () => {
      for (let i = 0; writing; i++) {
        try {
          const result = await writer.append(Array.from({ length: 1 + (i % 3) }, (_, k) => ({ eventType: 'tick', payload: { i, k } })));
          acks.push([Number(result.firstSequenceNumber), Number(result.lastSequenceNumber)]);
        } catch (error) {
          failures.push((error as { code?: string }).code ?? String(error));
          await sleep(20);
        }
      }
    })();

    await sleep(300);
    server.process.send('crash');
    await server.waitFor('crashed');
    await sleep(300);
    server.process.send('start');
    await server.waitFor('started', 60_000);
    const restartedAt = acks.length;
    const deadline = Date.now() + 20_000;
    while (acks.length < restartedAt + 20 && Date.now() < deadline) await sleep(20); // the writer reconnected
    writing = false;
    await loop;

    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures)).toEqual(new Set(['BACKEND_FAILURE']));
    expect(acks.length).toBeGreaterThan(restartedAt);

    // no hole, batches whole and covering the log, the head counter at the last position
    const { head, batches } = await checkLogInvariants(postgresAdapterAt(url), schema);
    const ranges = new Set(batches.map((b) => range(b.first, b.last)));
    for (const [first, last] of acks) expect(ranges.has(range(first, last))).toBe(true); // no acknowledged append lost

    const caughtUp = Date.now() + 20_000;
    while ((live.flat().at(-1) ?? 0) < head || (durable.flat().at(-1) ?? 0) < head) {
      if (Date.now() > caughtUp)
        throw new Error(`streams did not catch up to ${head}: live ${live.flat().at(-1)}, durable ${durable.flat().at(-1)}`);
      await sleep(20);
    }
    const expected = batches.map((b) => range(b.first, b.last));
    expect(live.map((b) => range(b[0]!, b[b.length - 1]!))).toEqual(expected);
    expect(durable.map((b) => range(b[0]!, b[b.length - 1]!))).toEqual(expected);

    await writer.close();
    await reader.close();
    server.process.send('stop');
    await server.exited;
  }, 120_000);
});
