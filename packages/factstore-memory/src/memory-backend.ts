import {
  ConditionalAppendConflictError,
  DurableStreamActiveError,
  DurableStreamQueryMismatchError,
  type EventRecord,
  type QueryResult,
} from 'factstore';
import {
  answerIndexed,
  compileMatcher,
  indexedContextVersion,
  replayCommitted,
  type AppendCondition,
  type CommittedBatch,
  type MaintenanceBackend,
  type StorageFacts,
  type StoreBackend,
  type StoredBatch,
  type StoredBatchRow,
  type StoredCursor,
  type ValidEvent,
  type ValidQuery,
} from 'factstore/backend';
import { EventLog } from './event-log.js';

interface Cursor {
  readonly query: string;
  position: bigint;
}

/**
 * Storage for {@link MemoryStore}: the log, its indexes and the durable cursors, all in this
 * process's memory. Everything happens synchronously, so every call is atomic by construction.
 */
export class MemoryBackend implements StoreBackend, MaintenanceBackend {
  private readonly log = new EventLog();
  private readonly cursors = new Map<string, Cursor>();
  /** The holder of each active durable name. */
  private readonly holders = new Map<string, string>();
  /** The batch each idempotency key names. */
  private readonly keys = new Map<string, CommittedBatch>();
  /** The idempotency key of each keyed batch, by its first position. */
  private readonly keyOf = new Map<number, string>();

  async append(events: readonly ValidEvent[], condition?: AppendCondition, idempotencyKey?: string): Promise<CommittedBatch> {
    const committed = idempotencyKey === undefined ? undefined : this.keys.get(idempotencyKey);
    if (committed) return replayCommitted(committed, events, idempotencyKey as string);
    if (condition) {
      this.log.indexKeys(condition.query);
      const actual = indexedContextVersion(this.log, condition.query, compileMatcher(condition.query));
      const version = actual === 0 ? null : BigInt(actual);
      if (version !== condition.expectedVersion)
        throw new ConditionalAppendConflictError(condition.expectedVersion, version, condition.query);
    }
    const batch = this.log.append(events);
    if (idempotencyKey !== undefined) this.remember(idempotencyKey, batch);
    return batch;
  }

  async query(query: ValidQuery): Promise<QueryResult> {
    this.log.indexKeys(query);
    return answerIndexed(this.log, query, compileMatcher(query));
  }

  async readBatches(after: bigint, maxEvents: number): Promise<CommittedBatch[]> {
    return this.log.batchesAfter(Number(after), maxEvents);
  }

  async head(): Promise<bigint> {
    return BigInt(this.log.head);
  }

  async claimDurable(name: string, canonicalQuery: string, holder: string): Promise<bigint> {
    const current = this.holders.get(name);
    if (current !== undefined && current !== holder) throw new DurableStreamActiveError(name);
    let cursor = this.cursors.get(name);
    if (cursor && cursor.query !== canonicalQuery) throw new DurableStreamQueryMismatchError(name, cursor.query, canonicalQuery);
    if (!cursor) this.cursors.set(name, (cursor = { query: canonicalQuery, position: 0n }));
    this.holders.set(name, holder);
    return cursor.position;
  }

  async renewLeases(holder: string, names: readonly string[]): Promise<readonly string[]> {
    // a lease in memory lives as long as the store: there is no other process to pass it to
    return names.filter((name) => this.holders.get(name) === holder);
  }

  async saveCursor(name: string, position: bigint, holder: string): Promise<boolean> {
    const cursor = this.cursors.get(name);
    if (!cursor || this.holders.get(name) !== holder) return false;
    cursor.position = position;
    return true;
  }

  async releaseDurable(name: string, holder: string): Promise<void> {
    if (this.holders.get(name) === holder) this.holders.delete(name);
  }

  async readCursor(name: string): Promise<bigint | null> {
    return this.cursors.get(name)?.position ?? null;
  }

  async close(): Promise<void> {}

  async inspect(): Promise<StorageFacts> {
    return {
      formatVersion: 1,
      supportedFormat: 1,
      eventCount: BigInt(this.log.head),
      batchCount: BigInt(this.log.batchCount),
      eventTypes: this.log.index
        .typeCounts()
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([eventType, count]) => ({ eventType, count: BigInt(count) })),
      cursors: [...this.cursors]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, { query, position }]) => {
          const holder = this.holders.get(name) ?? null;
          return { name, query, position, holder, leased: holder !== null };
        }),
    };
  }

  async scanEvents(after: bigint, limit: number): Promise<EventRecord[]> {
    const from = Math.min(Number(after), this.log.head);
    return this.log.records.slice(from, from + limit);
  }

  async scanBatches(after: bigint, limit: number): Promise<StoredBatchRow[]> {
    return this.log.rangesAfter(Number(after), limit).map(({ first, last }) => {
      const key = this.keyOf.get(first);
      return { first: BigInt(first), last: BigInt(last), ...(key === undefined ? {} : { idempotencyKey: key }) };
    });
  }

  async importBatches(batches: readonly StoredBatch[]): Promise<boolean> {
    if (batches[0]?.firstSequenceNumber !== BigInt(this.log.head) + 1n) return false;
    this.log.appendStored(batches);
    for (const batch of batches) {
      if (batch.idempotencyKey !== undefined) this.remember(batch.idempotencyKey, batch);
    }
    return true;
  }

  async importCursors(cursors: readonly StoredCursor[]): Promise<boolean> {
    if (this.cursors.size > 0) return false;
    for (const { name, query, position } of cursors) this.cursors.set(name, { query, position });
    return true;
  }

  private remember(key: string, batch: CommittedBatch): void {
    this.keys.set(key, batch);
    this.keyOf.set(Number(batch.firstSequenceNumber), key);
  }
}
