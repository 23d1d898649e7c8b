import { performance } from 'node:perf_hooks';
import { StoreClosedError, WaitTimeoutError } from '../errors.js';

/**
 * How often `waitForDurable` reads a durable name's stored cursor while it waits, in ms. Saves
 * made by this store instance end the wait at once; saves by other processes (or other instances
 * on the same store) are seen within one interval, or sooner when the store's watch for other
 * processes' writes notices them (SQLite's `data_version` poll does).
 */
export const WAIT_POLL_MS = 20;

interface Waiter {
  readonly name: string;
  readonly position: bigint;
  /** Set by a local save at or past the position. */
  reached: boolean;
  /** Ends the current pause early. */
  wake: () => void;
}

/**
 * The waits of `waitForDurable` for one store instance: each polls the backend's stored cursor
 * (`readCursor`) every {@link WAIT_POLL_MS}, and cursor saves of this instance
 * ({@link DurableWaits.saved}) end a wait at once, without a read. Store-agnostic: a backend only
 * reads the cursor.
 */
export class DurableWaits {
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  /**
   * @param readCursor the stored cursor of a name, `null` when it has none
   * @param pollMs how often a wait reads it
   */
  constructor(
    private readonly readCursor: (name: string) => Promise<bigint | null>,
    private readonly pollMs = WAIT_POLL_MS,
  ) {}

  /**
   * Resolves once the cursor of `name` is at or past `position`.
   * @throws {@link WaitTimeoutError} after `timeoutMs`; the signal's reason when it is aborted;
   * {@link StoreClosedError} when {@link DurableWaits.close} is called meanwhile
   */
  async wait(name: string, position: bigint, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const deadline = performance.now() + timeoutMs;
    const waiter: Waiter = { name, position, reached: false, wake: () => {} };
    const onAbort = () => waiter.wake();
    signal?.addEventListener('abort', onAbort);
    this.waiters.add(waiter);
    try {
      for (;;) {
        if (this.closed) throw new StoreClosedError();
        if (!waiter.reached) {
          const cursor = await this.readCursor(name);
          if (cursor !== null && cursor >= position) waiter.reached = true;
        }
        signal?.throwIfAborted();
        if (this.closed) throw new StoreClosedError();
        if (waiter.reached) return;
        const left = deadline - performance.now();
        if (left <= 0) throw new WaitTimeoutError(name, position, timeoutMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(this.pollMs, left));
          waiter.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      this.waiters.delete(waiter);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Tells the waits that this instance saved the cursor of `name` at `position`. */
  saved(name: string, position: bigint): void {
    for (const waiter of this.waiters) {
      if (waiter.name !== name || position < waiter.position) continue;
      waiter.reached = true;
      waiter.wake();
    }
  }

  /** Makes every wait read its cursor now (another process may have saved one: the store's watch noticed a change). */
  poke(): void {
    for (const waiter of this.waiters) waiter.wake();
  }

  /** Ends every wait with {@link StoreClosedError}. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters) waiter.wake();
  }
}
