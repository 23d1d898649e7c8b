import type { EventQuery, JsonValue, NewEvent } from 'factstore';
import { queryMatches, validateQuery } from 'factstore/backend';
import type { CaseContext } from '../conformance-case.js';
import { defineCases } from '../conformance-case.js';
import { assert } from '../harness.js';

const TYPES = ['opened', 'credited', 'debited', 'closed'];
const IDS = ['a1', 'a2', 'a3', 'a4', 'a5'];
const LONG = `long-${'x'.repeat(200)}`;

/** A seeded generator of numbers in [0, 1) (mulberry32), so a failing seed fails again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

// payloads and predicates that meet at the edges of matching: scalars of several JSON types that
// look alike (1, 1.0, '1'), null, long strings, arrays, nested objects, non-object payloads
function randomPayload(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return pick(rnd, ['x', 1, null, true]);
  if (r < 0.1) return [pick(rnd, IDS), pick(rnd, IDS)];
  const payload: Record<string, JsonValue> = { accountId: pick(rnd, [...IDS, LONG]) };
  if (rnd() < 0.5) payload.amount = pick(rnd, [1, 2, 1.0, '1', 10, 0, false]);
  if (rnd() < 0.3) payload.region = pick(rnd, ['eu', 'us', null]);
  if (rnd() < 0.2) payload.tags = [pick(rnd, ['vip', 'beta'])];
  if (rnd() < 0.1) payload.owner = { id: pick(rnd, IDS) };
  if (rnd() < 0.05) payload.accountId = [pick(rnd, IDS)];
  return payload;
}

function randomPredicate(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return {};
  if (r < 0.1) return pick(rnd, ['x', 1, null]);
  if (r < 0.15) return [pick(rnd, IDS)];
  if (r < 0.2) return { tags: ['vip'] };
  if (r < 0.25) return { owner: { id: pick(rnd, IDS) } };
  if (r < 0.3) return { amount: pick(rnd, [1, '1', 0, false]) };
  const predicate: Record<string, JsonValue> = { accountId: pick(rnd, [...IDS, LONG, 'none']) };
  if (rnd() < 0.3) predicate.amount = pick(rnd, [1, '1', 10]);
  if (rnd() < 0.2) predicate.region = pick(rnd, ['eu', null]);
  return predicate;
}

function randomQuery(rnd: () => number, head: number): EventQuery {
  const filters = Array.from({ length: Math.floor(rnd() * 3) }, () => {
    const filter: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
    if (rnd() < 0.6) filter.eventTypes = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, [...TYPES, 'unknown']));
    if (rnd() < 0.7) filter.payloadPredicates = Array.from({ length: Math.floor(rnd() * 3) }, () => randomPredicate(rnd));
    return filter;
  });
  const query: Record<string, unknown> = rnd() < 0.9 ? { filters } : {};
  if (rnd() < 0.3) query.minSequenceNumber = Math.floor(rnd() * (head + 2));
  if (rnd() < 0.2) query.beforeSequenceNumber = 1 + Math.floor(rnd() * (head + 2));
  if (rnd() < 0.3) query.limit = 1 + Math.floor(rnd() * 5);
  if (rnd() < 0.3) query.direction = 'backward';
  return query as EventQuery;
}

/** Every query's records and context version, checked against the contract's matcher over the whole log. */
async function checkQueries({ store }: CaseContext, rnd: () => number, log: readonly NewEvent[], times: number): Promise<void> {
  for (let q = 0; q < times; q++) {
    const query = randomQuery(rnd, log.length);
    const valid = validateQuery(query);
    const matching = log.flatMap((event, i) => (queryMatches(valid, event) ? [i + 1] : []));
    const after = Number(valid.minSequenceNumber ?? 0);
    const before = valid.beforeSequenceNumber === undefined ? Infinity : Number(valid.beforeSequenceNumber);
    const inRange = matching.filter((position) => position > after && position < before);
    const ordered = valid.direction === 'backward' ? inRange.reverse() : inRange;
    const version = matching.length ? BigInt(matching[matching.length - 1] as number) : null;
    const expected = version === null ? [] : ordered.slice(0, valid.limit ?? Infinity);
    const result = await store.query(query);
    assert.deepEqual(
      { query, positions: result.eventRecords.map((r) => Number(r.sequenceNumber)), version: result.currentContextVersion },
      { query, positions: expected, version },
    );
  }
}

export const randomMatchingCases = defineCases('random-matching', {
  'queries-agree-with-the-matcher': {
    title:
      'on random logs, every query returns exactly the events the contract matcher picks from the whole log, with its context version (whatever indexes the store keeps)',
    run: async (context) => {
      for (const seed of [1, 2, 3]) {
        const store = seed === 1 ? context.store : await context.createStore();
        try {
          const rnd = random(seed);
          const log: NewEvent[] = [];
          // queries between appends: an index built by one query must be kept current by the appends after it
          for (let b = 0; b < 60; b++) {
            const batch = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({
              eventType: pick(rnd, TYPES),
              payload: randomPayload(rnd),
            }));
            await store.append(batch);
            log.push(...batch);
            if (b % 10 === 0) await checkQueries({ ...context, store }, rnd, log, 10);
          }
          await checkQueries({ ...context, store }, rnd, log, 120);
        } finally {
          if (store !== context.store) await store.close();
        }
      }
    },
  },
  'conditions-agree-with-the-matcher': {
    title: 'on a random log, appendIf accepts exactly the context version the contract matcher gives, and refuses the one before',
    run: async ({ store }) => {
      const rnd = random(42);
      const log: NewEvent[] = [];
      for (let b = 0; b < 60; b++) {
        const event = { eventType: pick(rnd, TYPES), payload: randomPayload(rnd) };
        await store.append([event]);
        log.push(event);
      }
      const noise: NewEvent = { eventType: 'noise', payload: { other: true } };
      for (let q = 0; q < 60; q++) {
        const context = randomQuery(rnd, 0);
        const valid = validateQuery(context);
        let version: bigint | null = null;
        log.forEach((event, i) => {
          if (queryMatches(valid, event)) version = BigInt(i + 1);
        });
        const stale = version === null ? 1n : version === 1n ? null : (version as bigint) - 1n;
        await assert.rejects(store.appendIf([noise], context, stale), (error: { code?: string; actual?: unknown }) => {
          assert.equal(error.code, 'CONDITIONAL_APPEND_CONFLICT');
          assert.equal(error.actual, version);
          return true;
        });
        const ok = await store.appendIf([noise], context, version);
        assert.equal(ok.committedCount, 1);
        log.push(noise);
      }
    },
  },
});
