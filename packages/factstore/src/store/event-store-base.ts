import { CommitFeed } from '../delivery/commit-feed.js';
import { handlerScope } from '../delivery/handler-scope.js';
import { Subscription } from '../delivery/subscription.js';
import {
  BackendFailureError,
  EmptyAppendError,
  FactStoreError,
  ProjectionReentryError,
  StoreClosedError,
  type DurableStreamLeaseLostError,
} from '../errors.js';
import type { AppendOptions, AppendResult, NewEvent } from '../event.js';
import type { EventStore } from '../event-store.js';
import { canonicalQuery } from '../matching/canonical.js';
import { compileMatcher } from '../matching/query-match.js';
import type { StoreStatus } from '../observability/status.js';
import type { TelemetryOptions } from '../observability/options.js';
import { Telemetry } from '../observability/telemetry.js';
import { MAX_POSITION, type EventQuery, type IterateOptions, type QueryResult } from '../query.js';
import type { EventRecord } from '../event.js';
import type { EventStream, StreamHandler, StreamOptions, WaitForDurableOptions } from '../stream.js';
import {
  validateAppendOptions,
  validateDurableName,
  validateEvents,
  validateExpectedVersion,
  validateHandler,
  validateAll,
  validateIterateOptions,
  validatePosition,
  validateQuery,
  validateWaitOptions,
  type ValidHandler,
  type ValidQuery,
} from '../validation/validate.js';
import type { AppendCondition, CommittedBatch, StoreBackend } from './backend.js';
import { DECISIONS, rememberCommitted, type DecideUnderLock } from './decision-support.js';
import { DecidedNothing, type FollowUp } from './group-commit.js';
import { DurableLeases } from './durable-leases.js';
import { DurableWaits } from './durable-waits.js';
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
  private readonly waits: DurableWaits;
  private readonly subscriptions = new Set<Subscription>();
  /** Durable streams stopped by a failure, by name, kept for `status()` until the name is registered again here. */
  private readonly failed = new Map<string, Subscription>();
  private readonly telemetry: Telemetry;
  private readonly storeName: string;
  private readonly pending = new Set<Promise<unknown>>();
  private nextStreamId = 1;
  private closing: Promise<void> | undefined;
  private watching = false;

  /**
   * @param backend the store's storage
   * @param options `leaseMs`: how long a durable name stays held by a holder that stopped
   *   renewing it (default `LEASE_MS`, 3 s); the holder renews every third of it and stops starting
   *   handler calls two thirds into it when it could not renew; `telemetry`: the OpenTelemetry
   *   providers of the store's spans and metrics (default: the global ones of `@opentelemetry/api`
   *   when it is installed, else none), see {@link TelemetryOptions}
   */
  protected constructor(
    private readonly backend: StoreBackend,
    options: { readonly leaseMs?: number; readonly telemetry?: TelemetryOptions | undefined } = {},
  ) {
    this.storeName = new.target.name;
    this.telemetry = Telemetry.create(this.storeName, options.telemetry);
    this.telemetry.observeStreams(() => this.status());
    this.feed = new CommitFeed(backend);
    this.waits = new DurableWaits((name) => this.track(backend.readCursor(name), 'waitForDurable failed'));
    // a cursor saved here ends the waits for it at once (other processes' saves are polled)
    const saveCursor = async (name: string, position: bigint, holder: string) => {
      const saved = await backend.saveCursor(name, position, holder);
      if (saved) this.waits.saved(name, position);
      return saved;
    };
    this.leases = new DurableLeases(
      {
        claimDurable: (...args) => backend.claimDurable(...args),
        renewLeases: (...args) => backend.renewLeases(...args),
        releaseDurable: (...args) => backend.releaseDurable(...args),
        saveCursor,
        ...(backend.saveCursorWith && {
          saveCursorWith: async (name: string, position: bigint, holder: string, work: (tx: unknown) => Promise<void>) => {
            const saved = await (backend.saveCursorWith as NonNullable<StoreBackend['saveCursorWith']>)(name, position, holder, work);
            if (saved) this.waits.saved(name, position);
            return saved;
          },
        }),
      },
      options.leaseMs,
    );
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
    const [valid, key] = validateAll(
      () => validateEvents(events),
      () => validateAppendOptions(options),
    );
    this.refuseInsideProjection('append');
    if (valid.length === 0) throw new EmptyAppendError();
    const run = () => this.commit(this.backend.append(valid, undefined, key), 'append failed');
    return this.telemetry.on ? this.telemetry.append('append', valid.length, run) : run();
  }

  async appendIf(
    events: readonly NewEvent[],
    contextQuery: EventQuery,
    expectedContextVersion: bigint | number | null,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.ensureOpen();
    const [valid, query, expectedVersion, key] = validateAll(
      () => validateEvents(events),
      () => validateQuery(contextQuery, 'contextQuery'),
      () => validateExpectedVersion(expectedContextVersion),
      () => validateAppendOptions(options),
    );
    this.refuseInsideProjection('appendIf');
    if (valid.length === 0) throw new EmptyAppendError();
    const condition: AppendCondition = { query, expectedVersion };
    const run = () => this.commit(this.backend.append(valid, condition, key), 'conditional append failed');
    return this.telemetry.on ? this.telemetry.append('appendIf', valid.length, run) : run();
  }

  async query(query: EventQuery): Promise<QueryResult> {
    this.ensureOpen();
    return this.read(validateQuery(query));
  }

  iterate(query: EventQuery, options?: IterateOptions): AsyncIterable<EventRecord> {
    this.ensureOpen();
    const [valid, pageSize] = validateAll(
      () => validateQuery(query),
      () => validateIterateOptions(options),
    );
    return this.pages(valid, pageSize);
  }

  async waitForDurable(name: string, position: bigint | number, options?: WaitForDurableOptions): Promise<void> {
    this.ensureOpen();
    const [validName, target, { timeoutMs, signal }] = validateAll(
      () => validateDurableName(name),
      () => validatePosition(position),
      () => validateWaitOptions(options),
    );
    this.watchCommits();
    return this.waits.wait(validName, target, timeoutMs, signal);
  }

  async streamAll(handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    this.ensureOpen();
    return this.registerLive(ALL, validateHandler(handler, options));
  }

  async streamTo(query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    this.ensureOpen();
    const [valid, validHandler] = validateAll(
      () => validateQuery(query),
      () => validateHandler(handler, options),
    );
    return this.registerLive(valid, validHandler);
  }

  async streamAllDurable(name: string, handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    this.ensureOpen();
    const [validName, validHandler] = validateAll(
      () => validateDurableName(name),
      () => validateHandler(handler, options),
    );
    return this.registerDurable('streamAllDurable', validName, ALL, validHandler);
  }

  async streamToDurable(name: string, query: EventQuery, handler: StreamHandler, options?: StreamOptions): Promise<EventStream> {
    this.ensureOpen();
    const [validName, valid, validHandler] = validateAll(
      () => validateDurableName(name),
      () => validateQuery(query),
      () => validateHandler(handler, options),
    );
    return this.registerDurable('streamToDurable', validName, valid, validHandler);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  status(): StoreStatus {
    const head = this.feed.head;
    const streams = [...this.subscriptions, ...this.failed.values()].sort((a, b) => a.id - b.id).map((s) => s.status(head));
    return { store: this.storeName, closed: this.closed, head, streams };
  }

  /**
   * A projection, for stores whose backend has `saveCursorWith`: a durable stream (the semantics
   * of `streamToDurable`) whose handler gets the backend's transaction, in which its cursor is
   * saved. A store exposes it as a typed public `project(name, query, handler, options?)`.
   * @param handler a `ProjectHandler` of the store's transaction type
   */
  protected async registerProjection(name: string, query: EventQuery, handler: unknown, options?: unknown): Promise<EventStream> {
    if (!this.backend.saveCursorWith) throw new TypeError('registerProjection needs a backend with saveCursorWith');
    this.ensureOpen();
    const [validName, valid, validHandler] = validateAll(
      () => validateDurableName(name),
      () => validateQuery(query),
      () => validateHandler(handler as StreamHandler, options),
    );
    return this.registerDurable('project', validName, valid, validHandler, true);
  }

  private async registerLive(query: ValidQuery, valid: ValidHandler): Promise<EventStream> {
    const cursor = await this.track(this.feed.currentHead(), 'stream registration failed');
    this.ensureOpen();
    const subscription = this.subscribe({ id: this.nextStreamId++, matcher: compileMatcher(query), cursor, ...valid });
    await subscription.start();
    return subscription;
  }

  private async registerDurable(
    call: string,
    name: string,
    query: ValidQuery,
    valid: ValidHandler,
    transactional = false,
  ): Promise<EventStream> {
    this.refuseInsideProjection(call);
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
      durable: { name, replayUntil, transactional },
      ...valid,
    }));
    this.failed.delete(name);
    if (target.lostEarly) subscription.leaseLost(target.lostEarly);
    await subscription.start();
    return subscription;
  }

  /**
   * The records of `query`, a page (`query` with `limit` = `pageSize`) at a time, each page
   * starting after the last record of the one before. The first page fixes the end: going forward,
   * nothing above its context version is read (records appended later are not part of the answer).
   */
  private async *pages(query: ValidQuery, pageSize: number): AsyncGenerator<EventRecord, void, undefined> {
    const backward = query.direction === 'backward';
    let left = query.limit ?? Infinity;
    let page: ValidQuery = query;
    for (let first = true; left > 0; first = false) {
      this.ensureOpen();
      const size = Math.min(pageSize, left);
      const result = await this.read(Object.freeze({ ...page, limit: size }));
      for (const record of result.eventRecords) {
        yield record;
        this.ensureOpen(); // a step after close() ends the iteration with STORE_CLOSED
      }
      const last = result.lastReturnedSequenceNumber;
      if (result.eventRecords.length < size || last === null) return;
      // a page that does not move past the one before would repeat forever: a backend ignoring the cursor fields
      const bound = backward ? page.beforeSequenceNumber : page.minSequenceNumber;
      if (bound !== undefined && (backward ? last >= bound : last <= bound)) {
        throw new BackendFailureError(
          `iterate: the store returned a page that does not move ${backward ? 'below' : 'past'} position ${bound}`,
        );
      }
      left -= result.eventRecords.length;
      const version = result.currentContextVersion as bigint;
      const end = first && !backward && version < MAX_POSITION && (query.beforeSequenceNumber ?? MAX_POSITION) > version + 1n;
      page = backward
        ? { ...page, beforeSequenceNumber: last }
        : { ...page, minSequenceNumber: last, ...(end ? { beforeSequenceNumber: version + 1n } : {}) };
    }
  }

  /**
   * Starts the backend's watch for other processes' commits, once: at the first stream or
   * `waitForDurable`, the only parts that wait for commits they did not make (a store that only
   * appends and reads holds no listening connection and runs no poll; a PostgreSQL listener costs
   * every commit a notification delivered back to this process: 8–13% of the single-append rate
   * with one caller). A commit made before the watch started is no signal missed: a stream reads
   * from the head it registered at, and each watch looks once at its start.
   */
  private watchCommits(): void {
    if (this.watching) return;
    this.watching = true;
    this.backend.watch?.((head) => {
      if (head === undefined) void this.feed.refresh();
      else if (!this.feed.told(head)) return; // known already: this store's own commit, or an older signal
      this.waits.poke();
    });
  }

  private subscribe(spec: ConstructorParameters<typeof Subscription>[0]): Subscription {
    this.watchCommits();
    const finished = (done: Subscription) => {
      this.subscriptions.delete(done);
      if (done.failed && done.name !== null) this.failed.set(done.name, done);
    };
    const subscription = new Subscription(spec, this.feed, this.leases, finished, this.telemetry);
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Decisions under the write lock, for `decide` (see `decision-support.ts`): `undefined` when the
   * backend has no `appendDecisions`. With telemetry on, each decision is an `appendIf` span (its
   * `factstore.events.count` is 0: the events are decided in the group).
   */
  get [DECISIONS](): DecideUnderLock | undefined {
    if (this.backend.appendDecisions === undefined) return undefined;
    return (query, expectedVersion, followUps) => this.decideUnderLock(query, expectedVersion, followUps);
  }

  private decideUnderLock(
    query: ValidQuery,
    expectedVersion: bigint | null,
    followUps: readonly FollowUp[],
  ): Promise<AppendResult | null>[] {
    this.ensureOpen();
    this.refuseInsideProjection('appendIf');
    const backend = this.backend as Required<Pick<StoreBackend, 'appendDecisions'>>;
    return backend.appendDecisions({ query, expectedVersion }, followUps).map((appending) => {
      const run = async () => {
        const batch = await this.track(
          appending.catch((error: unknown) => {
            if (error instanceof DecidedNothing) return null;
            throw error;
          }),
          'conditional append failed',
        );
        return batch === null ? null : this.published(batch);
      };
      return this.telemetry.on ? this.telemetry.append('appendIf', 0, run) : run();
    });
  }

  private async commit(appending: Promise<CommittedBatch>, failure: string): Promise<AppendResult> {
    return this.published(await this.track(appending, failure));
  }

  /** Publishes a batch this call wrote (not a replayed one) and remembers its records for `decide`. */
  private published(batch: CommittedBatch): AppendResult {
    const result: AppendResult = {
      firstSequenceNumber: batch.firstSequenceNumber,
      lastSequenceNumber: batch.lastSequenceNumber,
      committedCount: batch.records.length,
    };
    if (!batch.replayed) {
      this.feed.publish(batch);
      rememberCommitted(result, batch.records);
    }
    return result;
  }

  /** One `backend.query`, traced when telemetry is on. */
  private read(query: ValidQuery): Promise<QueryResult> {
    const run = () => this.track(this.backend.query(query), 'query failed');
    return this.telemetry.on ? this.telemetry.query(query.direction ?? 'forward', run) : run();
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

  /**
   * Refuses `call` when it comes from inside a handler of one of this store's projections: that
   * handler runs inside the store's write transaction, which the call would wait for (SQLite) or
   * commit apart from (PostgreSQL).
   */
  private refuseInsideProjection(call: string): void {
    const scope = handlerScope.getStore();
    if (scope instanceof Subscription && scope.transactional && this.subscriptions.has(scope)) throw new ProjectionReentryError(call);
  }

  private async shutDown(): Promise<void> {
    this.telemetry.close();
    this.waits.close();
    // stop() does not wait for the handler call that close() itself may be running inside
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await Promise.allSettled([...this.pending]);
    await this.leases.close();
    await this.backend.close();
  }
}
