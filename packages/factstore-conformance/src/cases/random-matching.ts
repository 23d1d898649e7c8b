import type { NewEvent } from 'factstore';
import { queryMatches, validateQuery } from 'factstore/backend';
import type { CaseContext } from '../conformance-case.js';
import { defineCases } from '../conformance-case.js';
import { assert } from '../harness.js';
import { random, randomEvent, randomQuery } from '../random-data.js';

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
            const batch = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => randomEvent(rnd));
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
        const event = randomEvent(rnd);
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
