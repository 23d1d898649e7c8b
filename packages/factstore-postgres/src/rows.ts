import { type EventRecord, type JsonValue } from 'factstore';
import { assembleBatches, freezeJson, type CommittedBatch } from 'factstore/backend';

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
    payload: freezeJson(row.payload as JsonValue),
  });
}

/** Batches from the `batches` ranges and the ascending rows that cover them. */
export function toBatches(
  ranges: readonly { first_seq: bigint | string; last_seq: bigint | string }[],
  rows: readonly EventRow[],
): CommittedBatch[] {
  return assembleBatches(
    ranges.map((r) => ({ first: BigInt(r.first_seq), last: BigInt(r.last_seq) })),
    rows.map(toRecord),
  );
}
