// Type tests of the typed view, compile-only: `tsc -p tsconfig.json` (the package's typecheck)
// checks them; every `@ts-expect-error` must meet an error, or the typecheck fails. Jest does not
// run this file (it matches *.test.ts only). Neither expect-type nor tsd is in the lockfile.
import { Type } from '@sinclair/typebox';
import {
  defineEvents,
  typedStore,
  type CatalogEvent,
  type CatalogEventType,
  type CatalogRecord,
  type EventRecord,
  type EventStore,
  type TypedEventQuery,
} from '../src/index.js';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectTrue<T extends true>(_proof?: T): void {}
function expectType<T>(_value: T): void {}

const Bank = defineEvents({
  'account-opened': Type.Object({ accountId: Type.String(), owner: Type.String() }),
  'money-deposited': Type.Object({ accountId: Type.String(), amount: Type.Number() }),
  'money-withdrawn': Type.Object({ accountId: Type.String(), amount: Type.Number() }),
});
type Bank = typeof Bank;

declare const store: EventStore;
const bank = typedStore(store, Bank);

export async function typed(): Promise<void> {
  // the catalog's types
  expectTrue<Equal<CatalogEventType<Bank>, 'account-opened' | 'money-deposited' | 'money-withdrawn'>>();
  expectTrue<
    Equal<CatalogEvent<Bank, 'money-deposited'>, { eventType: 'money-deposited'; payload: { accountId: string; amount: number } }>
  >();

  // appends: known types with their payloads
  await bank.append([
    { eventType: 'account-opened', payload: { accountId: 'a1', owner: 'Ada' } },
    { eventType: 'money-deposited', payload: { accountId: 'a1', amount: 5 } },
  ]);
  // @ts-expect-error an event type the catalog does not have
  await bank.append([{ eventType: 'account-closed', payload: { accountId: 'a1' } }]);
  // @ts-expect-error a payload that breaks its schema (amount is a number)
  await bank.append([{ eventType: 'money-deposited', payload: { accountId: 'a1', amount: '5' } }]);
  // @ts-expect-error a payload missing a key
  await bank.appendIf([{ eventType: 'account-opened', payload: { accountId: 'a1' } }], {}, null);
  // @ts-expect-error the payload of another type
  await bank.append([{ eventType: 'account-opened', payload: { accountId: 'a1', amount: 5 } }]);

  // queries: eventTypes only from the catalog
  // @ts-expect-error an event type the catalog does not have
  await bank.query({ filters: [{ eventTypes: ['account-closed'] }] });
  const credit = [{ eventType: 'money-deposited', payload: { accountId: 'a1', amount: 1 } }] as const;
  // @ts-expect-error a context with an unknown type
  await bank.appendIf(credit, { filters: [{ eventTypes: ['nope'] }] }, null);

  // records narrow by eventType, with no casts
  const all = await bank.query({});
  for (const record of all.eventRecords) {
    expectType<bigint>(record.sequenceNumber);
    if (record.eventType === 'account-opened') expectType<string>(record.payload.owner);
    else expectType<number>(record.payload.amount);
    // @ts-expect-error owner exists only on account-opened
    void record.payload.owner;
  }

  // a query's event types narrow its records
  const deposits = await bank.query({ filters: [{ eventTypes: ['money-deposited'], payloadPredicates: [{ accountId: 'a1' }] }] });
  expectTrue<Equal<(typeof deposits.eventRecords)[number], CatalogRecord<Bank, 'money-deposited'>>>();
  expectType<number>(deposits.eventRecords[0]!.payload.amount);
  const _moves = await bank.query({ filters: [{ eventTypes: ['money-deposited'] }, { eventTypes: ['money-withdrawn'] }] });
  expectTrue<Equal<(typeof _moves.eventRecords)[number]['eventType'], 'money-deposited' | 'money-withdrawn'>>();
  // a filter without eventTypes: every type of the catalog
  const _mixed = await bank.query({ filters: [{ eventTypes: ['money-deposited'] }, { payloadPredicates: [{ accountId: 'a1' }] }] });
  expectTrue<Equal<(typeof _mixed.eventRecords)[number], CatalogRecord<Bank>>>();
  // a query held in a variable of the wide type: every type
  const _held: TypedEventQuery<CatalogEventType<Bank>> = { filters: [{ eventTypes: ['account-opened'] }] };
  expectTrue<Equal<Awaited<ReturnType<typeof bank.query<typeof _held>>>['eventRecords'][number], CatalogRecord<Bank>>>();

  // streams deliver typed records
  await bank.streamAll((batch) => {
    for (const record of batch) if (record.eventType === 'account-opened') expectType<string>(record.payload.owner);
  });
  await bank.streamTo({ filters: [{ eventTypes: ['money-withdrawn'] }] }, (batch) => {
    for (const record of batch) expectType<number>(record.payload.amount);
  });
  await bank.streamToDurable(
    'balances',
    { filters: [{ eventTypes: ['money-deposited', 'money-withdrawn'] }] },
    (_batch) => {
      expectTrue<Equal<(typeof _batch)[number]['eventType'], 'money-deposited' | 'money-withdrawn'>>();
    },
    { onError: (_error, batch) => expectType<readonly CatalogRecord<Bank, 'money-deposited' | 'money-withdrawn'>[]>(batch) },
  );
  // @ts-expect-error a handler that expects another record type
  await bank.streamAllDurable('all', (batch: readonly { eventType: 'other'; payload: null }[]) => void batch);

  // decide: evolve sees the query's types, decide returns the catalog's events
  const outcome = await bank.decide({
    query: { filters: [{ eventTypes: ['money-deposited', 'money-withdrawn'], payloadPredicates: [{ accountId: 'a1' }] }] },
    initial: 0,
    evolve: (balance, record) =>
      record.eventType === 'money-deposited' ? balance + record.payload.amount : balance - record.payload.amount,
    decide: (balance) => (balance >= 10 ? [{ eventType: 'money-withdrawn', payload: { accountId: 'a1', amount: 10 } }] : []),
  });
  expectType<number>(outcome.state);
  expectTrue<Equal<(typeof outcome.events)[number], CatalogEvent<Bank>>>();
  await bank.decide({
    query: { filters: [{ eventTypes: ['money-deposited'] }] },
    initial: 0,
    evolve: (sum, record) => sum + record.payload.amount,
    // @ts-expect-error decide returns an event the catalog does not have
    decide: () => [{ eventType: 'money-lost', payload: {} }],
  });
  await bank.decide({
    query: { filters: [{ eventTypes: ['account-opened'] }] },
    initial: 0,
    // @ts-expect-error account-opened has no amount
    evolve: (sum, record) => sum + record.payload.amount,
    decide: () => [],
  });

  // the view's records are still EventRecords where one is wanted
  const plain: readonly EventRecord[] = all.eventRecords;
  void plain;
}
