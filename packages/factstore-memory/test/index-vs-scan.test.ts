import { type EventQuery, type JsonValue, type NewEvent } from 'factstore';
import { compileMatcher, validateQuery } from 'factstore/backend';
import { pick, random } from 'factstore-test-support';
import { MemoryStore } from '../src/index.js';
import { LogIndex } from '../src/log-index.js';

const TYPES = ['opened', 'credited', 'debited', 'closed'];
const IDS = ['a1', 'a2', 'a3', 'a4', 'a5'];

function randomPayload(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return pick(rnd, ['x', 1, null, true]);
  if (r < 0.1) return [pick(rnd, IDS), pick(rnd, IDS)];
  const payload: Record<string, JsonValue> = { accountId: pick(rnd, IDS) };
  if (rnd() < 0.5) payload.amount = pick(rnd, [1, 2, 1.0, '1', 10]);
  if (rnd() < 0.3) payload.region = pick(rnd, ['eu', 'us', null]);
  if (rnd() < 0.2) payload.tags = [pick(rnd, ['vip', 'beta'])];
  if (rnd() < 0.1) payload.owner = { id: pick(rnd, IDS) };
  return payload;
}

function randomPredicate(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return {};
  if (r < 0.1) return pick(rnd, ['x', 1, null]);
  if (r < 0.15) return [pick(rnd, IDS)];
  if (r < 0.2) return { tags: ['vip'] };
  if (r < 0.25) return { owner: { id: pick(rnd, IDS) } };
  const predicate: Record<string, JsonValue> = { accountId: pick(rnd, IDS) };
  if (rnd() < 0.3) predicate.amount = pick(rnd, [1, '1', 10]);
  if (rnd() < 0.2) predicate.region = pick(rnd, ['eu', null]);
  return predicate;
}

function randomQuery(rnd: () => number, head: number): EventQuery {
  const filters = Array.from({ length: Math.floor(rnd() * 3) }, () => {
    const filter: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
    if (rnd() < 0.6) filter.eventTypes = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, TYPES));
    if (rnd() < 0.7) filter.payloadPredicates = Array.from({ length: Math.floor(rnd() * 3) }, () => randomPredicate(rnd));
    return filter;
  });
  const query: EventQuery = rnd() < 0.9 ? { filters } : {};
  if (rnd() < 0.3) (query as { minSequenceNumber?: number }).minSequenceNumber = Math.floor(rnd() * (head + 2));
  if (rnd() < 0.3) (query as { limit?: number }).limit = 1 + Math.floor(rnd() * 5);
  return query;
}

describe('MemoryStore indexes agree with a brute-force scan', () => {
  it.each([1, 2, 3, 4, 5])('random log and queries, seed %i', async (seed) => {
    const rnd = random(seed);
    const store = new MemoryStore();
    const log: NewEvent[] = [];
    const check = async (times: number) => {
      for (let q = 0; q < times; q++) {
        const query = randomQuery(rnd, log.length);
        const valid = validateQuery(query);
        const matcher = compileMatcher(valid);
        const matching = log.map((e, i) => ({ ...e, position: i + 1 })).filter((e) => matcher(e));
        const version = matching.length ? BigInt(matching[matching.length - 1]!.position) : null;
        const min = Number(valid.minSequenceNumber ?? 0);
        const expected = matching
          .filter((e) => e.position > min)
          .slice(0, valid.limit ?? Infinity)
          .map((e) => e.position);
        const result = await store.query(query);
        expect({
          query,
          positions: result.eventRecords.map((r) => Number(r.sequenceNumber)),
          version: result.currentContextVersion,
        }).toEqual({
          query,
          positions: expected,
          version,
        });
      }
    };
    // queries between appends: indexes are built lazily by a query, then kept current by appends
    for (let b = 0; b < 150; b++) {
      const batch = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({ eventType: pick(rnd, TYPES), payload: randomPayload(rnd) }));
      await store.append(batch);
      log.push(...batch);
      if (b % 15 === 0) await check(20);
    }
    await check(300);
    await store.close();
  });

  it('appendIf decides on the same context version as a scan', async () => {
    const rnd = random(42);
    const store = new MemoryStore();
    for (let b = 0; b < 100; b++) await store.append([{ eventType: pick(rnd, TYPES), payload: randomPayload(rnd) }]);
    for (let q = 0; q < 100; q++) {
      const context = randomQuery(rnd, 0);
      const { currentContextVersion } = await store.query(context);
      const stale = currentContextVersion === null ? 1n : currentContextVersion - 1n;
      await expect(store.appendIf([{ eventType: 'noise', payload: { other: true } }], context, stale)).rejects.toMatchObject({
        code: 'CONDITIONAL_APPEND_CONFLICT',
        actual: currentContextVersion,
      });
      const ok = await store.appendIf([{ eventType: 'noise', payload: { other: true } }], context, currentContextVersion);
      expect(ok.committedCount).toBe(1);
    }
    await store.close();
  });
});

describe('LogIndex', () => {
  it('gives a value index to every payload key asked about, the 40th as the 1st: its candidates are the events with that value, not a whole type list', () => {
    const records = Array.from({ length: 400 }, (_, i) => ({
      eventType: 'keyed',
      payload: { [`k${(i % 40) + 1}`]: `v${i % 7}` } as JsonValue,
    }));
    const index = new LogIndex(records);
    const candidates = (k: number) => {
      const query = validateQuery({ filters: [{ eventTypes: ['keyed'], payloadPredicates: [{ [`k${k}`]: 'v3' }] }] });
      return (index.candidates(query) ?? []).flat();
    };
    for (let k = 1; k <= 39; k++) candidates(k);
    const expected = records.flatMap((r, i) => ((r.payload as Record<string, string>)[`k40`] === 'v3' ? [i + 1] : []));
    expect(expected.length).toBeGreaterThan(0);
    expect(candidates(40)).toEqual(expected);
  });
});
