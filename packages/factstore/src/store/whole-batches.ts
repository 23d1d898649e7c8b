import type { EventRecord } from '../event.js';
import type { CommittedBatch } from './backend.js';
import { assembleBatches } from './batches.js';

/** One committed batch's range, as a store keeps it. */
export interface BatchRange {
  readonly first: bigint;
  readonly last: bigint;
}

/** What {@link readWholeBatches} reads, from one snapshot of a store's log. */
export interface BatchSource {
  /** The ranges of the batches whose first position is above `after`, ascending, at most `limit`. */
  ranges(after: bigint, limit: number): Promise<BatchRange[]>;
  /** The last committed position, `0n` for an empty log. */
  head(): Promise<bigint>;
  /** The records from `first` to `last`, ascending. */
  records(first: bigint, last: bigint): Promise<EventRecord[]>;
}

/**
 * `StoreBackend.readBatches` for a store that keeps batch ranges beside its events: whole batches
 * after `after`, about `maxEvents` events in all but at least one batch, read from `source` (one
 * snapshot). Checks that the batches continue the log at `after + 1` and that each is whole, so
 * that a missing batch row or event is an error and never a silent gap.
 * @throws Error when the batch history is missing, not contiguous, or a batch is not whole
 */
export async function readWholeBatches(after: bigint, maxEvents: number, source: BatchSource): Promise<CommittedBatch[]> {
  const ranges = await source.ranges(after, maxEvents);
  const first = ranges[0];
  if (first === undefined) {
    const head = await source.head();
    if (head > after) throw new Error(`no batch after ${after} although the log goes up to ${head}: batch history is missing`);
    return [];
  }
  if (first.first !== after + 1n) throw new Error(`the batch after ${after} starts at ${first.first}: batch history is not contiguous`);
  let events = 0n;
  let take = 0;
  while (take < ranges.length && (take === 0 || events < BigInt(maxEvents))) {
    const range = ranges[take++] as BatchRange;
    events += range.last - range.first + 1n;
  }
  const used = ranges.slice(0, take);
  return assembleBatches(used, await source.records(first.first, (used[used.length - 1] as BatchRange).last));
}

/** A batch's range and the identity stored with it (its idempotency key or the store's identity of the append). */
export interface IdentifiedRange extends BatchRange {
  readonly identity: string;
}

/**
 * The committed batches, with their records, of those `identities` that are in the log, read
 * from one snapshot: what `decideGroup` needs for idempotency keys, and what a store's `landed`
 * check after a failed commit answers.
 */
export async function readCommittedBatches(
  identities: readonly string[],
  source: {
    /** The ranges of the batches stored with one of `identities`. */
    ranges(identities: readonly string[]): Promise<IdentifiedRange[]>;
    /** The records from `first` to `last`, ascending. */
    records: BatchSource['records'];
  },
): Promise<Map<string, CommittedBatch>> {
  const found = new Map<string, CommittedBatch>();
  if (identities.length === 0) return found;
  for (const { first, last, identity } of await source.ranges(identities)) {
    found.set(identity, { firstSequenceNumber: first, lastSequenceNumber: last, records: await source.records(first, last) });
  }
  return found;
}
