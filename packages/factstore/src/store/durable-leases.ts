import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DurableStreamActiveError, DurableStreamLeaseLostError } from '../errors.js';
import type { StoreBackend } from './backend.js';

/** How long a durable name stays held by a holder that stopped renewing it, in ms (the default). */
export const LEASE_MS = 3000;

/** How often a holder renews its leases, as a fraction of the lease length. */
const HEARTBEATS_PER_LEASE = 3;

/** The default heartbeat: how often a holder renews the leases of the durable names it holds, in ms. */
export const HEARTBEAT_MS = LEASE_MS / HEARTBEATS_PER_LEASE;

/** The part of a lease a holder keeps back: it stops starting handler calls this long before its lease can end. */
const SAFETY = 1 / 3;

/** How long a stream waits between tries to renew a lease it could not renew, in ms. */
const RETRY_MS = 50;

interface Held {
  /** When the last claim or renewal that succeeded for this name started, on this process's monotonic clock. */
  renewedAt: number;
  /** Told when the name passed to another holder. */
  readonly onLost: (error: DurableStreamLeaseLostError) => void;
}

/**
 * The bookkeeping of the durable names one store instance holds, over the backend's lease
 * storage (`claimDurable`, `renewLeases`, `saveCursor`, `releaseDurable`): this instance's holder
 * id, the names it holds, the heartbeat that renews them, the fence, and their release at
 * `close()`. Every store shares it; a backend only stores leases.
 *
 * The fence: a lease lasts `leaseMs` from the moment its claim or renewal was sent. Another
 * holder can take the name only after that. This holder measures the same time on its own
 * monotonic clock and counts a name as held only until `leaseMs` minus a safety margin (a third)
 * after the start of its last successful renewal; past that, {@link DurableLeases.confirm}
 * renews first, and a stream starts no handler call until it has. A paused process therefore
 * never delivers once its lease may have passed on: when it runs again it finds the name taken
 * (`DurableStreamLeaseLostError`) or still its own.
 *
 * A name is marked held before the backend's claim starts, so two overlapping registrations of
 * one name on one instance cannot both win.
 */
export class DurableLeases {
  /** This store instance's holder id: unique per process and instance. */
  readonly holder = `${process.pid}:${randomUUID()}`;
  private readonly held = new Map<string, Held>();
  private readonly claiming = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly backend: Pick<StoreBackend, 'claimDurable' | 'renewLeases' | 'saveCursor' | 'saveCursorWith' | 'releaseDurable'>,
    /** The lease length, in ms. */
    readonly leaseMs = LEASE_MS,
  ) {}

  /**
   * Takes the name for this instance and returns its cursor.
   * @param onLost called when the name later passes to another holder
   * @throws DurableStreamActiveError when this instance or another holder has it
   */
  async claim(name: string, canonicalQuery: string, onLost: (error: DurableStreamLeaseLostError) => void = () => {}): Promise<bigint> {
    if (this.held.has(name) || this.claiming.has(name)) throw new DurableStreamActiveError(name);
    this.claiming.add(name);
    try {
      const started = performance.now();
      const position = await this.backend.claimDurable(name, canonicalQuery, this.holder, this.leaseMs);
      this.held.set(name, { renewedAt: started, onLost });
      this.heartbeat ??= setInterval(() => void this.renew().catch(() => {}), this.leaseMs / HEARTBEATS_PER_LEASE).unref();
      return position;
    } finally {
      this.claiming.delete(name);
    }
  }

  /** Whether this instance may start a handler call for the name now: it holds it, renewed recently enough. */
  isFresh(name: string): boolean {
    const held = this.held.get(name);
    return held !== undefined && performance.now() - held.renewedAt < this.leaseMs * (1 - SAFETY);
  }

  /**
   * Makes sure the name is still this instance's before a handler call: renews when the last
   * renewal is too old, and keeps trying while the database cannot be reached.
   * @returns true once renewed, false when the name passed to another holder or `stopped()` turned true
   */
  async confirm(name: string, stopped: () => boolean): Promise<boolean> {
    for (;;) {
      if (!this.held.has(name) || stopped()) return false;
      if (this.isFresh(name)) return true;
      try {
        await this.renew();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /**
   * Stores a held name's cursor (which renews its lease).
   * @throws DurableStreamLeaseLostError when the name is no longer this instance's
   */
  save(name: string, position: bigint): Promise<void> {
    return this.saved(name, () => this.backend.saveCursor(name, position, this.holder));
  }

  /**
   * Runs `work` and stores the held name's cursor in one transaction of the backend
   * (`saveCursorWith`), which checks the hold inside it: a holder that lost the name commits nothing.
   * @throws DurableStreamLeaseLostError when the name is no longer this instance's (`work` did not run);
   *   what `work` throws, after the backend rolled everything back
   */
  async saveWith(name: string, position: bigint, work: (tx: unknown) => Promise<void>): Promise<void> {
    const saveWith = this.backend.saveCursorWith?.bind(this.backend);
    if (!saveWith) throw new TypeError('this store has no transactional cursor save (saveCursorWith)');
    return this.saved(name, () => saveWith(name, position, this.holder, work));
  }

  /** Runs a cursor save; renews the name's freshness when it held, loses the name when not. */
  private async saved(name: string, saving: () => Promise<boolean>): Promise<void> {
    const started = performance.now();
    if (await saving()) {
      const held = this.held.get(name);
      if (held) held.renewedAt = Math.max(held.renewedAt, started);
      return;
    }
    const error = new DurableStreamLeaseLostError(name);
    this.lose(name, error);
    throw error;
  }

  /** Frees a held name; its cursor stays. */
  async release(name: string): Promise<void> {
    if (!this.held.delete(name)) return;
    if (this.held.size === 0) this.stopHeartbeat();
    await this.backend.releaseDurable(name, this.holder);
  }

  /** Stops the heartbeat and frees every name still held (called once every stream has stopped). */
  async close(): Promise<void> {
    this.stopHeartbeat();
    await this.renewing?.catch(() => {});
    const names = [...this.held.keys()];
    this.held.clear();
    await Promise.allSettled(names.map((name) => this.backend.releaseDurable(name, this.holder)));
  }

  /** Renews every held name (one renewal at a time); names the backend no longer has for this holder are lost. */
  private renew(): Promise<void> {
    if (this.renewing) return this.renewing;
    if (this.held.size === 0) return Promise.resolve();
    const started = performance.now();
    const names = [...this.held.keys()];
    this.renewing = this.backend
      .renewLeases(this.holder, names)
      .then((kept) => {
        const still = new Set(kept);
        for (const name of names) {
          const held = this.held.get(name);
          if (!held) continue;
          if (still.has(name)) held.renewedAt = Math.max(held.renewedAt, started);
          else this.lose(name, new DurableStreamLeaseLostError(name));
        }
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  private lose(name: string, error: DurableStreamLeaseLostError): void {
    const held = this.held.get(name);
    if (!held) return;
    this.held.delete(name);
    if (this.held.size === 0) this.stopHeartbeat();
    held.onLost(error);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
