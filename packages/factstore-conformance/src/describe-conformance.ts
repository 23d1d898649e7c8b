import type { CreateStore, ConformanceCase } from './conformance-case.js';
import { conformanceCases } from './cases/index.js';

/** The part of a test runner the suite needs: Jest, Vitest and `node:test` all have it. */
export interface TestApi {
  describe(name: string, fn: () => void): unknown;
  it(name: string, fn: () => Promise<void>, timeout?: number): unknown;
}

/** Options of {@link describeFactStoreConformance}. */
export interface ConformanceOptions {
  /** The runner's `describe` and `it`. Default: the globals (Jest, Vitest with globals). */
  api?: TestApi;
  /** Case ids (`group/name`) or whole groups (`group`) to leave out, each with a reason in your own code. */
  skip?: readonly string[];
  /** Time limit of one case in ms (default 30 000). */
  timeoutMs?: number;
}

/**
 * Runs one case against a fresh store from `createStore`, closing it afterwards.
 * Use it to drive the cases from a runner this package does not know.
 */
export async function runConformanceCase(testCase: ConformanceCase, createStore: CreateStore): Promise<void> {
  const store = await createStore();
  try {
    await testCase.run({ store, createStore });
  } finally {
    await store.close();
  }
}

/**
 * Registers every conformance case as a test, one `describe` per group, under `name`.
 *
 * @example
 * ```ts
 * // Jest or Vitest (globals)
 * describeFactStoreConformance('MyStore', () => MyStore.open(tmpFile()));
 * // node:test
 * import { describe, it } from 'node:test';
 * describeFactStoreConformance('MyStore', () => MyStore.open(tmpFile()), { api: { describe, it } });
 * ```
 */
export function describeFactStoreConformance(name: string, createStore: CreateStore, options: ConformanceOptions = {}): void {
  const api = options.api ?? globalApi();
  const skip = new Set(options.skip ?? []);
  const timeout = options.timeoutMs ?? 30_000;
  const groups = new Map<string, ConformanceCase[]>();
  for (const testCase of conformanceCases) {
    if (skip.has(testCase.id) || skip.has(testCase.group)) continue;
    const list = groups.get(testCase.group) ?? [];
    list.push(testCase);
    groups.set(testCase.group, list);
  }
  api.describe(`${name} conformance`, () => {
    for (const [group, cases] of groups) {
      api.describe(group, () => {
        for (const testCase of cases) {
          api.it(`${testCase.id}: ${testCase.title}`, () => runConformanceCase(testCase, createStore), timeout);
        }
      });
    }
  });
}

function globalApi(): TestApi {
  const g = globalThis as Partial<TestApi>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') {
    throw new Error('describeFactStoreConformance: no global describe/it; pass { api: { describe, it } } from your test runner');
  }
  return { describe: g.describe, it: g.it };
}
