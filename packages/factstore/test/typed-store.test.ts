import { Type } from '@sinclair/typebox';
import { defineEvents, typedStore, type InvalidInputIssue } from '../src/index.js';
import { ArrayStore, asStore } from './array-store.js';

const Bank = defineEvents({
  'account-opened': Type.Object({ accountId: Type.String(), owner: Type.String() }),
  'money-deposited': Type.Object({ accountId: Type.String(), amount: Type.Number({ exclusiveMinimum: 0 }) }),
});
const all = ['account-opened', 'money-deposited'];
const opened = { eventType: 'account-opened', payload: { accountId: 'a1', owner: 'Ada' } } as const;
const deposit = (amount: number) => ({ eventType: 'money-deposited', payload: { accountId: 'a1', amount } }) as const;

/** What the call rejected with: code and issues. */
async function refusal(work: Promise<unknown>) {
  const error = (await work.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: string; issues?: InvalidInputIssue[] } | undefined;
  return { code: error?.code, issues: error?.issues };
}

describe('defineEvents', () => {
  it('keeps the schemas and the event types in declaration order', () => {
    expect(Bank.eventTypes).toEqual(all);
    expect(Bank.has('money-deposited')).toBe(true);
    expect(Bank.has('toString')).toBe(false);
    expect(Object.isFrozen(Bank)).toBe(true);
  });

  it('refuses what is not a catalog', () => {
    expect(() => defineEvents({ '': Type.Object({}) })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => defineEvents({ ['x'.repeat(257)]: Type.Object({}) })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => defineEvents({ a: { type: 'object' } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', issues: [{ path: 'schemas.a', message: expect.stringContaining('TypeBox') }] }),
    );
    expect(() => defineEvents(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('typedStore', () => {
  it('appends checked events and reads them back', async () => {
    const store = new ArrayStore();
    const bank = typedStore(asStore(store), Bank);
    expect(await bank.append([opened, deposit(5)])).toMatchObject({ firstSequenceNumber: 1n, committedCount: 2 });
    const { eventRecords } = await bank.query({ filters: [{ eventTypes: ['money-deposited'] }] });
    expect(eventRecords.map((r) => r.payload.amount)).toEqual([5]);
    expect(bank.store).toBe(store);
  });

  it('refuses an unknown event type or a payload its schema refuses with INVALID_INPUT and the schema issues, writing nothing', async () => {
    const store = new ArrayStore();
    const bank = typedStore(asStore(store), Bank);
    const unknown = await refusal(bank.append([opened, { eventType: 'account-closed', payload: {} } as never]));
    expect(unknown).toEqual({
      code: 'INVALID_INPUT',
      issues: [{ path: 'events[1].eventType', message: expect.stringContaining('"account-opened"') }],
    });
    const wrong = await refusal(bank.appendIf([deposit(0), { eventType: 'account-opened', payload: { accountId: 7 } } as never], {}, null));
    expect(wrong.code).toBe('INVALID_INPUT');
    expect(wrong.issues?.map((i) => i.path)).toEqual(
      expect.arrayContaining(['events[0].payload.amount', 'events[1].payload.accountId', 'events[1].payload.owner']),
    );
    expect(wrong.issues?.find((i) => i.path === 'events[0].payload.amount')?.message).toMatch(/must be a positive number/);
    expect((await refusal(bank.append('x' as never))).issues).toEqual([{ path: 'events', message: 'must be an array of events' }]);
    expect(store.log).toEqual([]);
  });

  it('scopes queries to the catalog: no filter, or a filter without eventTypes, means the catalog types', async () => {
    const store = new ArrayStore();
    await store.append([{ eventType: 'other', payload: { accountId: 'a1' } }]);
    const bank = typedStore(asStore(store), Bank);
    await bank.append([opened, deposit(5)]);
    const seqs = async (query: Parameters<typeof bank.query>[0]) =>
      (await bank.query(query)).eventRecords.map((r) => Number(r.sequenceNumber));
    expect(await seqs({})).toEqual([2, 3]);
    expect(await seqs({ filters: [] })).toEqual([2, 3]);
    expect(await seqs({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] })).toEqual([2, 3]);
    expect(await seqs({ filters: [{ eventTypes: ['account-opened'] }, { payloadPredicates: [{ amount: 5 }] }] })).toEqual([2, 3]);
    expect((await bank.query({})).currentContextVersion).toBe(3n);
    // a context of the view is scoped too: the other type does not count
    await expect(bank.appendIf([deposit(1)], { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }, 3n)).resolves.toMatchObject({
      firstSequenceNumber: 4n,
    });
  });

  it('refuses event types outside the catalog in queries and contexts', async () => {
    const store = new ArrayStore();
    const bank = typedStore(asStore(store), Bank);
    const refused = await refusal(bank.query({ filters: [{ eventTypes: ['account-opened', 'other' as never] }] }));
    expect(refused).toEqual({
      code: 'INVALID_INPUT',
      issues: [{ path: 'query.filters[0].eventTypes[1]', message: 'is not an event type of the catalog' }],
    });
    expect((await refusal(bank.appendIf([deposit(1)], { filters: [{ eventTypes: ['x' as never] }] }, null))).issues?.[0]?.path).toBe(
      'contextQuery.filters[0].eventTypes[0]',
    );
    // malformed queries go to the store, which refuses them with its own issues
    expect((await refusal(bank.query({ filters: [{ eventType: 'x' } as never] }))).code).toBe('INVALID_INPUT');
    expect(store.log).toEqual([]);
    expect(store.reads).toBe(1);
  });

  it('streams over the catalog types', async () => {
    const store = new ArrayStore();
    const bank = typedStore(asStore(store), Bank);
    await bank.streamAll(() => {});
    await bank.streamTo({ filters: [{ eventTypes: ['money-deposited'] }] }, () => {});
    await bank.streamAllDurable('all', () => {});
    await bank.streamToDurable('deposits', { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }, () => {});
    expect(store.streams.map((s) => [s.name, s.query])).toEqual([
      [undefined, { filters: [{ eventTypes: all }] }],
      [undefined, { filters: [{ eventTypes: ['money-deposited'] }] }],
      ['all', { filters: [{ eventTypes: all }] }],
      ['deposits', { filters: [{ payloadPredicates: [{ accountId: 'a1' }], eventTypes: all }] }],
    ]);
  });

  it('decides with typed records and checks the decided events on every attempt', async () => {
    const store = new ArrayStore();
    const bank = typedStore(asStore(store), Bank);
    await bank.append([opened, deposit(30)]);
    const outcome = await bank.decide({
      query: { filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] },
      initial: { open: false, balance: 0 },
      evolve: (state, record) =>
        record.eventType === 'account-opened' ? { ...state, open: true } : { ...state, balance: state.balance + record.payload.amount },
      decide: (state) => (state.open ? [deposit(state.balance)] : []),
    });
    expect(outcome).toMatchObject({ state: { open: true, balance: 30 }, attempts: 1, result: { firstSequenceNumber: 3n } });
    const bad = await refusal(
      bank.decide({
        query: {},
        initial: 0,
        evolve: (n) => n,
        decide: () => [{ eventType: 'money-deposited', payload: { accountId: 'a1', amount: -1 } }],
      }),
    );
    expect(bad).toEqual({ code: 'INVALID_INPUT', issues: [{ path: 'decision.decide[0].payload.amount', message: expect.any(String) }] });
    const unknownType = await refusal(
      bank.decide({ query: { filters: [{ eventTypes: ['nope' as never] }] }, initial: 0, evolve: (n) => n, decide: () => [] }),
    );
    expect(unknownType.issues?.[0]?.path).toBe('decision.query.filters[0].eventTypes[0]');
    expect((await refusal(bank.decide({ initial: 0 } as never))).code).toBe('INVALID_INPUT');
    expect(store.log).toHaveLength(3);
  });

  it('refuses what is not a store or a catalog', () => {
    expect(() => typedStore(null as never, Bank)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', issues: [{ path: 'store', message: expect.any(String) }] }),
    );
    expect(() => typedStore(asStore(new ArrayStore()), {} as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
