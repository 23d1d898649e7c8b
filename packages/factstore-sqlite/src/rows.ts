import type { CommittedBatch, EventRecord, JsonValue } from 'factstore';

/** An `events` row as read. */
export interface EventRow {
  seq: number;
  occurred_at: number;
  event_type: string;
  payload: string;
}

/** A frozen record from a row; its payload is parsed and deep-frozen. */
export function toRecord(row: EventRow): EventRecord {
  return Object.freeze({
    sequenceNumber: BigInt(row.seq),
    occurredAt: new Date(row.occurred_at),
    eventType: row.event_type,
    payload: deepFreeze(JSON.parse(row.payload) as JsonValue),
  });
}

/** Batches from ascending rows and the ascending batch ranges that cover them exactly. */
export function toBatches(ranges: readonly { first_seq: number; last_seq: number }[], rows: readonly EventRow[]): CommittedBatch[] {
  const out: CommittedBatch[] = [];
  let at = 0;
  for (const range of ranges) {
    const records: EventRecord[] = [];
    while (at < rows.length && (rows[at] as EventRow).seq <= range.last_seq) records.push(toRecord(rows[at++] as EventRow));
    if (records.length !== range.last_seq - range.first_seq + 1 || Number(records[0]?.sequenceNumber) !== range.first_seq) {
      throw new Error(`batch ${range.first_seq}..${range.last_seq} is not whole in the events table`);
    }
    out.push({ firstSequenceNumber: BigInt(range.first_seq), lastSequenceNumber: BigInt(range.last_seq), records });
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
