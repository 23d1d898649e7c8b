import {
  ConditionalAppendConflictError,
  type AppendResult,
  type EventQuery,
  type EventRecord,
  type EventStore,
  type EventStream,
  type NewEvent,
  type StreamHandler,
} from '../src/index.js';
import { queryMatches, validateQuery } from '../src/backend.js';

/**
 * A third-party store in a few lines: not built on EventStoreBase, no validation of events, and
 * every read and conditional append awaits a timer, so that concurrent decisions would interleave
 * if decide let them. Streams are only recorded.
 */
export class ArrayStore implements Pick<EventStore, 'query' | 'append' | 'appendIf' | 'streamTo' | 'streamToDurable'> {
  readonly log: EventRecord[] = [];
  /** The streams registered: their name (durable ones), query and handler. */
  readonly streams: { name?: string; query: EventQuery; handler: StreamHandler }[] = [];
  reads = 0;
  conflicts = 0;

  async query(query: EventQuery) {
    this.reads++;
    await tick();
    const valid = validateQuery(query);
    const matching = this.log.filter((r) => queryMatches(valid, r));
    const after = valid.minSequenceNumber ?? 0n;
    const eventRecords = matching.filter((r) => r.sequenceNumber > after);
    return {
      eventRecords,
      lastReturnedSequenceNumber: eventRecords.at(-1)?.sequenceNumber ?? null,
      currentContextVersion: matching.at(-1)?.sequenceNumber ?? null,
    };
  }

  async appendIf(events: readonly NewEvent[], context: EventQuery, expected: bigint | number | null): Promise<AppendResult> {
    await tick();
    const valid = validateQuery(context);
    const actual = this.log.filter((r) => queryMatches(valid, r)).at(-1)?.sequenceNumber ?? null;
    const wanted = expected === null ? null : BigInt(expected);
    if (actual !== wanted) {
      this.conflicts++;
      throw new ConditionalAppendConflictError(wanted, actual);
    }
    return this.append(events);
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult> {
    const first = BigInt(this.log.length + 1);
    for (const e of events) this.log.push({ ...e, sequenceNumber: BigInt(this.log.length + 1), occurredAt: new Date() });
    return { firstSequenceNumber: first, lastSequenceNumber: BigInt(this.log.length), committedCount: events.length };
  }

  async streamTo(query: EventQuery, handler: StreamHandler): Promise<EventStream> {
    return this.register({ query, handler });
  }

  async streamToDurable(name: string, query: EventQuery, handler: StreamHandler): Promise<EventStream> {
    return this.register({ name, query, handler });
  }

  private register(stream: { name?: string; query: EventQuery; handler: StreamHandler }): EventStream {
    this.streams.push(stream);
    return { id: this.streams.length, active: true, unsubscribe: async () => {} };
  }
}

/** The store as an {@link EventStore} (the methods it lacks are never called). */
export const asStore = (store: ArrayStore) => store as unknown as EventStore;

/** Resolves after a millisecond. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
