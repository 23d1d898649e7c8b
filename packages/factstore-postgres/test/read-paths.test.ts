import { storeMaintenance } from 'factstore/backend';
import { credited, eventually, opened, positions } from 'factstore-test-support';
import { PostgresStore } from '../src/index.js';
import { inlineParams, literal } from '../src/connection.js';
import { planQuery } from '../src/plan.js';
import { notifiedHead } from '../src/backend.js';
import { databaseUrl, schemasDroppedAfterAll, sql } from './database.js';

const schema = schemasDroppedAfterAll();

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('PostgresStore read paths', () => {
  it('a replay of many pages, with commits landing while it reads ahead, delivers every position once and in order', async () => {
    const s = schema('ahead');
    const writer = await PostgresStore.connect(databaseUrl(), { schema: s });
    const reader = await PostgresStore.connect(databaseUrl(), { schema: s, pollIntervalMs: 50 });
    try {
      // batches of 7: pages (about 1,024 events) end inside no batch, and several pages are read ahead
      for (let i = 0; i < 300; i++) await writer.append(range(1, 7).map((k) => opened(`a${i}-${k}`)));
      const seen: number[] = [];
      const batchSizes: number[] = [];
      const appending = (async () => {
        for (let i = 0; i < 100; i++) await writer.append(range(1, 3).map((k) => credited(`b${i}-${k}`)));
      })();
      const stream = await reader.streamAllDurable('ahead', (batch) => {
        batchSizes.push(batch.length);
        seen.push(...positions(batch));
      });
      await appending;
      await eventually('the stream reaches the head', () => seen.length >= 2100 + 300, 20_000);
      await stream.unsubscribe();
      expect(seen).toEqual(range(1, 2400));
      // whole batches only: the 300 first of 7 events, then the 100 of 3
      expect(batchSizes).toEqual([...Array<number>(300).fill(7), ...Array<number>(100).fill(3)]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('a stream that read to the head is woken by the next commit (an empty read ahead is never its answer)', async () => {
    const s = schema('tail');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    try {
      for (let i = 0; i < 3; i++) await store.append(range(1, 400).map((k) => opened(`a${i}-${k}`)));
      const seen: number[] = [];
      const stream = await store.streamAllDurable('tail', (batch) => {
        seen.push(...positions(batch));
      });
      expect(seen).toEqual(range(1, 1200));
      await store.append([credited('late')]);
      await eventually('the commit after the replay is delivered', () => seen.length === 1201);
      await stream.unsubscribe();
      expect(seen.at(-1)).toBe(1201);
    } finally {
      await store.close();
    }
  });

  it('records read back carry their commit time exactly, one Date per batch (the commit time parsed once a batch)', async () => {
    const s = schema('times');
    const writer = await PostgresStore.connect(databaseUrl(), { schema: s });
    const reader = await PostgresStore.connect(databaseUrl(), { schema: s });
    try {
      const written = [];
      for (let i = 0; i < 3; i++) {
        written.push(await writer.append(range(1, 4).map((k) => opened(`t${i}-${k}`))));
        await new Promise((done) => setTimeout(done, 5)); // distinct commit times
      }
      const { eventRecords } = await reader.query({});
      expect(eventRecords).toHaveLength(12);
      const times = [...new Set(eventRecords.map((r) => r.occurredAt))];
      expect(times).toHaveLength(3); // one Date object a batch
      const expected = await writer.query({});
      expect(eventRecords.map((r) => r.occurredAt.getTime())).toEqual(expected.eventRecords.map((r) => r.occurredAt.getTime()));
      expect(new Set(times.map((t) => t.getTime())).size).toBe(3);
      // and a replay (pages of batches) reads the same times
      const replayed: number[] = [];
      const stream = await reader.streamAllDurable('times', (batch) => {
        replayed.push(...batch.map((r) => r.occurredAt.getTime()));
      });
      await stream.unsubscribe();
      expect(replayed).toEqual(expected.eventRecords.map((r) => r.occurredAt.getTime()));
      expect(written.map((w) => w.firstSequenceNumber)).toEqual([1n, 5n, 9n]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('an appendIf whose insert fails writes nothing and leaves the counter as it was: the next append takes the next position', async () => {
    const s = schema('rollback');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    try {
      await store.append([opened('a1')]);
      // a constraint of the test's own makes the insert of the decided group fail after its reads
      await sql(`ALTER TABLE "${s}".events ADD CONSTRAINT no_rejected CHECK (NOT payload ? 'rejected')`);
      const context = { filters: [{ eventTypes: ['account-credited'], payloadPredicates: [{ accountId: 'a1' }] }] };
      await expect(store.appendIf([credited('a1', { rejected: true })], context, null)).rejects.toMatchObject({ code: 'BACKEND_FAILURE' });
      const committed = await store.appendIf([credited('a1')], context, null);
      expect(committed.firstSequenceNumber).toBe(2n);
      expect(positions((await store.query({})).eventRecords)).toEqual([1, 2]);
      expect(await sql(`SELECT last_seq::int AS last FROM "${s}".head`)).toEqual([{ last: 2 }]);
    } finally {
      await store.close();
    }
  });

  it('a group of appendIfs of several shapes (one kind of entity, another, a wide one of 12 filters) decides each against its own context', async () => {
    const s = schema('shapes');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    try {
      const account = (id: string) => ({
        filters: [{ eventTypes: ['account-opened', 'account-credited'], payloadPredicates: [{ accountId: id }] }],
      });
      const tagged = (tag: string) => ({ filters: [{ payloadPredicates: [{ tag }, { alias: tag }] }] });
      const wide = (id: string) => ({
        filters: range(1, 12).map((n) => ({ eventTypes: [`kind-${n}`], payloadPredicates: [{ accountId: id }] })),
      });
      for (let i = 0; i < 10; i++) await store.append([opened(`a${i}`), { eventType: 'tagged', payload: { tag: `t${i}` } }]);
      await store.append([{ eventType: 'kind-7', payload: { accountId: 'w1' } }]);
      const versions = async (contexts: { filters: object[] }[]) =>
        Promise.all(contexts.map(async (c) => (await store.query(c as never)).currentContextVersion));
      const contexts = [...range(0, 9).map((i) => account(`a${i}`)), ...range(0, 9).map((i) => tagged(`t${i}`)), wide('w1'), wide('w2')];
      const expected = await versions(contexts);
      expect(expected.slice(0, 3)).toEqual([1n, 3n, 5n]);
      expect(expected.slice(10, 12)).toEqual([2n, 4n]);
      expect(expected.slice(20)).toEqual([21n, null]);
      // every even one at its version (accepted), every odd one one behind (a conflict), all in one group
      const outcomes = await Promise.allSettled(
        contexts.map((context, k) =>
          store.appendIf(
            [credited(`x${k}`)],
            context as never,
            k % 2 === 0 ? (expected[k] ?? null) : expected[k] === null ? 0n : (expected[k] as bigint) - 1n,
          ),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(contexts.map((_, k) => (k % 2 === 0 ? 'fulfilled' : 'rejected')));
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'CONDITIONAL_APPEND_CONFLICT' });
      expect(positions((await store.query({})).eventRecords)).toEqual(range(1, 21 + 11));
    } finally {
      await store.close();
    }
  });
});

describe('an import into PostgreSQL', () => {
  it('leaves the planner statistics of the events and batches tables up to date, so the first queries are planned for the data', async () => {
    const from = await PostgresStore.connect(databaseUrl(), { schema: schema('importfrom') });
    const s = schema('importto');
    const to = await PostgresStore.connect(databaseUrl(), { schema: s });
    try {
      for (let i = 0; i < 20; i++) await from.append(range(1, 50).map((k) => opened(`a${i}-${k}`)));
      const analyzed = `SELECT relname, reltuples::int AS rows FROM pg_class WHERE relnamespace = '"${s}"'::regnamespace AND relname IN ('events', 'batches') ORDER BY relname`;
      // a table never analyzed (or vacuumed) has reltuples -1
      expect(await sql(analyzed)).toEqual([
        { relname: 'batches', rows: -1 },
        { relname: 'events', rows: -1 },
      ]);
      expect(await storeMaintenance(to).importBatches(storeMaintenance(from).exportBatches(), { chunkEvents: 300 })).toEqual({
        events: 1000n,
        batches: 20n,
      });
      expect(await sql(analyzed)).toEqual([
        { relname: 'batches', rows: 20 },
        { relname: 'events', rows: 1000 },
      ]);
    } finally {
      await to.close();
      await from.close();
    }
  });
});

describe('values written into a statement (containment reads)', () => {
  // each value is the payload of one event and, for some, its type: a query by it finds exactly that event
  const awkward = [
    "it's",
    "''",
    'back\\slash',
    "\\'",
    "E'x'",
    '$1',
    '$$ $tag$',
    "'); DROP TABLE events; --",
    '\\x00 \\u0041',
    'ünïcødé ✓ 🧾',
    '"quoted" {a,b}',
    'line\nbreak\ttab',
  ];

  it('a query by a payload value with quotes, backslashes, dollars or any character finds exactly its event, and changes nothing', async () => {
    const s = schema('literals');
    const store = await PostgresStore.connect(databaseUrl(), { schema: s });
    try {
      await store.append(awkward.map((value, i) => ({ eventType: i % 2 === 0 ? 'noted' : `t ${value}`, payload: { value, i } })));
      for (const [i, value] of awkward.entries()) {
        const eventType = i % 2 === 0 ? 'noted' : `t ${value}`;
        const found = await store.query({ filters: [{ eventTypes: [eventType], payloadPredicates: [{ value }] }] });
        expect(found.eventRecords.map((r) => [r.eventType, r.payload])).toEqual([[eventType, { value, i }]]);
        expect(found.currentContextVersion).toBe(BigInt(i + 1));
        // the same read backward, and as the context of an appendIf (a stale version conflicts)
        const newest = await store.query({ filters: [{ payloadPredicates: [{ value }, { i }] }], direction: 'backward', limit: 1 });
        expect(newest.eventRecords.map((r) => r.sequenceNumber)).toEqual([BigInt(i + 1)]);
        await expect(
          store.appendIf([{ eventType: 'noted', payload: { value } }], { filters: [{ payloadPredicates: [{ value }] }] }, null),
        ).rejects.toMatchObject({
          code: 'CONDITIONAL_APPEND_CONFLICT',
        });
      }
      const all = await store.query({ filters: [{ payloadPredicates: awkward.map((value) => ({ value })) }] });
      expect(all.eventRecords).toHaveLength(awkward.length);
      expect(await sql(`SELECT count(*)::int AS count FROM "${s}".events`)).toEqual([{ count: awkward.length }]);
    } finally {
      await store.close();
    }
  });

  it('writes text as an escape string with every backslash and quote doubled, integers as digits, and nothing else', () => {
    expect(literal("it's \\ fine")).toBe("E'it''s \\\\ fine'");
    expect(literal(256)).toBe('256');
    expect(inlineParams('a = $1 AND b = $10 AND c = $2', ['x', "'y'", ...Array<string>(7).fill('-'), 'ten'])).toBe(
      "a = E'x' AND b = E'ten' AND c = E'''y'''",
    );
    expect(() => literal('nul \u0000 here')).toThrow('\\u0000');
    expect(() => literal(1.5)).toThrow('not a safe integer');
    expect(() => literal(new Date())).toThrow('only text and integers');
    expect(() => inlineParams('a = $2', ['only one'])).toThrow('only text and integers');
  });
});

describe('planQuery', () => {
  const scope = { events: 'x.events', offset: 0 };
  it('marks a plan with a payload predicate as containment (never prepared: a generic plan cannot know how rare the value is)', () => {
    const withPredicate = planQuery({ filters: [{ eventTypes: ['t'], payloadPredicates: [{ id: 'a' }] }] }, scope);
    expect(withPredicate.containment).toBe(true);
    expect(withPredicate.where).toContain('payload @>');
    const typesOnly = planQuery({ filters: [{ eventTypes: ['t', 'u'] }] }, scope);
    expect(typesOnly.containment).toBe(false);
    expect(typesOnly.where).not.toContain('payload');
    expect(planQuery({ filters: [{ eventTypes: ['t'] }, { payloadPredicates: [{ id: 'a' }] }] }, scope).containment).toBe(true);
  });
});

describe('notifiedHead (the head a commit notification tells)', () => {
  it('is the last position of a `first-last` range, and nothing for any other text', () => {
    expect(notifiedHead('1-1')).toBe(1n);
    expect(notifiedHead('101-200')).toBe(200n);
    expect(notifiedHead('9007199254740993-9007199254740999')).toBe(9007199254740999n);
    for (const other of ['', '1', '-1', '1-', 'a-b', '01-2', '1-02', '1-2-3', ' 1-2', '1-2\n', '0-0'])
      expect(notifiedHead(other)).toBeUndefined();
  });
});
