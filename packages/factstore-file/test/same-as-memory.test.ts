import type { EventQuery, JsonValue, NewEvent } from 'factstore';
import { MemoryStore } from 'factstore-memory';
import { pick, random } from 'factstore-test-support';
import { FileStore } from '../src/index.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

const TYPES = ['opened', 'credited', 'closed'];
const IDS = ['a1', 'a2', 'a3', 'a.b', 'a"q', 'ünï'];
const NUMBERS = [1, 2, 1.5, 0.1 + 0.2, 0.3, 1e21, -0, 100, 1e-7];

function payload(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return pick(rnd, ['x', 1, null, true]);
  if (r < 0.1) return [pick(rnd, IDS), pick(rnd, NUMBERS)];
  const out: Record<string, JsonValue> = { accountId: pick(rnd, IDS) };
  if (rnd() < 0.5) out.amount = pick(rnd, NUMBERS);
  if (rnd() < 0.3) out.flag = pick(rnd, [true, false, null, 0, 1, 'true']);
  if (rnd() < 0.2) out.tags = [pick(rnd, ['vip', 'beta'])];
  if (rnd() < 0.1) out.owner = { id: pick(rnd, IDS) };
  return out;
}

function predicate(rnd: () => number): JsonValue {
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
  return out;
}

function query(rnd: () => number, head: number): EventQuery {
  const filters = Array.from({ length: Math.floor(rnd() * 3) }, () => {
    const filter: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
    if (rnd() < 0.5) filter.eventTypes = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, TYPES));
    if (rnd() < 0.8) filter.payloadPredicates = Array.from({ length: Math.floor(rnd() * 3) }, () => predicate(rnd));
    return filter;
  });
  const q: { filters?: typeof filters; minSequenceNumber?: number; limit?: number } = rnd() < 0.9 ? { filters } : {};
  if (rnd() < 0.3) q.minSequenceNumber = Math.floor(rnd() * (head + 2));
  if (rnd() < 0.3) q.limit = 1 + Math.floor(rnd() * 5);
  return q as EventQuery;
}

describe('FileStore answers like MemoryStore (the semantic reference)', () => {
  it.each([
    [7, 0],
    [8, 37],
    [9, undefined],
  ])('random data, queries and appendIf contexts, across segments and reopens, seed %i, cachedEvents %p', async (seed, cachedEvents) => {
    const rnd = random(seed);
    const memory = new MemoryStore();
    const path = tempStore('same');
    // nothing kept parsed (every record read from the segments), a few, or the default (all of them here)
    const options = { segmentBytes: 4096, ...(cachedEvents === undefined ? {} : { cachedEvents }) };
    let file = await FileStore.open(path, options);
    // a second instance that only reads: it follows the other's commits through the published head
    const reader = await FileStore.open(path, options);
    const check = async (times: number, head: number) => {
      for (let i = 0; i < times; i++) {
        const q = query(rnd, head);
        const [m, s, r] = await Promise.all([memory.query(q), file.query(q), reader.query(q)]);
        const shape = (r: typeof m) => ({
          q,
          seqs: r.eventRecords.map((e) => [Number(e.sequenceNumber), e.eventType, e.payload]),
          last: r.lastReturnedSequenceNumber,
          version: r.currentContextVersion,
        });
        expect(shape(s)).toEqual(shape(m));
        expect(shape(r)).toEqual(shape(m));
        const { filters } = q;
        const context = filters === undefined ? {} : { filters };
        const expected = m.currentContextVersion;
        const event: NewEvent = { eventType: 'noise', payload: { other: i } };
        const wrong = expected === null ? 1n : expected + 1n;
        await expect(file.appendIf([event], context, wrong)).rejects.toMatchObject({
          code: 'CONDITIONAL_APPEND_CONFLICT',
          actual: expected,
        });
      }
    };
    let head = 0;
    for (let b = 0; b < 120; b++) {
      const batch = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({ eventType: pick(rnd, TYPES), payload: payload(rnd) }));
      await memory.append(batch);
      await file.append(batch);
      head += batch.length;
      if (b % 20 === 0) await check(15, head);
      if (b % 40 === 39) {
        // answers from a fresh open: the index rebuilt from the files, nothing cached
        await file.close();
        file = await FileStore.open(path, options);
      }
    }
    await check(200, head);
    await memory.close();
    await file.close();
    await reader.close();
  });
});
