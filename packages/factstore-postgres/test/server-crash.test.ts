import postgres from 'postgres';
import type { EventRecord } from 'factstore';
import { PostgresStore } from '../src/index.js';
import { child } from './children.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

    const check = postgres(url, { onnotice: () => {}, max: 1 });
    const batches = (await check.unsafe(
      `SELECT first_seq::int AS first, last_seq::int AS last FROM "${schema}".batches ORDER BY first_seq`,
    )) as unknown as { first: number; last: number }[];
    const [stats] = await check.unsafe(`SELECT COUNT(*)::int AS count, COALESCE(MAX(seq), 0)::int AS head FROM "${schema}".events`);
    await check.end();
    const head = stats?.head as number;
    expect(stats?.count).toBe(head); // no hole
    let next = 1;
    for (const batch of batches) {
      expect(batch.first).toBe(next);
      next = batch.last + 1;
    }
    expect(next - 1).toBe(head);
    const ranges = new Set(batches.map((b) => `${b.first}-${b.last}`));
    for (const [first, last] of acks) expect(ranges.has(`${first}-${last}`)).toBe(true); // no acknowledged append lost

    const caughtUp = Date.now() + 20_000;
    while ((live.flat().at(-1) ?? 0) < head || (durable.flat().at(-1) ?? 0) < head) {
      if (Date.now() > caughtUp)
        throw new Error(`streams did not catch up to ${head}: live ${live.flat().at(-1)}, durable ${durable.flat().at(-1)}`);
      await sleep(20);
    }
    const expected = batches.map((b) => `${b.first}-${b.last}`);
    expect(live.map((b) => `${b[0]}-${b[b.length - 1]}`)).toEqual(expected);
    expect(durable.map((b) => `${b[0]}-${b[b.length - 1]}`)).toEqual(expected);

    await writer.close();
    await reader.close();
    server.process.send('stop');
    await server.exited;
  }, 120_000);
});
