import type { EventStore } from 'factstore';
import { conformanceCases, describeFactStoreConformance, runConformanceCase, type TestApi } from '../src/index.js';

/** A runner that records what the suite registers instead of running it. */
function recordingApi() {
  const names: string[] = [];
  const tests: { name: string; fn: () => Promise<void>; timeout?: number }[] = [];
  const api: TestApi = {
    describe: (name, fn) => {
      names.push(name);
      fn();
    },
    it: (name, fn, timeout) => {
      tests.push({ name, fn, timeout });
    },
  };
  return { api, names, tests };
}

const closable = () => {
  const store = { closed: 0, close: async () => void store.closed++ };
  return store;
};

describe('describeFactStoreConformance', () => {
  it('registers every case once, one describe per group, with the timeout', () => {
    const { api, names, tests } = recordingApi();
    describeFactStoreConformance('Fake', () => closable() as unknown as EventStore, { api, timeoutMs: 1234 });
    expect(tests).toHaveLength(conformanceCases.length);
    expect(new Set(tests.map((t) => t.name)).size).toBe(conformanceCases.length);
    expect(tests.every((t) => t.timeout === 1234)).toBe(true);
    expect(names[0]).toBe('Fake conformance');
    expect(names.slice(1).sort()).toEqual([...new Set(conformanceCases.map((c) => c.group))].sort());
  });

  it('skips single cases and whole groups', () => {
    const { api, tests } = recordingApi();
    const one = conformanceCases[0]!.id;
    describeFactStoreConformance('Fake', () => closable() as unknown as EventStore, { api, skip: [one, 'close'] });
    const ids = tests.map((t) => t.name.split(':')[0]);
    expect(ids).not.toContain(one);
    expect(ids.some((id) => id?.startsWith('close/'))).toBe(false);
    expect(tests.length).toBe(conformanceCases.filter((c) => c.id !== one && c.group !== 'close').length);
  });

  it('covers the scenario groups of the contract', () => {
    const groups = new Set(conformanceCases.map((c) => c.group));
    for (const group of [
      'append',
      'query',
      'conditional-append',
      'payload-predicates',
      'live-streams',
      'unsubscribe',
      'durable-streams',
      'errors',
      'input-rules',
      'close',
    ]) {
      expect(groups).toContain(group);
    }
    expect(new Set(conformanceCases.map((c) => c.id)).size).toBe(conformanceCases.length);
  });

  it('without globals or api it says what to pass', () => {
    const saved = { describe: globalThis.describe, it: globalThis.it };
    try {
      (globalThis as Record<string, unknown>).describe = undefined;
      expect(() => describeFactStoreConformance('Fake', () => closable() as unknown as EventStore)).toThrow(/pass \{ api/);
    } finally {
      (globalThis as Record<string, unknown>).describe = saved.describe;
    }
  });
});

describe('runConformanceCase', () => {
  it('closes the store when the case fails, and reports the failure', async () => {
    const store = closable();
    const failing = { id: 'x/y', group: 'x', title: 't', run: async () => Promise.reject(new Error('broken store')) };
    await expect(runConformanceCase(failing, () => store as unknown as EventStore)).rejects.toThrow('broken store');
    expect(store.closed).toBe(1);
  });

  it('a store that breaks the contract fails the case', async () => {
    const liar = {
      ...closable(),
      append: async () => ({ firstSequenceNumber: 2n, lastSequenceNumber: 3n, committedCount: 2 }),
    };
    const testCase = conformanceCases.find((c) => c.id === 'append/consecutive-global-positions')!;
    await expect(runConformanceCase(testCase, () => liar as unknown as EventStore)).rejects.toThrow();
  });
});
