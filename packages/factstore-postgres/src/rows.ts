import type { CommittedBatch, EventRecord, JsonValue } from 'factstore';

/** An `events` row as postgres.js returns it (`seq` is a bigint, or a string without the bigint type). */
export interface EventRow {
  seq: bigint | string | number;
  occurred_at: Date;
  event_type: string;
  payload: unknown;
}

/** A frozen record from a row; the payload is deep-frozen. */
export function toRecord(row: EventRow): EventRecord {
  return Object.freeze({
    sequenceNumber: BigInt(row.seq),
    occurredAt: row.occurred_at,
    eventType: row.event_type,
    payload: deepFreeze(row.payload as JsonValue),
  });
}

/** Batches from ascending rows and the ascending batch ranges that cover them exactly. */
export function toBatches(ranges: readonly { first_seq: bigint; last_seq: bigint }[], rows: readonly EventRow[]): CommittedBatch[] {
  const out: CommittedBatch[] = [];
  let at = 0;
  for (const range of ranges) {
    const first = BigInt(range.first_seq);
    const last = BigInt(range.last_seq);
    const records: EventRecord[] = [];
    while (at < rows.length && BigInt((rows[at] as EventRow).seq) <= last) records.push(toRecord(rows[at++] as EventRow));
    if (BigInt(records.length) !== last - first + 1n || records[0]?.sequenceNumber !== first) {
      throw new Error(`batch ${first}..${last} is not whole in the events table`);
    }
    out.push({ firstSequenceNumber: first, lastSequenceNumber: last, records });
  }
  return out;
}

function deepFreeze(value: JsonValue): JsonValue {
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value)) for (const item of value) deepFreeze(item);
    else for (const key in value) deepFreeze(value[key] as JsonValue);
    Object.freeze(value);
  }
  return value;
}
