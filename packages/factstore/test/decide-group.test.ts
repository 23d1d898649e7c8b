import { ConditionalAppendConflictError, type EventRecord } from '../src/index.js';
import {
  DecidedNothing,
  decideGroup,
  queryMatches,
  type FollowUp,
  type CommittedBatch,
  type GroupAppend,
  type GroupOutcome,
  type GroupContext,
  type ValidEvent,
  type ValidQuery,
} from '../src/backend.js';

const ev = (eventType: string, payload: ValidEvent['payload'] = {}): ValidEvent => ({ eventType, payload });
const ctx = (id: string): ValidQuery => ({ filters: [{ eventTypes: ['deposited'], payloadPredicates: [{ id }] }] });
/** An outcome in short: where it was written, or the version it conflicted with. */
const show = (o: GroupOutcome) =>
  o instanceof ConditionalAppendConflictError
    ? `conflict ${o.actual}`
    : o instanceof Error
      ? `error ${o.message}`
      : `at ${o.firstSequenceNumber}`;
const batchAt = (first: bigint, count: number): CommittedBatch => ({
  firstSequenceNumber: first,
  lastSequenceNumber: first + BigInt(count - 1),
  records: [],
});

/** A log in memory, read the way a store reads under its lock. */
function lockedLog(log: ValidEvent[]) {
  const asked: GroupContext[][] = [];
  const read = async (contexts: readonly GroupContext[]) => {
    asked.push([...contexts]);
    const versions = contexts.map(({ query }) => {
      for (let i = log.length - 1; i >= 0; i--) if (queryMatches(query, log[i] as ValidEvent)) return BigInt(i + 1);
      return null;
    });
    return { head: BigInt(log.length), versions };
  };
  return { read, asked };
}

describe('decideGroup', () => {
  it('accepts plain appends, asks for the head only, and puts outcomes back in group order', async () => {
    const { read, asked } = lockedLog([ev('x'), ev('x')]);
    const group: GroupAppend[] = [{ events: [ev('a')] }, { events: [ev('b'), ev('c')] }];
    const verdicts = await decideGroup(group, read);
    expect(asked).toEqual([[]]);
    expect(verdicts.head).toBe(2n);
    expect(verdicts.accepted).toEqual(group);
    const written = [batchAt(3n, 1), batchAt(4n, 2)];
    expect(verdicts.outcomes(written)).toEqual(written);
  });

  it("with mayHaveLanded, looks up every append's identity and answers one found with its first commit's batch", async () => {
    const landed = batchAt(3n, 1);
    const lookedUp: string[][] = [];
    const read = async (_contexts: readonly GroupContext[], identities: readonly string[]) => {
      lookedUp.push([...identities]);
      return { head: 3n, versions: [], committed: new Map([['i:x.1', landed]]) };
    };
    // appendIf whose condition the landed batch itself would break: it is found before it is checked
    const group: GroupAppend[] = [
      { events: [ev('deposited', { id: 'a' })], identity: 'i:x.1', condition: { query: ctx('a'), expectedVersion: null } },
      { events: [ev('b')], identity: 'i:x.2' },
    ];
    const first = await decideGroup(group, read);
    expect(lookedUp).toEqual([[]]); // without it, an identity of the store's own is not asked for
    const again = await decideGroup(group, read, true);
    expect(lookedUp[1]).toEqual(['i:x.1', 'i:x.2']);
    expect(again.accepted).toEqual([group[1]]);
    const written = batchAt(4n, 1);
    expect(again.outcomes([written])).toEqual([landed, written]);
    expect(first.accepted).toHaveLength(2);
  });

  it('checks an appendIf against the version read under the lock', async () => {
    const { read, asked } = lockedLog([ev('deposited', { id: 'a' }), ev('deposited', { id: 'b' })]);
    const ok: GroupAppend = { events: [ev('deposited', { id: 'a' })], condition: { query: ctx('a'), expectedVersion: 1n } };
    const stale: GroupAppend = { events: [ev('deposited', { id: 'b' })], condition: { query: ctx('b'), expectedVersion: 1n } };
    const verdicts = await decideGroup([ok, stale], read);
    expect(asked[0]?.map((c) => c.query)).toEqual([ctx('a'), ctx('b')]);
    expect(verdicts.accepted).toEqual([ok]);
    const [first, second] = verdicts.outcomes([batchAt(3n, 1)]);
    expect(first).toEqual(batchAt(3n, 1));
    expect(second).toBeInstanceOf(ConditionalAppendConflictError);
    expect((second as ConditionalAppendConflictError).expected).toBe(1n);
    expect((second as ConditionalAppendConflictError).actual).toBe(2n);
  });

  it('sees the appends accepted ahead in the group at the positions they will get, and not the ones left out', async () => {
    const { read } = lockedLog(Array.from({ length: 10 }, () => ev('other')));
    const group: GroupAppend[] = [
      // positions 11 and 12; the second event is in context a
      { events: [ev('other'), ev('deposited', { id: 'a' })] },
      // a conflict (the context is at 12 now): left out, takes no position
      { events: [ev('deposited', { id: 'a' }), ev('deposited', { id: 'a' })], condition: { query: ctx('a'), expectedVersion: null } },
      // expects exactly 12: accepted, position 13
      { events: [ev('deposited', { id: 'a' })], condition: { query: ctx('a'), expectedVersion: 12n } },
      // context b is untouched: null holds, position 14
      { events: [ev('deposited', { id: 'b' })], condition: { query: ctx('b'), expectedVersion: null } },
      // context a is at 13 now
      { events: [ev('deposited', { id: 'a' })], condition: { query: ctx('a'), expectedVersion: 12n } },
    ];
    const verdicts = await decideGroup(group, read);
    expect(verdicts.accepted).toEqual([group[0], group[2], group[3]]);
    const outcomes = verdicts.outcomes([batchAt(11n, 2), batchAt(13n, 1), batchAt(14n, 1)]);
    expect(outcomes.map(show)).toEqual(['at 11', 'conflict 12', 'at 13', 'at 14', 'conflict 13']);
  });

  it('decides every group exactly as appending its members one by one would', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const log: ValidEvent[] = Array.from({ length: random(6) }, () => ev(random(2) ? 'deposited' : 'other', { id: `e${random(3)}` }));
      const group: GroupAppend[] = Array.from({ length: 1 + random(8) }, () => {
        const events = Array.from({ length: 1 + random(3) }, () => ev(random(3) ? 'deposited' : 'other', { id: `e${random(3)}` }));
        if (random(4) === 0) return { events };
        const expected = random(3) === 0 ? null : BigInt(random(log.length + 12) + 1);
        return { events, condition: { query: ctx(`e${random(3)}`), expectedVersion: expected } };
      });
      // the reference: each member checked and written in turn
      const sequential = [...log];
      const expected = group.map((item) => {
        if (item.condition) {
          let version: bigint | null = null;
          for (let i = sequential.length - 1; i >= 0 && version === null; i--)
            if (queryMatches(item.condition.query, sequential[i] as ValidEvent)) version = BigInt(i + 1);
          if (version !== item.condition.expectedVersion) return `conflict ${version}`;
        }
        const first = sequential.length + 1;
        sequential.push(...item.events);
        return `at ${first}`;
      });
      const verdicts = await decideGroup(group, lockedLog(log).read);
      let next = verdicts.head + 1n;
      const written = verdicts.accepted.map((item) => {
        const batch = batchAt(next, item.events.length);
        next += BigInt(item.events.length);
        return batch;
      });
      const got = verdicts.outcomes(written).map(show);
      expect(got).toEqual(expected);
    }
  });

  it('an idempotency key already committed: the same events get that batch (replayed), other events IDEMPOTENCY_KEY_REUSED, both before any condition', async () => {
    const committedBatch: CommittedBatch = {
      firstSequenceNumber: 1n,
      lastSequenceNumber: 1n,
      records: [{ sequenceNumber: 1n, occurredAt: new Date(0), eventType: 'deposited', payload: { id: 'a', amount: 5 } }],
    };
    const asked: string[][] = [];
    const read = async (_contexts: readonly GroupContext[], identities: readonly string[]) => {
      asked.push([...identities]);
      return { head: 1n, versions: [1n], committed: new Map([['k:cmd-1', committedBatch]]) };
    };
    const replay: GroupAppend = {
      events: [ev('deposited', { amount: 5, id: 'a' })], // key order does not matter
      condition: { query: ctx('a'), expectedVersion: null }, // would conflict: the key wins
      key: 'cmd-1',
    };
    const reuse: GroupAppend = { events: [ev('deposited', { id: 'a', amount: 6 })], key: 'cmd-1' };
    const fresh: GroupAppend = { events: [ev('x')], key: 'cmd-2' };
    const verdicts = await decideGroup([replay, reuse, fresh], read);
    expect(asked).toEqual([['k:cmd-1', 'k:cmd-1', 'k:cmd-2']]);
    expect(verdicts.accepted).toEqual([fresh]);
    const [first, second, third] = verdicts.outcomes([batchAt(2n, 1)]);
    expect(first).toMatchObject({ firstSequenceNumber: 1n, lastSequenceNumber: 1n, replayed: true });
    expect(second).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', idempotencyKey: 'cmd-1' });
    expect(third).toEqual(batchAt(2n, 1));
  });

  it('one key twice in a group: the first writes, the second gets its batch or IDEMPOTENCY_KEY_REUSED', async () => {
    const { read } = lockedLog([]);
    const first: GroupAppend = { events: [ev('a', { n: 1 })], key: 'k' };
    const same: GroupAppend = { events: [ev('a', { n: 1 })], key: 'k' };
    const other: GroupAppend = { events: [ev('a', { n: 2 })], key: 'k' };
    const verdicts = await decideGroup([first, same, other], read);
    expect(verdicts.accepted).toEqual([first]);
    const written: CommittedBatch = {
      firstSequenceNumber: 1n,
      lastSequenceNumber: 1n,
      records: [{ sequenceNumber: 1n, occurredAt: new Date(0), eventType: 'a', payload: { n: 1 } }],
    };
    const outcomes = verdicts.outcomes([written]);
    expect(outcomes[0]).toBe(written);
    expect(outcomes[1]).toMatchObject({ firstSequenceNumber: 1n, replayed: true });
    expect(outcomes[2]).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  describe('decisions under the lock (follow-ups)', () => {
    /** A follow-up that records what it was handed and decides `events`. */
    const follower = (events: ValidEvent[]) => {
      const seen: EventRecord[][] = [];
      const followUp: FollowUp = {
        decide: (ahead) => {
          seen.push([...ahead]);
          return events;
        },
      };
      return { followUp, seen };
    };

    it('hands each one the context records written ahead of it, numbered and timed as stored, and writes what it decides', async () => {
      const { read, asked } = lockedLog([ev('deposited', { id: 'a' }), ev('x')]);
      const query = ctx('a');
      const condition = { query, expectedVersion: 1n };
      const first = follower([ev('deposited', { id: 'a', n: 1 }), ev('other')]);
      const second = follower([ev('deposited', { id: 'a', n: 2 })]);
      const plain: GroupAppend = { events: [ev('deposited', { id: 'a', n: 'plain' })] };
      const third = follower([ev('deposited', { id: 'a', n: 3 })]);
      const group: GroupAppend[] = [
        { events: [], condition, followUp: first.followUp },
        { events: [], condition, followUp: second.followUp },
        plain,
        { events: [], condition, followUp: third.followUp },
      ];
      const verdicts = await decideGroup(group, read);
      expect(asked).toEqual([[{ query, matcher: expect.any(Function) }]]); // one shared context, read once
      expect(verdicts.accepted.map((a) => a.events)).toEqual([
        [ev('deposited', { id: 'a', n: 1 }), ev('other')],
        [ev('deposited', { id: 'a', n: 2 })],
        plain.events,
        [ev('deposited', { id: 'a', n: 3 })],
      ]);
      expect(first.seen).toEqual([[]]);
      const record = (sequenceNumber: bigint, n: number | string) => ({
        sequenceNumber,
        occurredAt: verdicts.at,
        eventType: 'deposited',
        payload: { id: 'a', n },
      });
      expect(second.seen).toEqual([[record(3n, 1)]]);
      // the plain append ahead of it is in the context too; `other` (position 4) is not
      expect(third.seen).toEqual([[record(3n, 1), record(5n, 2), record(6n, 'plain')]]);
      const written = [batchAt(3n, 2), batchAt(5n, 1), batchAt(6n, 1), batchAt(7n, 1)];
      expect(verdicts.outcomes(written)).toEqual(written);
    });

    it('conflicts, without being asked, when the log as the lock found it is not at the version it knew', async () => {
      const { read } = lockedLog([ev('deposited', { id: 'a' }), ev('deposited', { id: 'a' })]);
      const stale = follower([ev('deposited', { id: 'a' })]);
      const verdicts = await decideGroup(
        [{ events: [], condition: { query: ctx('a'), expectedVersion: 1n }, followUp: stale.followUp }],
        read,
      );
      expect(stale.seen).toEqual([]);
      expect(verdicts.accepted).toEqual([]);
      const [outcome] = verdicts.outcomes([]);
      expect(outcome).toBeInstanceOf(ConditionalAppendConflictError);
      expect(outcome).toMatchObject({ code: 'CONDITIONAL_APPEND_CONFLICT', expected: 1n, actual: 2n });
    });

    it('one that decides nothing writes nothing and ends with DecidedNothing; the next is numbered as if it were absent', async () => {
      const { read } = lockedLog([]);
      const condition = { query: ctx('a'), expectedVersion: null };
      const none = follower([]);
      const after = follower([ev('deposited', { id: 'a' })]);
      const verdicts = await decideGroup(
        [
          { events: [], condition, followUp: none.followUp },
          { events: [], condition, followUp: after.followUp },
        ],
        read,
      );
      expect(verdicts.accepted).toHaveLength(1);
      expect(after.seen).toEqual([[]]);
      const [nothing, written] = verdicts.outcomes([batchAt(1n, 1)]);
      expect(nothing).toBeInstanceOf(DecidedNothing);
      expect(written).toEqual(batchAt(1n, 1));
    });
  });
});
