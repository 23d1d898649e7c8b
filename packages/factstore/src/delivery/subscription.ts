import { BackendFailureError, DurableReplayError, DurableStreamLeaseLostError, FactStoreError, StoreClosedError } from '../errors.js';
import type { EventRecord } from '../event.js';
import type { EventMatcher } from '../matching/query-match.js';
import { streamError, type StreamError, type StreamStatus } from '../observability/status.js';
import { Telemetry, type StreamInfo } from '../observability/telemetry.js';
import type { DurableLeases } from '../store/durable-leases.js';
import type { EventStream, StreamOptions } from '../stream.js';
import type { CommittedBatch } from '../store/backend.js';
import type { CommitFeed } from './commit-feed.js';
import { handlerScope } from './handler-scope.js';

/** How many events one loop turn reads at most (replay reads page by page, never all at once). */
export const PAGE_EVENTS = 1024;
/**
 * While pages follow each other (a replay, a busy stream), a durable stream saves its cursor at
 * most this often; it always saves when it has caught up and when it stops. After a crash, at
 * most this much handled work is delivered again (delivery is at least once).
 */
export const SAVE_INTERVAL_MS = 100;

/** How long a loop waits before reading again after the backend failed a read. */
const RETRY_MS = [10, 50, 100, 250, 500, 1000];

/** Everything one stream loop needs. */
export interface SubscriptionSpec {
  readonly id: number;
  readonly matcher: EventMatcher;
  /** A `StreamHandler`; for a projection (`durable.transactional`) a `ProjectHandler`, given the transaction. */
  readonly handler: (batch: readonly EventRecord[], tx?: unknown) => void | Promise<void>;
  readonly onError: StreamOptions['onError'];
  /** The position the loop starts after. */
  readonly cursor: bigint;
  /**
   * For durable streams: the name whose cursor the loop saves, and the replay's end. With
   * `transactional` (a projection), every handler call runs inside the backend's transaction that
   * saves the cursor past its batch (`DurableLeases.saveWith`): both commit, or neither does.
   */
  readonly durable?: { readonly name: string; readonly replayUntil: bigint; readonly transactional?: boolean };
}

/**
 * One stream's delivery loop: read committed batches after the cursor, deliver the matching
 * records one batch at a time, advance (and for durable streams save) the cursor, wait for a
 * wake-up, repeat. Replay and live are the same loop; a durable registration only waits until
 * the loop has passed the head it saw at registration.
 */
export class Subscription implements EventStream {
  readonly id: number;
  private state: 'running' | 'stopping' | 'stopped' = 'running';
  private cursor: bigint;
  private savedCursor: bigint;
  /** When the last cursor save started (`performance.now()`). */
  private savedAt = 0;
  private replaying: boolean;
  private replay = deferred<void>();
  private finished = deferred<void>();
  private interruptWait: (() => void) | undefined;
  private failures = 0;
  /** Projections: transactions in a row that failed before their handler ran. */
  private commitFailures = 0;
  private replayFailure: FactStoreError | undefined;
  /** Set when the durable name passed to another holder: the stream stops and reports it. */
  private lost: DurableStreamLeaseLostError | undefined;
  /** For `status()`: the stream's last failure. */
  private lastError: StreamError | null = null;
  /** For `status()`: the batch the loop is at (being delivered, or next), until the cursor passes it. */
  private next: CommittedBatch | undefined;
  /** The span of the replay, while a durable registration replays (telemetry on). */
  private replaySpan: ReturnType<Telemetry['startReplay']>;
  private readonly info: StreamInfo;

  constructor(
    private readonly spec: SubscriptionSpec,
    private readonly feed: CommitFeed,
    private readonly leases: DurableLeases,
    private readonly onFinished: (subscription: Subscription) => void,
    private readonly telemetry: Telemetry = Telemetry.off,
  ) {
    this.id = spec.id;
    const durable = spec.durable;
    this.info = { id: spec.id, name: durable?.name ?? null, kind: durable ? (durable.transactional ? 'projection' : 'durable') : 'live' };
    this.cursor = spec.cursor;
    this.savedCursor = spec.cursor;
    this.replaying = spec.durable !== undefined;
    this.replay.promise.catch(() => {});
  }

  get active(): boolean {
    return this.state === 'running';
  }

  /** The durable name, or null for a live stream. */
  get name(): string | null {
    return this.info.name;
  }

  /** Whether the stream stopped because of a failure (a durable stream's handler, replay or lease). */
  get failed(): boolean {
    return this.state === 'stopped' && this.lastError !== null && this.info.kind !== 'live';
  }

  /** This stream as `store.status()` reports it, given the head the store knows. */
  status(head: bigint): StreamStatus {
    const cursor = this.cursor;
    const lag = head > cursor ? head - cursor : 0n;
    let stalledSince: Date | null = null;
    if (lag > 0n) {
      const next = this.next?.firstSequenceNumber === cursor + 1n ? this.next : undefined;
      stalledSince = next?.records[0]?.occurredAt ?? this.feed.committedAt(cursor + 1n) ?? null;
    }
    return { ...this.info, cursor, head, lag, active: this.active, replaying: this.replaying, lastError: this.lastError, stalledSince };
  }

  /** Whether this is a projection: its handler runs inside the backend's write transaction. */
  get transactional(): boolean {
    return this.spec.durable?.transactional === true;
  }

  /**
   * The durable name passed to another holder (found by a renewal or a cursor save): no handler
   * call starts any more; the stream stops and reports `error` to `onError` once it is inactive.
   */
  leaseLost(error: DurableStreamLeaseLostError): void {
    this.lost ??= error;
    this.lastError ??= streamError(error);
    if (this.replaying) this.replayFailure ??= error;
    if (this.state === 'running') {
      this.state = 'stopping';
      this.interruptWait?.();
    }
  }

  /** Starts the loop; for a durable stream, resolves once the replay is done. */
  start(): Promise<void> {
    const durable = this.spec.durable;
    if (this.telemetry.on && durable && this.replaying)
      this.replaySpan = this.telemetry.startReplay(this.info, this.cursor, durable.replayUntil);
    void this.loop();
    if (!this.replaying) this.replay.resolve();
    return this.replay.promise;
  }

  unsubscribe(): Promise<void> {
    return this.stop();
  }

  /**
   * Stops the loop: no handler call starts after this. Resolves when a running call has
   * finished and the cursor is saved, except when called from inside this stream's own handler.
   */
  stop(): Promise<void> {
    if (this.state === 'running') {
      this.state = 'stopping';
      this.interruptWait?.();
    }
    if (handlerScope.getStore() === this) return Promise.resolve();
    return this.finished.promise;
  }

  private async loop(): Promise<void> {
    try {
      while (this.state === 'running') {
        if (this.replaying && this.cursor >= (this.spec.durable?.replayUntil ?? 0n)) await this.endReplay();
        const epoch = this.feed.epoch;
        let batches;
        try {
          batches = await this.feed.readAfter(this.cursor, PAGE_EVENTS);
          this.failures = 0;
        } catch (error) {
          if (this.replaying) {
            this.replayFailure = new BackendFailureError('durable replay could not read the log', error);
            return;
          }
          await this.pause(RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)] as number);
          continue;
        }
        if (batches.length === 0) {
          await this.saveCursor();
          if (this.state !== 'running') break;
          const wait = this.feed.wait(this.cursor, epoch);
          this.interruptWait = wait.interrupt;
          if (this.state === 'running') await wait.done;
          this.interruptWait = undefined;
          continue;
        }
        for (const batch of batches) {
          if (this.state !== 'running') break;
          if (batch.firstSequenceNumber !== this.cursor + 1n) break; // not contiguous: read again
          this.next = batch;
          const records = batch.records.filter(this.spec.matcher);
          if (records.length > 0) {
            // the fence: a durable stream starts a handler call only while its lease is surely its own
            const held = this.holdsLease();
            if (held !== true && !(await held)) break;
            const delivered = await this.deliver(records, batch.lastSequenceNumber);
            if (delivered === 'stopped') return;
            if (delivered === 'retry') break;
          }
          this.cursor = batch.lastSequenceNumber;
        }
        if (this.next && this.next.lastSequenceNumber <= this.cursor) this.next = undefined;
        // a page in a run of pages (a replay, a busy stream) saves at most every SAVE_INTERVAL_MS;
        // the stream saves whenever it has caught up (the next read finds nothing), and when it stops
        if (performance.now() - this.savedAt >= SAVE_INTERVAL_MS) await this.saveCursor();
      }
    } finally {
      await this.finish();
    }
  }

  /**
   * Whether a handler call may start: always for a live stream; for a durable one, at once while
   * its lease is fresh, else once a renewal confirmed it (false: lost, or the stream stops).
   */
  private holdsLease(): boolean | Promise<boolean> {
    const durable = this.spec.durable;
    if (!durable || this.leases.isFresh(durable.name)) return true;
    return this.leases.confirm(durable.name, () => this.state !== 'running');
  }

  /**
   * Calls the handler once for the batch ending at `position`: 'stopped' when a durable stream
   * failed and has stopped, 'retry' when a live projection's transaction failed in the database
   * before its handler ran (nothing was written; the batch is read and offered again).
   */
  private async deliver(records: readonly EventRecord[], position: bigint): Promise<'delivered' | 'stopped' | 'retry'> {
    const durable = this.spec.durable;
    let phase: 'before' | 'handler' | 'after' = 'handler';
    try {
      if (durable?.transactional) {
        phase = 'before';
        await this.leases.saveWith(durable.name, position, async (tx) => {
          phase = 'handler';
          await this.call(records, tx);
          phase = 'after';
        });
        if (position > this.savedCursor) this.savedCursor = position;
        this.commitFailures = 0;
      } else await this.call(records);
      return 'delivered';
    } catch (thrown) {
      if (!durable) {
        this.report(thrown, records);
        return 'delivered';
      }
      if (thrown instanceof DurableStreamLeaseLostError && phase === 'before') {
        this.leaseLost(thrown);
        return 'stopped';
      }
      if (phase === 'before' && !this.replaying) {
        await this.pause(RETRY_MS[Math.min(this.commitFailures++, RETRY_MS.length - 1)] as number);
        return 'retry';
      }
      let error = thrown;
      if (phase !== 'handler') {
        error = new BackendFailureError(`projection ${JSON.stringify(durable.name)} could not commit`, thrown);
        // a commit whose reply was lost may have landed: a save of the cursor from memory could move it back behind it
        this.savedCursor = this.cursor;
      }
      this.state = 'stopped';
      if (this.replaying) {
        this.replayFailure = phase === 'handler' ? new DurableReplayError(durable.name, error) : (error as BackendFailureError);
        return 'stopped';
      }
      this.lastError = streamError(error);
      await this.finish();
      this.report(error, records);
      return 'stopped';
    }
  }

  /** Calls the handler in this stream's scope, traced when telemetry is on. */
  private async call(records: readonly EventRecord[], tx?: unknown): Promise<void> {
    const handler = this.spec.handler;
    const run = () => handlerScope.run(this, () => (tx === undefined ? handler(records) : handler(records, tx)));
    await (this.telemetry.on ? this.telemetry.handle(this.info, records, this.replaySpan, run) : run());
  }

  private async endReplay(): Promise<void> {
    await this.saveCursor();
    this.replaying = false;
    this.telemetry.endSpan(this.replaySpan);
    this.replaySpan = undefined;
    this.replay.resolve();
  }

  private async saveCursor(): Promise<void> {
    const durable = this.spec.durable;
    if (!durable || this.cursor === this.savedCursor) return;
    const position = this.cursor;
    this.savedAt = performance.now();
    try {
      await this.leases.save(durable.name, position);
      if (position > this.savedCursor) this.savedCursor = position;
    } catch (error) {
      if (error instanceof DurableStreamLeaseLostError) return this.leaseLost(error);
      // the cursor stays behind (never ahead of delivery); the next save tries again
      if (this.state !== 'running')
        console.error(`factstore: durable stream ${JSON.stringify(durable.name)} could not save its cursor`, error);
    }
  }

  private finishing: Promise<void> | undefined;

  /** Saves the cursor, frees the durable name, and settles everyone waiting. Runs once. */
  private finish(): Promise<void> {
    this.finishing ??= (async () => {
      this.state = 'stopped';
      const durable = this.spec.durable;
      if (durable) {
        await this.saveCursor();
        try {
          await this.leases.release(durable.name);
        } catch (error) {
          console.error(`factstore: durable stream ${JSON.stringify(durable.name)} could not be released`, error);
        }
      }
      const reported = this.replaying ? undefined : this.lost;
      if (this.replaying) {
        const failure = this.replayFailure ?? new StoreClosedError();
        if (this.replayFailure) this.lastError ??= streamError(this.replayFailure);
        this.telemetry.endSpan(this.replaySpan, failure);
        this.replay.reject(failure);
      }
      this.onFinished(this);
      this.finished.resolve();
      if (reported) this.report(reported, []);
    })();
    return this.finishing;
  }

  private report(error: unknown, batch: readonly EventRecord[]): void {
    if (this.info.kind === 'live') this.lastError = streamError(error);
    const onError = this.spec.onError;
    if (onError) {
      try {
        onError(error, batch);
        return;
      } catch (thrown) {
        console.error(`factstore: onError of stream ${this.id} threw`, thrown);
      }
    }
    console.error(`factstore: handler of stream ${this.id} failed`, error);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interruptWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
