import type { DurableReplayError, EventQuery, EventStream } from 'factstore';
import { defineCases } from '../conformance-case.js';
import {
  assert,
  credited,
  deliveries,
  ev,
  gate,
  opened,
  recorder,
  rejectsWith,
  renamed,
  seqs,
  sleep,
  staysAt,
  waitFor,
} from '../harness.js';

const a1 = { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] };

export const durableStreamCases = defineCases('durable-streams', {
  'state-reused-for-same-name': {
    title: 'a durable name resumes after its cursor',
    async run({ store }) {
      await store.append([opened('a1'), renamed('a1', { name: 'Primary' })]);
      const one = recorder();
      const first = await store.streamAllDurable('account-directory', one.handler);
      assert.deepEqual(one.positions(), [[1, 2]], 'replayed before the registration resolved');
      await first.unsubscribe();
      const two = recorder();
      await store.streamAllDurable('account-directory', two.handler);
      await staysAt(two, 0);
      await store.append([credited('a1', { amount: 50 })]);
      assert.deepEqual(await deliveries(two, 1), [[3]]);
    },
  },
  'replay-by-type-keeps-batches': {
    title: 'replay filters by event type and keeps the original batch boundaries',
    async run({ store }) {
      await store.append([opened('a1'), credited('a1', { amount: 10 })]);
      await store.append([renamed('a1', { name: 'Primary' })]);
      const rec = recorder();
      await store.streamToDurable('account-types', { filters: [{ eventTypes: ['account-opened', 'account-renamed'] }] }, rec.handler);
      assert.deepEqual(rec.positions(), [[1], [3]]);
    },
  },
  'replay-by-payload': {
    title: 'replay filters by payload predicate',
    async run({ store }) {
      await store.append([opened('a1'), opened('a2')]);
      await store.append([renamed('a1', { name: 'Primary' }), renamed('a2', { name: 'Secondary' })]);
      const rec = recorder();
      await store.streamToDurable('account-a1', a1, rec.handler);
      assert.deepEqual(rec.positions(), [[1], [3]]);
    },
  },
  'replay-shared-semantics': {
    title: 'replay uses the shared OR/AND filter semantics',
    async run({ store }) {
      await store.append([opened('a1'), opened('b9'), renamed('b9'), credited('a1', { amount: 10 })]);
      const rec = recorder();
      await store.streamToDurable(
        'shared-filter-semantics',
        { filters: [{ eventTypes: ['account-opened'], payloadPredicates: [{ accountId: 'a1' }] }, { eventTypes: ['account-renamed'] }] },
        rec.handler,
      );
      assert.deepEqual(rec.positions(), [[1, 3]]);
    },
  },
  'replay-to-live-no-gap-no-duplicate': {
    title: 'the replay-to-live handover has no duplicate and no gap',
    async run({ store }) {
      await store.append([opened('a1')]);
      const rec = recorder();
      await store.streamAllDurable('transition-stream', rec.handler);
      assert.deepEqual(rec.positions(), [[1]]);
      await store.append([renamed('a1', { name: 'Primary' })]);
      assert.deepEqual(await deliveries(rec, 2), [[1], [2]]);
    },
  },
  'handover-under-concurrent-appends': {
    title: 'appends racing a durable registration are each delivered exactly once, in order',
    async run({ store }) {
      for (let i = 0; i < 50; i++) await store.append([opened(`a${i}`)]);
      const rec = recorder();
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing && i < 200; i++) {
          await store.append([credited(`a${i}`)]);
          await sleep(0);
        }
      })();
      await sleep(1);
      await store.streamAllDurable('racing', async (batch) => {
        await sleep(0);
        rec.handler(batch);
      });
      writing = false;
      await writer;
      const head = Number((await store.query({})).currentContextVersion);
      await waitFor(() => rec.positions().flat().length === head, `all ${head} events delivered`, 5000);
      assert.deepEqual(
        rec.positions().flat(),
        Array.from({ length: head }, (_, i) => i + 1),
      );
    },
  },
  'replay-failure-keeps-cursor': {
    title: 'a failing replay rejects with DURABLE_REPLAY_FAILED (cause: the thrown value) and a retry replays from the same position',
    async run({ store }) {
      await store.append([opened('a1')]);
      const thrown = new Error('expected test handler failure');
      const error = await rejectsWith<DurableReplayError>(
        store.streamAllDurable('failing-replay-stream', () => {
          throw thrown;
        }),
        'DURABLE_REPLAY_FAILED',
      );
      assert.equal(error.cause, thrown, 'cause is the thrown value itself');
      assert.equal((await store.query({})).eventRecords.length, 1);
      const rec = recorder();
      await store.streamAllDurable('failing-replay-stream', rec.handler);
      assert.deepEqual(rec.positions(), [[1]]);
    },
  },
  'replay-failure-mid-way': {
    title: 'a replay failing on the second batch leaves the cursor after the first',
    async run({ store }) {
      await store.append([opened('a1')]);
      await store.append([opened('a2')]);
      await store.append([opened('a3')]);
      let calls = 0;
      await rejectsWith(
        store.streamAllDurable('mid-way', () => {
          calls++;
          if (calls === 2) return Promise.reject('second batch fails');
        }),
        'DURABLE_REPLAY_FAILED',
      );
      const rec = recorder();
      await store.streamAllDurable('mid-way', rec.handler);
      assert.deepEqual(rec.positions(), [[2], [3]]);
    },
  },
  'live-failure-stops-stream': {
    title: 'a live failure stops the durable stream, frees its name before onError, and keeps the cursor',
    async run({ store }) {
      const thrown = { message: 'expected test handler failure' };
      const seenInOnError: { active?: boolean; error?: unknown; batch?: number[]; reRegistered?: number[][] } = {};
      const rec = recorder();
      const stream: EventStream = await store.streamAllDurable(
        'failing-live-stream',
        () => {
          throw thrown;
        },
        {
          onError: (error, batch) => {
            seenInOnError.active = stream.active;
            seenInOnError.error = error;
            seenInOnError.batch = seqs(batch);
            void store.streamAllDurable('failing-live-stream', rec.handler).then(() => {
              seenInOnError.reRegistered = rec.positions();
            });
          },
        },
      );
      const result = await store.append([opened('a1')]);
      assert.equal(result.firstSequenceNumber, 1n);
      assert.equal((await store.query({})).eventRecords.length, 1);
      await waitFor(() => seenInOnError.reRegistered !== undefined, 're-registered from onError');
      assert.equal(seenInOnError.active, false, 'inactive before onError');
      assert.equal(seenInOnError.error, thrown, 'onError gets the thrown value itself');
      assert.deepEqual(seenInOnError.batch, [1]);
      assert.deepEqual(seenInOnError.reRegistered, [[1]], 'the failed batch is replayed: the cursor stayed');
      assert.equal(stream.active, false);
    },
  },
  'query-mismatch': {
    title: 'resuming a name with a different query fails with DURABLE_STREAM_QUERY_MISMATCH',
    async run({ store }) {
      const first = await store.streamToDurable('projection', a1, () => {});
      await first.unsubscribe();
      const error = await rejectsWith(
        store.streamToDurable('projection', { filters: [{ payloadPredicates: [{ accountId: 'a2' }] }] }, () => {}),
        'DURABLE_STREAM_QUERY_MISMATCH',
      );
      assert.equal(error.name, 'DurableStreamQueryMismatchError');
      await rejectsWith(
        store.streamAllDurable('projection', () => {}),
        'DURABLE_STREAM_QUERY_MISMATCH',
      );
      const again = await store.streamToDurable('projection', a1, () => {});
      await again.unsubscribe();
    },
  },
  'canonical-query-comparison': {
    title: 'the stored query is compared canonically: key order, set order, duplicates, cursor and limit do not matter',
    async run({ store }) {
      const query: EventQuery = {
        filters: [
          {
            eventTypes: ['account-opened', 'account-renamed'],
            payloadPredicates: [{ accountId: 'a1', region: 'eu' }, { owner: { id: 1, name: 'x' } }],
          },
          { eventTypes: ['account-closed'] },
        ],
      };
      const same: EventQuery = {
        filters: [
          { eventTypes: ['account-closed'] },
          {
            payloadPredicates: [{ owner: { name: 'x', id: 1 } }, { region: 'eu', accountId: 'a1' }],
            eventTypes: ['account-renamed', 'account-opened', 'account-opened'],
          },
          { eventTypes: ['account-closed'] },
        ],
        minSequenceNumber: 5n,
        limit: 3,
      };
      await (await store.streamToDurable('canonical', query, () => {})).unsubscribe();
      await (await store.streamToDurable('canonical', same, () => {})).unsubscribe();
      await (await store.streamAllDurable('all', () => {})).unsubscribe();
      await (await store.streamToDurable('all', {}, () => {})).unsubscribe();
      await (await store.streamToDurable('all', { filters: [] }, () => {})).unsubscribe();
      await (await store.streamToDurable('all', { limit: 1, minSequenceNumber: 3 }, () => {})).unsubscribe();
      await rejectsWith(
        store.streamToDurable('all', { filters: [{}] }, () => {}),
        'DURABLE_STREAM_QUERY_MISMATCH',
      );
    },
  },
  'one-active-registration-per-name': {
    title: 'a name is active at most once: a second registration fails with DURABLE_STREAM_ACTIVE until the first stops',
    async run({ store }) {
      const first = await store.streamAllDurable('single', () => {});
      const error = await rejectsWith(
        store.streamAllDurable('single', () => {}),
        'DURABLE_STREAM_ACTIVE',
      );
      assert.equal(error.name, 'DurableStreamActiveError');
      await rejectsWith(
        store.streamToDurable('single', a1, () => {}),
        'DURABLE_STREAM_ACTIVE',
      );
      await first.unsubscribe();
      const second = await store.streamAllDurable('single', () => {});
      assert.equal(second.active, true);
      const other = await store.streamAllDurable('other-name', () => {});
      assert.equal(other.active, true);
    },
  },
  'overlapping-registrations-one-wins': {
    title: 'two overlapping registrations of one name on one store: exactly one wins, the other fails with DURABLE_STREAM_ACTIVE',
    async run({ store }) {
      await store.append([opened('a1'), credited('a1')]);
      const deliveredTo = [0, 0];
      const results = await Promise.allSettled(
        [0, 1].map((i) =>
          store.streamAllDurable('overlap', (batch) => {
            deliveredTo[i] = (deliveredTo[i] ?? 0) + batch.length;
          }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, 'exactly one registration resolves');
      assert.equal(lost.length, 1);
      assert.equal((lost[0]?.reason as { code?: string }).code, 'DURABLE_STREAM_ACTIVE');
      await store.append([credited('a1')]);
      await waitFor(() => deliveredTo.reduce((a, b) => a + b, 0) === 3, 'three records delivered');
      await sleep(100);
      assert.deepEqual([...deliveredTo].sort(), [0, 3], 'only the winner is delivered to');
    },
  },
  'active-wins-over-mismatch': {
    title: 'DURABLE_STREAM_ACTIVE is reported before DURABLE_STREAM_QUERY_MISMATCH',
    async run({ store }) {
      await store.streamToDurable('precedence', a1, () => {});
      await rejectsWith(
        store.streamToDurable('precedence', { filters: [{ eventTypes: ['x'] }] }, () => {}),
        'DURABLE_STREAM_ACTIVE',
      );
    },
  },
  'replay-failure-frees-name': {
    title: 'after a failed replay the name is free at once',
    async run({ store }) {
      await store.append([opened('a1')]);
      await rejectsWith(
        store.streamAllDurable('freed', () => {
          throw new Error('no');
        }),
        'DURABLE_REPLAY_FAILED',
      );
      const stream = await store.streamAllDurable('freed', () => {});
      assert.equal(stream.active, true);
    },
  },
  'filtered-out-history-moves-cursor': {
    title: 'history that filters to nothing is skipped silently and not replayed again',
    async run({ store }) {
      await store.append([credited('a1')]);
      await store.append([credited('a2')]);
      const one = recorder();
      const first = await store.streamToDurable('openings', { filters: [{ eventTypes: ['account-opened'] }] }, one.handler);
      assert.deepEqual(one.positions(), []);
      await store.append([credited('a3')]);
      await store.append([opened('a4'), credited('a4')]);
      assert.deepEqual(await deliveries(one, 1), [[4]]);
      await first.unsubscribe();
      const two = recorder();
      await store.streamToDurable('openings', { filters: [{ eventTypes: ['account-opened'] }] }, two.handler);
      await staysAt(two, 0);
    },
  },
  'async-replay-awaited': {
    title: 'registration resolves only after an async handler finished every replayed batch',
    async run({ store }) {
      await store.append([opened('a1')]);
      await store.append([opened('a2')]);
      const done: number[] = [];
      await store.streamAllDurable('async-replay', async (batch) => {
        await sleep(10);
        done.push(...seqs(batch));
      });
      assert.deepEqual(done, [1, 2]);
    },
  },
  'handler-may-use-the-store-during-replay': {
    title: 'a durable handler may await query and append during replay and live',
    async run({ store }) {
      await store.append([opened('a1')]);
      const seen: number[] = [];
      await store.streamToDurable('re-entrant', { filters: [{ eventTypes: ['account-opened'] }] }, async (batch) => {
        const result = await store.query({});
        assert.ok(result.currentContextVersion !== null);
        for (const record of batch) {
          await store.append([credited((record.payload as { accountId: string }).accountId)]);
          seen.push(Number(record.sequenceNumber));
        }
      });
      assert.deepEqual(seen, [1]);
      await store.append([opened('a2')]);
      await waitFor(() => seen.length === 2, 'live delivery');
      const types = (await store.query({})).eventRecords.map((r) => r.eventType);
      assert.deepEqual(types, ['account-opened', 'account-credited', 'account-opened', 'account-credited']);
    },
  },
  'durable-live-slow-handler': {
    title: 'a blocked durable handler delays only its own stream and its cursor waits for it',
    async run({ store }) {
      const blocked = gate();
      let calls = 0;
      const slow = await store.streamAllDurable('slow', async () => {
        calls++;
        await blocked.promise;
      });
      const fast = recorder();
      await store.streamAll(fast.handler);
      await store.append([ev('e', 1)]);
      await store.append([ev('e', 2)]);
      assert.deepEqual(await deliveries(fast, 2), [[1], [2]]);
      assert.equal(calls, 1);
      const unsubscribed = slow.unsubscribe();
      blocked.open();
      await unsubscribed;
      const again = recorder();
      await store.streamAllDurable('slow', again.handler);
      assert.deepEqual(again.positions(), [[2]], 'the first batch finished, the second was never started');
    },
  },
});
