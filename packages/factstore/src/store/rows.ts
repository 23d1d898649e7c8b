import type { EventRecord } from '../event.js';
import type { JsonValue } from '../json.js';
import { freezeJson } from './batches.js';

/** An event as a SQL store's driver returns its row. */
export interface EventRow {
  /** The position: a bigint, or a number or decimal text where the driver gives those. */
  readonly seq: bigint | number | string;
  /** The commit time: a `Date`, or milliseconds since the epoch. */
  readonly occurred_at: Date | number;
  readonly event_type: string;
  /** The payload as the driver returns it: JSON text or an already parsed value (see `decode`). */
  readonly payload: unknown;
}

/**
 * A frozen record from a row, its payload deep-frozen.
 * @param decode turns the stored payload into its JSON value (`JSON.parse` for JSON text);
 *   without it the payload is taken as already parsed
 */
export function rowToRecord(row: EventRow, decode?: (payload: never) => JsonValue): EventRecord {
  return Object.freeze({
    sequenceNumber: BigInt(row.seq),
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at),
    eventType: row.event_type,
    payload: freezeJson(decode ? decode(row.payload as never) : (row.payload as JsonValue)),
  });
}
