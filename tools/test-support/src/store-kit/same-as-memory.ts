import type { EventQuery, EventStore, JsonValue, NewEvent, QueryResult } from 'factstore';
// MemoryStore from its sources, not as a package: factstore-memory's own tests use this package,
// so a dependency back would be a cycle, and its built files may be rebuilt while others run
import { MemoryStore } from '../../../../packages/factstore-memory/src/index.js';
import { pick, random } from '../random.js';
import type { StoreAdapter } from './adapter.js';

const TYPES = ['opened', 'credited', 'closed'];
/** Keys and values with dots, quotes and letters outside ASCII. */
const IDS = ['a1', 'a2', 'a3', 'a.b', 'a"q', 'ünï'];
/** Keys with dots (one of them the path of a nested field), quotes, `$` and letters outside ASCII. */
const KEYS = ['a.b', 'owner.id', 'a"q', "it's", '$', 'ünï'];
/** Numbers that are easy to get wrong: binary fractions, huge and tiny ones, -0. */
const NUMBERS = [1, 2, 1.5, 0.1 + 0.2, 0.3, 1e21, -0, 100, 1e-7];

/** A random payload: objects with tricky numbers, flags, tags, nested owners and odd keys; now and then a scalar or a list. */
export function randomPayload(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return pick(rnd, ['x', 1, null, true]);
  if (r < 0.1) return [pick(rnd, IDS), pick(rnd, NUMBERS)];
  const out: Record<string, JsonValue> = { accountId: pick(rnd, IDS) };
  if (rnd() < 0.5) out.amount = pick(rnd, NUMBERS);
  if (rnd() < 0.3) out.flag = pick(rnd, [true, false, null, 0, 1, 'true']);
  if (rnd() < 0.2) out.tags = [pick(rnd, ['vip', 'beta'])];
  if (rnd() < 0.1) out.owner = { id: pick(rnd, IDS) };
  if (rnd() < 0.1) out[pick(rnd, KEYS)] = pick(rnd, IDS);
  return out;
}

/** A random payload predicate over the payloads of {@link randomPayload}, nested and scalar ones among them. */
export function randomPredicate(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return {};
  if (r < 0.1) return pick(rnd, ['x', 1, null]);
  if (r < 0.15) return [pick(rnd, IDS)];
  if (r < 0.2) return { tags: ['vip'] };
  if (r < 0.25) return { owner: { id: pick(rnd, IDS) } };
  const out: Record<string, JsonValue> = {};
  if (rnd() < 0.8) out.accountId = pick(rnd, IDS);
  if (rnd() < 0.3) out.amount = pick(rnd, NUMBERS);
  if (rnd() < 0.3) out.flag = pick(rnd, [true, false, null, 0, 1, 'true']);
  if (rnd() < 0.1) out[pick(rnd, KEYS)] = pick(rnd, IDS);
  return out;
}

/** A random query: up to two filters of event types and predicates, now and then a minimum position, an upper bound, a limit or the backward direction. */
export function randomQuery(rnd: () => number, head: number): EventQuery {
  const filters = Array.from({ length: Math.floor(rnd() * 3) }, () => {
    const filter: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
    if (rnd() < 0.5) filter.eventTypes = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, TYPES));
    if (rnd() < 0.8) filter.payloadPredicates = Array.from({ length: Math.floor(rnd() * 3) }, () => randomPredicate(rnd));
    return filter;
  });
  const q: { -readonly [K in keyof EventQuery]: EventQuery[K] } = rnd() < 0.9 ? { filters } : {};
  if (rnd() < 0.3) q.minSequenceNumber = Math.floor(rnd() * (head + 2));
  if (rnd() < 0.3) q.limit = 1 + Math.floor(rnd() * 5);
  if (rnd() < 0.3) q.beforeSequenceNumber = Math.floor(rnd() * (head + 2));
  if (rnd() < 0.4) q.direction = 'backward';
  return q;
}

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
          const batch = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({
            eventType: pick(rnd, TYPES),
            payload: randomPayload(rnd),
          }));
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
