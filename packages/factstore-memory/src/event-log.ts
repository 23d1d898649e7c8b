import type { EventRecord } from 'factstore';
import {
  firstAfter,
  indexValue,
  PostingIndex,
  predicateKeys,
  type CommittedBatch,
  type IndexedLog,
  type IndexedScalar,
  type ValidEvent,
  type ValidQuery,
} from 'factstore/backend';

/**
 * The in-memory log: every record at index `position - 1`, where each batch starts, and the
 * {@link PostingIndex} over them (event types always; a payload key's values from the first query
 * that names the key, see {@link indexKeys}).
 */
export class EventLog implements IndexedLog {
  /** Every committed record; the record at position p is at index p − 1. */
  readonly records: EventRecord[] = [];
  readonly index = new PostingIndex();
  private readonly batchStarts: number[] = [];

  /** The last committed position, 0 for an empty log. */
  get head(): number {
    return this.records.length;
  }

  /** Commits the events as one batch with the next positions, all with the same commit time. */
  append(events: readonly ValidEvent[]): CommittedBatch {
    const first = this.records.length + 1;
    // one commit time for the batch; records are shared by every reader anyway, so one Date
    // per batch is no less safe than one per record, and allocates far less
    const occurredAt = new Date();
    const batch: EventRecord[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as ValidEvent;
      batch[i] = Object.freeze({
        sequenceNumber: BigInt(first + i),
        occurredAt,
        eventType: event.eventType,
        payload: event.payload,
      });
    }
    for (const record of batch) this.add(record);
    this.batchStarts.push(first);
    return batchOf(first, batch);
  }

  /** The records at `positions`, in that order. */
  at(positions: readonly number[]): EventRecord[] {
    return positions.map((position) => this.records[position - 1] as EventRecord);
  }

  /** The records from `low` to `high`, inclusive. */
  range(low: number, high: number): EventRecord[] {
    return this.records.slice(low - 1, high);
  }

  /**
   * Gives every payload key the query's predicates look up a value index, built by one pass over
   * the log when the key is new (from then on every append keeps it current, and keys nobody
   * queries cost appends nothing).
   */
  indexKeys(query: ValidQuery): void {
    for (const key of predicateKeys(query)) {
      if (this.index.has(key)) continue;
      const values = new Map<IndexedScalar, number[]>();
      for (let i = 0; i < this.records.length; i++) indexValue(values, (this.records[i] as EventRecord).payload, key, i + 1);
      this.index.install(key, values);
    }
  }

  private add(record: EventRecord): void {
    this.records.push(record);
    this.index.add(this.records.length, record.eventType, record.payload);
  }

  /** Appends batches read elsewhere (an import) as they are: their records, positions and times. */
  appendStored(batches: readonly { readonly records: readonly EventRecord[] }[]): void {
    for (const { records } of batches) {
      this.batchStarts.push(this.records.length + 1);
      for (const record of records) this.add(record);
    }
  }

  /** The ranges of the batches starting after `after`, ascending, at most `limit`. */
  rangesAfter(after: number, limit: number): { first: number; last: number }[] {
    const out: { first: number; last: number }[] = [];
    for (let at = firstAfter(this.batchStarts, after); at < this.batchStarts.length && out.length < limit; at++) {
      const first = this.batchStarts[at] as number;
      const next = at + 1 < this.batchStarts.length ? (this.batchStarts[at + 1] as number) : this.records.length + 1;
      out.push({ first, last: next - 1 });
    }
    return out;
  }

  /** How many batches the log holds. */
  get batchCount(): number {
    return this.batchStarts.length;
  }

  /** Whole batches starting after `after`, about `maxEvents` events, at least one batch if any. */
  batchesAfter(after: number, maxEvents: number): CommittedBatch[] {
    const out: CommittedBatch[] = [];
    let at = firstAfter(this.batchStarts, after);
    let events = 0;
    while (at < this.batchStarts.length && (out.length === 0 || events < maxEvents)) {
      const start = this.batchStarts[at] as number;
      const end = at + 1 < this.batchStarts.length ? (this.batchStarts[at + 1] as number) : this.records.length + 1;
      out.push(batchOf(start, this.records.slice(start - 1, end - 1)));
      events += end - start;
      at++;
    }
    return out;
  }
}

function batchOf(first: number, records: readonly EventRecord[]): CommittedBatch {
  return {
    firstSequenceNumber: BigInt(first),
    lastSequenceNumber: BigInt(first + records.length - 1),
    records,
  };
}
