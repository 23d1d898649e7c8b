import { CommitFeed } from '../delivery/commit-feed.js';
import { Subscription } from '../delivery/subscription.js';
import { BackendFailureError, EmptyAppendError, FactStoreError, StoreClosedError, type DurableStreamLeaseLostError } from '../errors.js';
import type { AppendOptions, AppendResult, NewEvent } from '../event.js';
import type { EventStore } from '../event-store.js';
import { canonicalQuery } from '../matching/canonical.js';
import { compileMatcher } from '../matching/query-match.js';
import type { EventQuery, QueryResult } from '../query.js';
import type { EventStream, StreamHandler, StreamOptions } from '../stream.js';
import {
  validateAppendOptions,
  validateDurableName,
  validateEvents,
  validateExpectedVersion,
  validateHandler,
  validateQuery,
  type ValidQuery,
} from '../validation/validate.js';
import type { AppendCondition, CommittedBatch, StoreBackend } from './backend.js';
import { DurableLeases } from './durable-leases.js';
import { attachMaintenance } from './maintenance.js';

const ALL: ValidQuery = Object.freeze({});

/**
 * The whole {@link EventStore} contract on top of a {@link StoreBackend}: input validation, the
 * order in which errors win, the delivery loop of every stream, durable cursors, and `close()`.
 * A store extends it and passes its backend; it adds storage and nothing else.
 *
 * @example
 * ```ts
 * export class MyStore extends EventStoreBase {
 *   constructor() { super(new MyBackend()); }
 * }
 * ```
 */
export abstract class EventStoreBase implements EventStore {
  private readonly feed: CommitFeed;
  private readonly leases: DurableLeases;
  private readonly subscriptions = new Set<Subscription>();
  private readonly pending = new Set<Promise<unknown>>();
  private nextStreamId = 1;
  private closing: Promise<void> | undefined;

  /**
   * @param backend the store's storage
   * @param options `leaseMs`: how long a durable name stays held by a holder that stopped
   *   renewing it (default `LEASE_MS`, 3 s); the holder renews every third of it and stops starting
   *   handler calls two thirds into it when it could not renew
   */
  protected constructor(
    private readonly backend: StoreBackend,
    options: { readonly leaseMs?: number } = {},
  ) {
    this.feed = new CommitFeed(backend);
    this.leases = new DurableLeases(backend, options.leaseMs);
    backend.watch?.(() => void this.feed.refresh());
    attachMaintenance(this, backend, {
      head: () => backend.head(),
      query: (query) => backend.query(query),
      run: async (work) => {
        this.ensureOpen();
        return this.track(work(), 'maintenance failed');
      },
    });
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  async append(events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    this.ensureOpen();
    const valid = validateEvents(events);
    const key = validateAppendOptions(options);
    if (valid.length === 0) throw new EmptyAppendError();
    return this.commit(this.backend.append(valid, undefined, key), 'append failed');
  }

  async appendIf(
    events: readonly NewEvent[],
    contextQuery: EventQuery,
    expectedContextVersion: bigint | number | null,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.ensureOpen();
    const valid = validateEvents(events);
    const query = validateQuery(contextQuery, 'contextQuery');
    const expectedVersion = validateExpectedVersion(expectedContextVersion);
    const key = validateAppendOptions(options);
    if (valid.length === 0) throw new EmptyAppendError();
    const condition: AppendCondition = { query, expectedVersion };
    return this.commit(this.backend.append(valid, condition, key), 'conditional append failed');
  }

  async query(query: EventQuery): Promise<QueryResult> {
    this.ensureOpen();
    const valid = validateQuery(query);
    return this.track(this.backend.query(valid), 'query failed');
  }

  streamAll(handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    return this.registerLive(ALL, handler, options);
  }

  async streamTo(query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    this.ensureOpen();
    return this.registerLive(validateQuery(query), handler, options);
  }

  async streamAllDurable(name: string, handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    this.ensureOpen();
    return this.registerDurable(validateDurableName(name), ALL, handler, options);
  }

  async streamToDurable(name: string, query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    this.ensureOpen();
    const validName = validateDurableName(name);
    return this.registerDurable(validName, validateQuery(query), handler, options);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async registerLive(query: ValidQuery, handler: unknown, options: unknown): Promise<EventStream> {
    this.ensureOpen();
    const valid = validateHandler(handler, options);
    const cursor = await this.track(this.feed.currentHead(), 'stream registration failed');
    this.ensureOpen();
    const subscription = this.subscribe({ id: this.nextStreamId++, matcher: compileMatcher(query), cursor, ...valid });
    await subscription.start();
    return subscription;
  }

  private async registerDurable(name: string, query: ValidQuery, handler: unknown, options: unknown): Promise<EventStream> {
    const valid = validateHandler(handler, options);
    const id = this.nextStreamId++;
    // a lease can be lost before the subscription exists: keep it for the subscription
    const target: { subscription?: Subscription; lostEarly?: DurableStreamLeaseLostError } = {};
    const onLost = (error: DurableStreamLeaseLostError) =>
      target.subscription ? target.subscription.leaseLost(error) : (target.lostEarly = error);
    const cursor = await this.track(this.leases.claim(name, canonicalQuery(query), onLost), 'durable stream registration failed');
    let replayUntil: bigint;
    try {
      replayUntil = await this.track(this.feed.currentHead(), 'durable stream registration failed');
      this.ensureOpen();
    } catch (error) {
      await this.leases.release(name).catch(() => {});
      throw error;
    }
    const subscription = (target.subscription = this.subscribe({
      id,
      matcher: compileMatcher(query),
      cursor,
      durable: { name, replayUntil },
      ...valid,
    }));
    if (target.lostEarly) subscription.leaseLost(target.lostEarly);
    await subscription.start();
    return subscription;
  }

  private subscribe(spec: ConstructorParameters<typeof Subscription>[0]): Subscription {
    const subscription = new Subscription(spec, this.feed, this.leases, (done) => this.subscriptions.delete(done));
    this.subscriptions.add(subscription);
    return subscription;
  }

  private async commit(appending: Promise<CommittedBatch>, failure: string): Promise<AppendResult> {
    const batch = await this.track(appending, failure);
    if (!batch.replayed) this.feed.publish(batch);
    return {
      firstSequenceNumber: batch.firstSequenceNumber,
      lastSequenceNumber: batch.lastSequenceNumber,
      committedCount: batch.records.length,
    };
  }

  /** Awaits a backend call, counts it as pending for `close()`, and wraps foreign errors. */
  private async track<T>(work: Promise<T>, failure: string): Promise<T> {
    this.pending.add(work);
    try {
      return await work;
    } catch (error) {
      if (error instanceof FactStoreError) throw error;
      throw new BackendFailureError(failure, error);
    } finally {
      this.pending.delete(work);
    }
  }

  private ensureOpen(): void {
    if (this.closing) throw new StoreClosedError();
  }

  private async shutDown(): Promise<void> {
    // stop() does not wait for the handler call that close() itself may be running inside
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await Promise.allSettled([...this.pending]);
    await this.leases.close();
    await this.backend.close();
  }
}
