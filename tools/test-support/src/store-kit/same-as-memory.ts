import type { EventQuery, EventStore, NewEvent, QueryResult } from 'factstore';
import { random, randomEvent, randomQuery } from 'factstore-conformance';
// MemoryStore from its sources, not as a package: factstore-memory's own tests use this package,
// so a dependency back would be a cycle, and its built files may be rebuilt while others run
import { MemoryStore } from '../../../../packages/factstore-memory/src/index.js';
import type { StoreAdapter } from './adapter.js';

/** What a query answered, for comparing two stores (occurredAt differs between them). */
const shape = (q: EventQuery, r: QueryResult) => ({
  q,
  records: r.eventRecords.map((e) => [Number(e.sequenceNumber), e.eventType, e.payload]),
  last: r.lastReturnedSequenceNumber,
  version: r.currentContextVersion,
});

/** Runs `times` random queries on both stores; each answer and each appendIf context version must be MemoryStore's. */
async function compare(rnd: () => number, memory: EventStore, store: EventStore, head: number, times: number) {
  for (let i = 0; i < times; i++) {
    const q = randomQuery(rnd, head);
    const [m, s] = await Promise.all([memory.query(q), store.query(q)]);
    expect(shape(q, s)).toEqual(shape(q, m));
    // the context of the query as an appendIf condition has the version the query reported
    const context = q.filters === undefined ? {} : { filters: q.filters };
    const expected = m.currentContextVersion;
    const event: NewEvent = { eventType: 'noise', payload: { other: i } };
    await expect(store.appendIf([event], context, expected === null ? 1n : expected + 1n)).rejects.toMatchObject({
      code: 'CONDITIONAL_APPEND_CONFLICT',
      actual: expected,
    });
  }
}

/**
 * The store answers random queries on random data exactly like MemoryStore, the semantic
 * reference: tricky numbers, nested and scalar predicates, keys with dots and quotes, minimum
 * positions, upper bounds, limits and both directions, and the context versions `appendIf` decides on. Seeds 7, 8 and 9.
 */
export function describeSameAsMemory(adapter: StoreAdapter): void {
  describe(`${adapter.name} answers like MemoryStore (the semantic reference)`, () => {
    afterAll(() => adapter.cleanup());

    it.each([7, 8, 9])(
      'random data, queries and appendIf contexts, seed %i',
      async (seed) => {
        const rnd = random(seed);
        const memory = new MemoryStore();
        const store = await adapter.open(await adapter.create('same'));
        let head = 0;
        for (let b = 0; b < 120; b++) {
          const batch = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => randomEvent(rnd));
          await memory.append(batch);
          await store.append(batch);
          head += batch.length;
          if (b % 20 === 0) await compare(rnd, memory, store, head, 15);
        }
        await compare(rnd, memory, store, head, 200);
        await memory.close();
        await store.close();
      },
      60_000,
    );
  });
}
