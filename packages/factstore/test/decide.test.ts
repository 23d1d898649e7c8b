import { decide } from '../src/index.js';
import { ArrayStore, asStore } from './array-store.js';

const counter = (id: string) => ({
  query: { filters: [{ eventTypes: ['incremented'], payloadPredicates: [{ id }] }] },
  initial: 0,
  evolve: (count: number) => count + 1,
  decide: (count: number) => [{ eventType: 'incremented', payload: { id, after: count + 1 } }],
});

describe('decide on a store not built on EventStoreBase', () => {
  it('runs concurrent decisions on one context one after another: one attempt each, no conflict', async () => {
    const store = new ArrayStore();
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => decide(asStore(store), counter('c'))));
    expect(outcomes.map((o) => o.attempts)).toEqual(Array(30).fill(1));
    expect(outcomes.map((o) => o.state).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(store.conflicts).toBe(0);
    expect(store.log.map((r) => (r.payload as { after: number }).after)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('treats the same filters written another way as the same context', async () => {
    const store = new ArrayStore();
    const reordered = { filters: [{ payloadPredicates: [{ id: 'c' }], eventTypes: ['incremented', 'incremented'] }], minSequenceNumber: 0 };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => decide(asStore(store), i % 2 ? counter('c') : { ...counter('c'), query: reordered })),
    );
    expect(outcomes.every((o) => o.attempts === 1)).toBe(true);
    expect(store.conflicts).toBe(0);
  });

  it('retries a conflict from outside on a fresh read, and gives up after maxAttempts with the last conflict', async () => {
    const store = new ArrayStore();
    let sneaks = 0;
    const outcome = await decide(asStore(store), {
      ...counter('c'),
      decide: (count) => {
        if (sneaks++ < 2)
          store.log.push({
            eventType: 'incremented',
            payload: { id: 'c' },
            sequenceNumber: BigInt(store.log.length + 1),
            occurredAt: new Date(),
          });
        return [{ eventType: 'incremented', payload: { id: 'c', after: count + 1 } }];
      },
    });
    expect(outcome.attempts).toBe(3);
    expect(outcome.state).toBe(2);
    const error = await decide(asStore(store), {
      ...counter('c'),
      maxAttempts: 2,
      decide: () => {
        store.log.push({
          eventType: 'incremented',
          payload: { id: 'c' },
          sequenceNumber: BigInt(store.log.length + 1),
          occurredAt: new Date(),
        });
        return [{ eventType: 'incremented', payload: { id: 'c' } }];
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONDITIONAL_APPEND_CONFLICT', expected: 4n, actual: 5n });
    expect(store.reads).toBe(5);
  });

  it('lets a failed decision not block the next one on its context', async () => {
    const store = new ArrayStore();
    const failing = decide(asStore(store), {
      ...counter('c'),
      decide: () => {
        throw new Error('refused');
      },
    });
    const next = decide(asStore(store), counter('c'));
    await expect(failing).rejects.toThrow('refused');
    await expect(next).resolves.toMatchObject({ attempts: 1, state: 0 });
  });
});

describe('decide input', () => {
  const store = new ArrayStore();
  const bad = async (decision: unknown, path: string) => {
    const error = await decide(asStore(store), decision as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(path);
  };

  it('refuses a bad decision before reading anything', async () => {
    await bad(undefined, 'decision');
    await bad({ ...counter('c'), query: undefined }, 'decision.query');
    await bad({ ...counter('c'), query: { filters: [{ eventType: 'x' }] } }, 'decision.query.filters[0].eventType');
    await bad({ ...counter('c'), query: { limit: 3 } }, 'decision.query.limit');
    await bad({ ...counter('c'), evolve: 'no' }, 'decision.evolve');
    await bad({ ...counter('c'), decide: undefined }, 'decision.decide');
    await bad({ ...counter('c'), maxAttempts: 0 }, 'decision.maxAttempts');
    await bad({ ...counter('c'), maxAttempts: 1.5 }, 'decision.maxAttempts');
    await bad({ ...counter('c'), idempotencyKey: '' }, 'decision.idempotencyKey');
    await bad({ ...counter('c'), idempotencyKey: 'a\u0000' }, 'decision.idempotencyKey');
    await bad({ ...counter('c'), inital: 0 }, 'decision.inital');
    expect(store.reads).toBe(0);
  });

  it('refuses something that is not a store', async () => {
    const error = await decide(null as never, counter('c')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', issues: [{ path: 'store' }] });
  });
});
