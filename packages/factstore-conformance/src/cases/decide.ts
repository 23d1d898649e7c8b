import { decide, type Decision, type EventQuery, type EventRecord, type EventStore, type NewEvent } from 'factstore';
import { defineCases } from '../conformance-case.js';
import { assert, assertLog, credited, debited, ev, opened, rejectsWith, seqs } from '../harness.js';

const account = (accountId: string): EventQuery => ({
  filters: [{ eventTypes: ['account-credited', 'account-debited'], payloadPredicates: [{ accountId }] }],
});

/** A balance of `accountId`: credits minus debits; decides a credit of 1 unless told otherwise. */
function balance(accountId: string, extra: Partial<Decision<number>> = {}): Decision<number> {
  return {
    query: account(accountId),
    initial: 0,
    evolve: (sum, record) =>
      sum + (record.eventType === 'account-credited' ? 1 : -1) * Number((record.payload as { amount: number }).amount),
    decide: () => [credited(accountId, { amount: 1 })],
    ...extra,
  };
}

/** A counter of `increment` events of `id`; each decision appends the next one, numbered. */
function counter(id: string): Decision<number> {
  return {
    query: { filters: [{ eventTypes: ['increment'], payloadPredicates: [{ id }] }] },
    initial: 0,
    evolve: (count) => count + 1,
    decide: (count) => [ev('increment', { id, n: count + 1 })],
  };
}

/** The `n` of every `increment` of `id` in the log, in log order. */
async function counted(store: EventStore, id: string): Promise<number[]> {
  const { eventRecords } = await store.query({ filters: [{ eventTypes: ['increment'], payloadPredicates: [{ id }] }] });
  return eventRecords.map((r) => (r.payload as { n: number }).n);
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export const decideCases = defineCases('decide', {
  'folds-exactly-the-context': {
    title:
      'decide folds exactly the records of its context, in order, appends at the version it read, and resolves with the state decided on',
    async run({ store }) {
      await store.append([opened('a1'), credited('a1', { amount: 50 }), credited('a2', { amount: 7 })]);
      await store.append([debited('a1', { amount: 20 }), opened('a3'), credited('a1', { amount: 5 })]);
      const seen: EventRecord[] = [];
      const outcome = await decide(store, {
        ...balance('a1'),
        evolve: (sum, record) => {
          seen.push(record);
          return balance('a1').evolve(sum, record);
        },
        decide: (sum) => [debited('a1', { amount: sum })],
      });
      assert.deepEqual(seqs(seen), [2, 4, 6]);
      assert.deepEqual(seen, (await store.query(account('a1'))).eventRecords.slice(0, 3), 'the records as query returns them');
      assert.equal(outcome.state, 35);
      assert.deepEqual(outcome.events, [debited('a1', { amount: 35 })]);
      assert.deepEqual(outcome.result, { firstSequenceNumber: 7n, lastSequenceNumber: 7n, committedCount: 1 });
      assert.equal(outcome.attempts, 1);
      assert.deepEqual((await store.query({ minSequenceNumber: 6 })).eventRecords[0]?.payload, { accountId: 'a1', amount: 35 });
    },
  },
  'min-sequence-number-starts-the-fold': {
    title: 'with minSequenceNumber the fold starts after it (a kept state as initial), while the conflict check covers the whole context',
    async run({ store }) {
      await store.append([credited('a1', { amount: 10 }), credited('a1', { amount: 5 })]);
      const outcome = await decide(store, { ...balance('a1'), query: { ...account('a1'), minSequenceNumber: 1 }, initial: 10 });
      assert.equal(outcome.state, 15);
      assert.equal(outcome.result?.firstSequenceNumber, 3n);
    },
  },
  'retries-see-fresh-state': {
    title: 'a write to the context between the read and the append makes decide read again and decide on the fresh state',
    async run({ store }) {
      await store.append([credited('a1', { amount: 10 })]);
      const states: number[] = [];
      let outside = false;
      const outcome = await decide(store, {
        ...balance('a1'),
        evolve(sum, record) {
          // while the first attempt folds what it read, another writer credits the account (as
          // another process would: after the read, before the append)
          if (!outside) {
            outside = true;
            void store.append([credited('a1', { amount: 100 })]);
          }
          return balance('a1').evolve(sum, record);
        },
        decide(sum) {
          states.push(sum);
          return [debited('a1', { amount: sum })];
        },
      });
      // a store that decides under its write lock does not ask the stale attempt at all
      assert.ok(states.length === 1 || states[0] === 10, `states: ${states.join(', ')}`);
      assert.equal(states.at(-1), 110);
      assert.equal(outcome.attempts, 2);
      assert.equal(outcome.state, 110);
      const { eventRecords } = await store.query({});
      assert.deepEqual(
        eventRecords.map((r) => [r.eventType, (r.payload as { amount: number }).amount]),
        [
          ['account-credited', 10],
          ['account-credited', 100],
          ['account-debited', 110],
        ],
      );
    },
  },
  'empty-decision-appends-nothing': {
    title: 'decide returning [] appends nothing and resolves with result null and the state',
    async run({ store }) {
      await store.append([credited('a1', { amount: 3 })]);
      const outcome = await decide(store, { ...balance('a1'), decide: () => [] });
      assert.deepEqual(outcome, { state: 3, events: [], result: null, attempts: 1 });
      await assertLog(store, [1]);
    },
  },
  'thrown-error-passes-through': {
    title: 'an error thrown by decide or evolve rejects the call with that very error and nothing is written',
    async run({ store }) {
      await store.append([credited('a1', { amount: 3 })]);
      const refused = new Error('insufficient funds');
      const fromDecide = await decide(store, {
        ...balance('a1'),
        decide: () => {
          throw refused;
        },
      }).catch((error: unknown) => error);
      assert.equal(fromDecide, refused);
      const fromEvolve = await decide(store, {
        ...balance('a1'),
        evolve: () => {
          throw refused;
        },
      }).catch((error: unknown) => error);
      assert.equal(fromEvolve, refused);
      await assertLog(store, [1]);
    },
  },
  'concurrent-decisions-on-one-context-take-one-attempt': {
    title: '200 concurrent increments on one context give 200 increments, numbered 1 to 200 in log order, with one attempt each',
    async run({ store }) {
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => decide(store, counter('hot'))));
      assert.deepEqual(
        outcomes.map((o) => o.attempts),
        outcomes.map(() => 1),
      );
      assert.deepEqual(
        outcomes.map((o) => o.state).sort((a, b) => a - b),
        upTo(200).map((n) => n - 1),
      );
      assert.deepEqual(await counted(store, 'hot'), upTo(200));
    },
  },
  'decisions-among-plain-appends-stay-exact': {
    title:
      'decisions on one context among plain appends to it from the same process: each decision folds exactly the records before its own (numbered increments stay exact), none gives up',
    async run({ store }) {
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 120; i++) {
        calls.push(
          i % 4 === 0 ? store.append([ev('increment', { id: 'hot', n: 0 })]) : decide(store, { ...counter('hot'), maxAttempts: 100 }),
        );
      }
      await Promise.all(calls);
      const { eventRecords } = await store.query({ filters: [{ eventTypes: ['increment'], payloadPredicates: [{ id: 'hot' }] }] });
      assert.equal(eventRecords.length, 120);
      // a decided increment is numbered by how many records of the context came before it
      eventRecords.forEach((record, k) => {
        const { n } = record.payload as { n: number };
        if (n !== 0) assert.equal(n, k + 1, `record ${record.sequenceNumber}`);
      });
      assert.equal(eventRecords.filter((r) => (r.payload as { n: number }).n !== 0).length, 90);
    },
  },
  'a-failing-decision-fails-alone': {
    title:
      'among concurrent decisions on one context, one whose decide throws rejects with that error and one that decides bad events with INVALID_INPUT; the others commit in order',
    async run({ store }) {
      const refused = new Error('refused');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          decide(store, {
            ...counter('c'),
            decide: (count) => {
              if (i === 7) throw refused;
              if (i === 11) return [{ eventType: '', payload: {} }];
              return [ev('increment', { id: 'c', n: count + 1 })];
            },
          }),
        ),
      );
      assert.equal(outcomes[7]?.status === 'rejected' && outcomes[7].reason, refused);
      const invalid = outcomes[11]?.status === 'rejected' ? (outcomes[11].reason as { code?: string }) : undefined;
      assert.equal(invalid?.code, 'INVALID_INPUT');
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 28);
      assert.deepEqual(await counted(store, 'c'), upTo(28));
    },
  },
  'different-contexts-run-concurrently': {
    title: 'decisions on different contexts run at the same time (both read before either appends); on one context, one after another',
    async run({ store }) {
      const calls: string[] = [];
      // decide needs only query and appendIf of a store
      const watched = {
        query: (query) => (calls.push(`query ${JSON.stringify(query.filters?.[0]?.payloadPredicates)}`), store.query(query)),
        appendIf: (events, context, expected, options) => (
          calls.push(`appendIf ${JSON.stringify(context.filters?.[0]?.payloadPredicates)}`),
          store.appendIf(events, context, expected, options)
        ),
      } satisfies Pick<EventStore, 'query' | 'appendIf'> as unknown as EventStore;
      await Promise.all([decide(watched, counter('x')), decide(watched, counter('y'))]);
      assert.deepEqual(calls.slice(0, 2).sort(), ['query [{"id":"x"}]', 'query [{"id":"y"}]'], `calls: ${calls.join(', ')}`);
      calls.length = 0;
      await Promise.all([decide(watched, counter('x')), decide(watched, counter('x'))]);
      // the second reads after the first appended, or (a store that hands decide the records it
      // wrote, as EventStoreBase does) folds them without a read
      assert.deepEqual(calls.slice(0, 2), ['query [{"id":"x"}]', 'appendIf [{"id":"x"}]'], `calls: ${calls.join(', ')}`);
      assert.ok(
        ['query [{"id":"x"}],appendIf [{"id":"x"}]', 'appendIf [{"id":"x"}]'].includes(calls.slice(2).join()),
        `calls: ${calls.join(', ')}`,
      );
      assert.deepEqual(await counted(store, 'x'), [1, 2, 3]);
      // many contexts at once, each with its own queue
      const outcomes = await Promise.all(upTo(100).map((i) => decide(store, counter(`c${i % 10}`))));
      assert.ok(outcomes.every((o) => o.attempts === 1));
      for (let c = 0; c < 10; c++) assert.deepEqual(await counted(store, `c${c}`), upTo(10));
    },
  },
  'queued-decision-sees-the-commit-ahead-of-it': {
    title:
      'a decision queued behind another on its context folds exactly what the one ahead committed that matches the context, and appends at the version that left',
    async run({ store }) {
      await store.append([credited('a1', { amount: 10 })]);
      const seen: EventRecord[][] = [];
      const watching = (extra: Partial<Decision<number>>): Decision<number> => {
        const records: EventRecord[] = [];
        seen.push(records);
        return balance('a1', {
          evolve: (sum, record) => (records.push(record), balance('a1').evolve(sum, record)),
          ...extra,
        });
      };
      const [first, second, third] = await Promise.all([
        // credits 5, and also writes an event outside the context (the next fold must not see it)
        decide(store, watching({ decide: () => [credited('a1', { amount: 5 }), opened('a1')] })),
        // outside the context only: the version stays at the first decision's credit
        decide(store, watching({ decide: () => [opened('a1', { again: true })] })),
        decide(store, watching({ decide: (sum) => [debited('a1', { amount: sum })] })),
      ]);
      assert.deepEqual(
        [first.attempts, second.attempts, third.attempts],
        [1, 1, 1],
        'one attempt each: each appended at the version the one ahead left',
      );
      assert.deepEqual([first.state, second.state, third.state], [10, 15, 15]);
      assert.deepEqual(seen.map(seqs), [[1], [1, 2], [1, 2]]);
      const context = (await store.query(account('a1'))).eventRecords;
      assert.deepEqual(seen[2], context.slice(0, 2), 'the records as query returns them');
      assert.deepEqual(seqs(context), [1, 2, 5]);
      assert.deepEqual(third.result, { firstSequenceNumber: 5n, lastSequenceNumber: 5n, committedCount: 1 });
    },
  },
  'gives-up-after-max-attempts': {
    title:
      'when every attempt meets a conflict, decide rejects with CONDITIONAL_APPEND_CONFLICT after maxAttempts reads, writing nothing of its own',
    async run({ store }) {
      await store.append([credited('a1', { amount: 1 })]);
      let reads = 0;
      const error = await rejectsWith<{ expected: bigint | null; actual: bigint | null }>(
        decide(store, {
          ...balance('a1'),
          maxAttempts: 3,
          // every attempt, while it folds what it read, meets a write from outside
          evolve: (sum, record) => {
            if (record.sequenceNumber === 1n) {
              reads++;
              void store.append([credited('a1', { amount: 1, from: 'outside' })]);
            }
            return sum;
          },
          decide: () => [debited('a1', { amount: 1 })],
        }),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(reads, 3);
      assert.equal(error.expected, 3n, 'the last attempt read the context at 3');
      assert.equal(error.actual, 4n);
      const { eventRecords } = await store.query({});
      assert.deepEqual(
        eventRecords.map((r) => r.eventType),
        ['account-credited', 'account-credited', 'account-credited', 'account-credited'],
      );
    },
  },
  'default-max-attempts-is-ten': {
    title: 'without maxAttempts, decide tries ten times',
    async run({ store }) {
      await store.append([credited('a1', { amount: 1 })]);
      let reads = 0;
      await rejectsWith(
        decide(store, {
          ...balance('a1'),
          evolve: (sum, record) => {
            if (record.sequenceNumber === 1n) {
              reads++;
              void store.append([credited('a1', { amount: 1 })]);
            }
            return sum;
          },
          decide: () => [debited('a1', { amount: 1 })],
        }),
        'CONDITIONAL_APPEND_CONFLICT',
      );
      assert.equal(reads, 10);
    },
  },
  'idempotency-key-repeat-resolves-with-the-first-result': {
    title:
      'a decision repeated with its idempotency key and the same events resolves with the first result, writing nothing; other events are refused',
    async run({ store }) {
      const deposit = balance('a1', { decide: () => [credited('a1', { amount: 25 })], idempotencyKey: 'deposit-1' });
      const first = await decide(store, deposit);
      const again = await decide(store, deposit);
      assert.deepEqual(again.result, first.result);
      assert.equal(again.state, 25, 'the repeat read the context with the first deposit in it');
      await assertLog(store, [1]);
      await rejectsWith(decide(store, { ...deposit, decide: () => [credited('a1', { amount: 26 })] }), 'IDEMPOTENCY_KEY_REUSED');
      await assertLog(store, [1]);
    },
  },
  'bad-input-is-invalid-input': {
    title: 'a bad decision, or bad events from decide, fail with INVALID_INPUT and nothing is written',
    async run({ store }) {
      await store.append([credited('a1', { amount: 1 })]);
      const bad: unknown[] = [
        undefined,
        { ...balance('a1'), query: undefined },
        { ...balance('a1'), query: { filters: [{ eventType: 'account-credited' }] } },
        { ...balance('a1'), query: { limit: 1 } },
        { ...balance('a1'), evolve: undefined },
        { ...balance('a1'), decide: 'credit' },
        { ...balance('a1'), maxAttempts: 0 },
        { ...balance('a1'), maxAttempts: 2.5 },
        { ...balance('a1'), maxAttempts: Number.MAX_SAFE_INTEGER + 1 },
        { ...balance('a1'), idempotencyKey: '' },
        { ...balance('a1'), idempotencyKey: 'x'.repeat(201) },
        { ...balance('a1'), unknownKey: true },
      ];
      for (const decision of bad) await rejectsWith(decide(store, decision as Decision<number>), 'INVALID_INPUT');
      const badEvents: unknown[] = [undefined, [{ eventType: '', payload: {} }], [{ eventType: 'x', payload: { at: new Date() } }]];
      for (const events of badEvents) {
        await rejectsWith(decide(store, { ...balance('a1'), decide: () => events as NewEvent[] }), 'INVALID_INPUT');
      }
      await assertLog(store, [1]);
    },
  },
});
