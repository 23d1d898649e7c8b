import type { FileSystem } from './file-system.js';
import { FileLease, type Holder, type LeaseContent } from './lease.js';

/**
 * How old the heartbeat of `write.lock` may get before another process takes the lock over. The
 * holder renews it every second while it holds the lock (its writes and syncs run off the main
 * thread, so a slow disk does not stop the heartbeat); a holder that died on this host is taken
 * over at once.
 */
export const WRITE_LOCK_STALE_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The write lock could not be taken in time. */
export class LockTimeoutError extends Error {}

/**
 * The cross-process write lock of one store instance: `write.lock` in the store's folder, a
 * {@link FileLease}. Every commit, every recovery of a torn tail and every publication of the head
 * happen while it is held, so writers of all processes are serialised. It is taken per group of
 * appends and released right after, so that other processes can write between two groups.
 * Waiting polls every millisecond at first, backing off to `pollMs`.
 */
export class WriteLock {
  private lease: FileLease | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** After a timeout, the appends retried at once (a failed group is retried one by one) fail fast. */
  private timedOutAt = -Infinity;

  constructor(
    private readonly files: FileSystem,
    private readonly path: string,
    private readonly holder: Holder,
    private readonly options: { readonly timeoutMs: number; readonly pollMs: number },
  ) {}

  /** Runs `work` holding the lock (one `work` at a time in this instance). */
  with<T>(work: () => Promise<T>): Promise<T> {
    const run = async () => {
      await this.acquire();
      try {
        return await work();
      } finally {
        this.release();
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Throws unless the lock is still this instance's (nobody took it over as stale). */
  assertHeld(): void {
    if (!this.lease?.held()) throw new Error(`the write lock ${this.path} was taken over by another process (this one paused too long)`);
  }

  /** Renews the heartbeat while the lock is held; called every second. */
  renew(): void {
    this.lease?.renew();
  }

  /** Releases the lock if held (at close). */
  release(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }

  private async acquire(): Promise<void> {
    const started = Date.now();
    const timeoutMs = started - this.timedOutAt < 1000 ? 0 : this.options.timeoutMs;
    let heldBy: LeaseContent | undefined;
    for (let wait = 1; ; wait = Math.min(wait * 2, this.options.pollMs)) {
      const taken = FileLease.tryAcquire(this.files, this.path, this.holder, WRITE_LOCK_STALE_MS);
      if (taken instanceof FileLease) {
        this.lease = taken;
        return;
      }
      heldBy = taken.heldBy ?? heldBy;
      if (Date.now() - started >= timeoutMs) break;
      await sleep(wait);
    }
    this.timedOutAt = Date.now();
    const who = heldBy ? `process ${heldBy.pid} on ${heldBy.host}` : 'another process';
    throw new LockTimeoutError(`the write lock ${this.path} is held by ${who}: waited ${Date.now() - started} ms (lockTimeoutMs)`);
  }
}
