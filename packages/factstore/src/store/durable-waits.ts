import { performance } from 'node:perf_hooks';
import { StoreClosedError, WaitTimeoutError } from '../errors.js';

/**
 * How often `waitForDurable` reads a durable name's stored cursor while someone waits for it, in
 * ms (one read per name, however many wait for it). Saves made by this store instance end the
 * waits at once; saves by other processes (or other instances on the same store) are seen within
 * one interval, or sooner when the store's watch for other processes' writes notices them
 * (SQLite's `data_version` poll does).
 */
export const WAIT_POLL_MS = 10;

interface Waiter {
  readonly position: bigint;
  readonly timeoutMs: number;
  /** When it times out, on the monotonic clock. */
  readonly deadline: number;
  /** How many reads of its name had started when it began: a read started later decides its timeout. */
  readonly joinedAt: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** The waits for one name and the one loop that reads its cursor for them. */
interface Watch {
  readonly waiters: Set<Waiter>;
  /** Reads started so far. */
  reads: number;
  /** A read is wanted before the next pause (a waiter joined, the store's watch noticed a write). */
  wanted: boolean;
  /** Ends the current pause early. */
  wake: () => void;
}

/**
 * The waits of `waitForDurable` for one store instance. Each name someone waits for has one loop
 * that reads the backend's stored cursor (`readCursor`) at once and then every
 * {@link WAIT_POLL_MS} while anyone waits, and settles every wait it decides; cursor saves of
 * this instance ({@link DurableWaits.saved}) end waits at once, without a read. Store-agnostic:
 * a backend only reads the cursor.
 */
export class DurableWaits {
  private readonly watches = new Map<string, Watch>();
  private closed = false;

  /**
   * @param readCursor the stored cursor of a name, `null` when it has none
   * @param pollMs how often a name's cursor is read while someone waits for it
   */
  constructor(
    private readonly readCursor: (name: string) => Promise<bigint | null>,
    private readonly pollMs = WAIT_POLL_MS,
  ) {}

  /**
   * Resolves once the cursor of `name` is at or past `position`.
   * @throws {@link WaitTimeoutError} when a read that started after `timeoutMs` (or, for `0`,
   * after the call) still finds it behind; the signal's reason when it is aborted;
   * {@link StoreClosedError} when {@link DurableWaits.close} is called meanwhile; what a read threw
   */
  wait(name: string, position: bigint, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    let watch = this.watches.get(name);
    const starting = watch === undefined;
    if (!watch) this.watches.set(name, (watch = { waiters: new Set(), reads: 0, wanted: true, wake: () => {} }));
    const group = watch;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => settle(() => reject(signal?.reason));
      const settle = (done: () => void) => {
        if (!group.waiters.delete(waiter)) return;
        signal?.removeEventListener('abort', onAbort);
        done();
      };
      const waiter: Waiter = {
        position,
        timeoutMs,
        deadline: performance.now() + timeoutMs,
        joinedAt: group.reads,
        resolve: () => settle(resolve),
        reject: (error) => settle(() => reject(error)),
      };
      group.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort);
      group.wanted = true;
      group.wake();
      if (starting) void this.watch(name, group);
    });
  }

  /** Tells the waits that this instance saved the cursor of `name` at `position`. */
  saved(name: string, position: bigint): void {
    for (const waiter of this.watches.get(name)?.waiters ?? []) if (position >= waiter.position) waiter.resolve();
  }

  /** Makes every name's loop read its cursor now (the store's watch noticed another process's write). */
  poke(): void {
    for (const watch of this.watches.values()) {
      watch.wanted = true;
      watch.wake();
    }
  }

  /** Ends every wait with {@link StoreClosedError}. */
  close(): void {
    this.closed = true;
    for (const watch of this.watches.values()) {
      for (const waiter of watch.waiters) waiter.reject(new StoreClosedError());
      watch.wake();
    }
  }

  /** The loop of one name: read, settle what the read decides, pause; until no one waits. */
  private async watch(name: string, watch: Watch): Promise<void> {
    try {
      while (watch.waiters.size > 0 && !this.closed) {
        watch.wanted = false;
        const read = ++watch.reads;
        let cursor: bigint | null;
        try {
          cursor = await this.readCursor(name);
        } catch (error) {
          for (const waiter of watch.waiters) if (waiter.joinedAt < read) waiter.reject(error);
          continue;
        }
        const now = performance.now();
        let next = Infinity;
        for (const waiter of watch.waiters) {
          if (cursor !== null && cursor >= waiter.position) waiter.resolve();
          else if (waiter.joinedAt < read && now >= waiter.deadline)
            waiter.reject(new WaitTimeoutError(name, waiter.position, waiter.timeoutMs));
          else next = Math.min(next, waiter.deadline);
        }
        if (watch.waiters.size === 0 || watch.wanted) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, Math.min(this.pollMs, next - performance.now())));
          watch.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        watch.wake = () => {};
      }
    } finally {
      if (this.watches.get(name) === watch) this.watches.delete(name);
    }
  }
}
