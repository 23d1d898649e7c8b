import type { EventRecord } from '../event.js';
import type { JsonValue } from '../json.js';
import type { CommittedBatch } from './backend.js';

/** Deep-freezes a JSON value read back from storage, so that readers sharing it cannot change it. */
export function freezeJson<T extends JsonValue>(value: T): T {
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value)) for (const item of value) freezeJson(item);
    else for (const key in value) freezeJson(value[key] as JsonValue);
    Object.freeze(value);
  }
  return value;
}

/**
 * Groups ascending records into the committed batches given by their ranges (ascending), checking
 * that every batch is whole: a store reads batch ranges and events separately, and a batch with a
 * missing record must never be delivered.
 * @throws Error when a range is not covered exactly by the records
 */
export function assembleBatches(
  ranges: readonly { readonly first: bigint; readonly last: bigint }[],
  records: readonly EventRecord[],
): CommittedBatch[] {
  const out: CommittedBatch[] = [];
  let at = 0;
  for (const { first, last } of ranges) {
    const start = at;
    while (at < records.length && (records[at] as EventRecord).sequenceNumber <= last) at++;
    const batch = records.slice(start, at);
    if (BigInt(batch.length) !== last - first + 1n || batch[0]?.sequenceNumber !== first) {
      throw new Error(`batch ${first}..${last} is not whole in the events table`);
    }
    out.push({ firstSequenceNumber: first, lastSequenceNumber: last, records: batch });
  }
  return out;
}
