import { errorCode, type FileSystem } from './file-system.js';
import { FileLease, type Holder, type LeaseContent } from './lease.js';

/**
 * How old the heartbeat of `write.lock` may get before another process takes the lock over. The
 * holder renews it every second while it holds the lock (its writes and syncs run off the main
 * thread, so a slow disk does not stop the heartbeat); a holder that died on this host is taken
 * over at once.
 */
export const WRITE_LOCK_STALE_MS = 10_000;
/** How long a holder keeps the lock after a write when nobody waits: the next write then needs no new lock file. */
export const LINGER_MS = 5;
/** A waiting mark younger than this means another process waits for the lock. */
const WAITING_MS = 50;
/** How often a holder looks for a waiting mark (after a write), at most. */
const LOOK_MS = 2;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The write lock could not be taken in time. */
export class LockTimeoutError extends Error {}

/**
 * The cross-process write lock of one store instance: `write.lock` in the store's folder, a
 * {@link FileLease}. Every commit, every recovery of a torn tail and every publication of the head
 * happen while it is held, so writers of all processes are serialised.
 *
 * A holder keeps the lock for {@link LINGER_MS} after a write, so that a process appending one
 * event after the other does not create and remove a lock file for each; it lets go at once when
 * another process waits. A waiting process says so by touching `write.lock.waiting` each time it
 * looks (every millisecond at first, backing off to `pollMs`); a holder that sees a fresh mark
 * after a write releases the lock and waits a little before it takes it again, so that writers of
 * several processes take turns.
 */
export class WriteLock {
  private lease: FileLease | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private linger: NodeJS.Timeout | undefined;
  /** When the holder last looked for a waiting mark. */
  private lookedAt = 0;
  /** When this instance last gave the lock up for a waiting process: it waits before taking it again. */
  private yieldedAt = -Infinity;
  /** After a timeout, the appends retried at once (a failed group is retried one by one) fail fast. */
  private timedOutAt = -Infinity;
  private readonly waiting: string;

  constructor(
    private readonly files: FileSystem,
    private readonly path: string,
    private readonly holder: Holder,
    private readonly options: { readonly timeoutMs: number; readonly pollMs: number },
  ) {
    this.waiting = `${path}.waiting`;
  }

  /**
   * Runs `work` holding the lock (one `work` at a time in this instance). `work` is told whether
   * the lock was kept since the previous `work` of this instance: then no other process can have
   * written in between.
   */
  with<T>(work: (kept: boolean) => Promise<T>): Promise<T> {
    const run = async () => {
      const kept = await this.acquire();
      try {
        return await work(kept);
      } finally {
        this.afterWork();
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Throws unless the lock is still this instance's (nobody took it over as stale). */
  assertHeld(): void {
    if (!this.stillHeld()) throw new Error(`the write lock ${this.path} was taken over by another process (this one paused too long)`);
  }

  /**
   * Whether this instance holds the lock with a heartbeat recent enough that nobody may have taken
   * it over: then no other process can have committed since this instance's last write. Reads no file.
   */
  get heldNow(): boolean {
    const lease = this.lease;
    return lease !== undefined && Date.now() - lease.lastRenewed < WRITE_LOCK_STALE_MS / 2;
  }

  /**
   * Whether the lock is still this instance's. Nobody may take over a lock whose heartbeat is
   * younger than {@link WRITE_LOCK_STALE_MS}, so a recent renewal answers without a look at the file.
   */
  private stillHeld(): boolean {
    const lease = this.lease;
    if (!lease) return false;
    return this.heldNow || lease.renew();
  }

  /** Renews the heartbeat while the lock is held; called every second. */
  renew(): void {
    this.lease?.renew();
  }

  /** Releases the lock if held (at close, and when lingering ends). */
  release(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }

  private afterWork(): void {
    if (!this.lease) return;
    const now = Date.now();
    if (now - this.lookedAt >= LOOK_MS && ((this.lookedAt = now), this.othersWait())) {
      this.release();
      this.yieldedAt = Date.now();
      return;
    }
    clearTimeout(this.linger);
    this.linger = setTimeout(() => this.release(), LINGER_MS).unref();
  }

  private othersWait(): boolean {
    const mark = this.files.statSync(this.waiting);
    return mark !== undefined && Date.now() - mark.mtimeMs < WAITING_MS;
  }

  /** Takes the lock; true when it was still held from the previous work. */
  private async acquire(): Promise<boolean> {
    clearTimeout(this.linger);
    this.linger = undefined;
    if (this.lease) {
      if (this.stillHeld()) return true;
      this.lease = undefined; // taken over while this instance paused: take it anew
    }
    // after giving the lock to a waiting process, let it take the lock first
    const turn = this.yieldedAt + this.options.pollMs + 2 - Date.now();
    if (turn > 0) await sleep(turn);
    const started = Date.now();
    const timeoutMs = started - this.timedOutAt < 1000 ? 0 : this.options.timeoutMs;
    let heldBy: LeaseContent | undefined;
    let waited = false;
    for (let wait = 1; ; wait = Math.min(wait * 2, this.options.pollMs)) {
      const taken = FileLease.tryAcquire(this.files, this.path, this.holder, WRITE_LOCK_STALE_MS);
      if (taken instanceof FileLease) {
        this.lease = taken;
        // the mark goes with the last waiter (others still waiting touch it again when they next look)
        if (waited) this.removeMark();
        return false;
      }
      heldBy = taken.heldBy ?? heldBy;
      if (Date.now() - started >= timeoutMs) break;
      this.markWaiting();
      waited = true;
      await sleep(wait);
    }
    this.timedOutAt = Date.now();
    const who = heldBy ? `process ${heldBy.pid} on ${heldBy.host}` : 'another process';
    throw new LockTimeoutError(`the write lock ${this.path} is held by ${who}: waited ${Date.now() - started} ms (lockTimeoutMs)`);
  }

  private removeMark(): void {
    try {
      this.files.unlinkSync(this.waiting);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }

  /** Touches `write.lock.waiting`, creating it when missing. */
  private markWaiting(): void {
    try {
      this.files.closeSync(this.files.openSync(this.waiting, 'w'));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
}
