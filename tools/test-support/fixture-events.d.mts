import type { EventStore } from 'factstore';

/** What a store holds, as plain JSON: every record, the batch boundaries and where the cursor `balances` resumes. */
export interface FixtureContents {
  records: { sequenceNumber: string; occurredAt: string; eventType: string; payload: unknown }[];
  batches: [string, string][];
  balancesResumesWith: string[];
}

/** Writes the fixture's facts into an empty store. */
export function fixtureEvents(store: EventStore): Promise<void>;
/** Reads a store back as {@link FixtureContents} (moves the cursor `balances`: read from a copy). */
export function readBack(store: EventStore): Promise<FixtureContents>;
