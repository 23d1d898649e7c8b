import { type EventRecord, type JsonValue } from 'factstore';
import { assembleBatches, freezeJson, type CommittedBatch } from 'factstore/backend';

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
    payload: freezeJson(JSON.parse(row.payload) as JsonValue),
  });
}

/** Batches from the `batches` ranges and the ascending rows that cover them. */
export function toBatches(ranges: readonly { first_seq: number; last_seq: number }[], rows: readonly EventRow[]): CommittedBatch[] {
  return assembleBatches(
    ranges.map((r) => ({ first: BigInt(r.first_seq), last: BigInt(r.last_seq) })),
    rows.map(toRecord),
  );
}
