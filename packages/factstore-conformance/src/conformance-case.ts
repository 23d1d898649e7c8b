import type { EventStore } from 'factstore';

/** Creates a fresh, empty, isolated store (a new schema, a new file, a new instance). */
export type CreateStore = () => EventStore | Promise<EventStore>;

/** What a case receives: a fresh store, and the factory for cases that need another one. */
export interface CaseContext {
  /** A fresh, empty store; the runner closes it after the case. */
  readonly store: EventStore;
  /** The factory the suite was given. Stores it creates must be closed by the case. */
  readonly createStore: CreateStore;
}

/** One behaviour of the contract as a runnable check, independent of any test runner. */
export interface ConformanceCase {
  /** Stable id, `group/name`; use it to skip a case. */
  readonly id: string;
  /** The group the case belongs to (`append`, `query`, `durable-streams`, …). */
  readonly group: string;
  /** What the case proves, in words. */
  readonly title: string;
  /** Runs the case; throws (an assertion error) when the store breaks the contract. */
  run(context: CaseContext): Promise<void>;
}

/** Declares the cases of one group. */
export function defineCases(
  group: string,
  cases: Record<string, { title: string; run: (context: CaseContext) => Promise<void> }>,
): ConformanceCase[] {
  return Object.entries(cases).map(([name, c]) => ({ id: `${group}/${name}`, group, title: c.title, run: c.run }));
}
