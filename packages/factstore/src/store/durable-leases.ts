import { randomUUID } from 'node:crypto';
import { DurableStreamActiveError } from '../errors.js';
import type { StoreBackend } from './backend.js';

/** How long a durable name stays held by a holder that stopped renewing it, in ms. */
export const LEASE_MS = 3000;

/** How often a holder renews the leases of the durable names it holds, in ms. */
export const HEARTBEAT_MS = 1000;

/**
 * The bookkeeping of the durable names one store instance holds, over the backend's lease
 * storage (`claimDurable`, `renewLeases`, `saveCursor`, `releaseDurable`): this instance's holder
 * id, the names it holds, the heartbeat that renews them, and their release at `close()`. Every
 * store shares it; a backend only stores leases.
 *
 * A name is marked held before the backend's claim starts, so two overlapping registrations of
 * one name on one instance cannot both win.
 */
export class DurableLeases {
  /** This store instance's holder id: unique per process and instance. */
  readonly holder = `${process.pid}:${randomUUID()}`;
  private readonly held = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly backend: Pick<StoreBackend, 'claimDurable' | 'renewLeases' | 'saveCursor' | 'releaseDurable'>,
    private readonly leaseMs = LEASE_MS,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  /**
   * Takes the name for this instance and returns its cursor.
   * @throws DurableStreamActiveError when this instance or another holder has it
   */
  async claim(name: string, canonicalQuery: string): Promise<bigint> {
    if (this.held.has(name)) throw new DurableStreamActiveError(name);
    this.held.add(name);
    try {
      const position = await this.backend.claimDurable(name, canonicalQuery, this.holder, this.leaseMs);
      this.heartbeat ??= setInterval(() => void this.renew(), this.heartbeatMs).unref();
      return position;
    } catch (error) {
      this.held.delete(name);
      throw error;
    }
  }

  /**
   * Stores a held name's cursor.
   * @throws Error when the name is no longer this instance's (its lease expired and passed on)
   */
  async save(name: string, position: bigint): Promise<void> {
    if (!(await this.backend.saveCursor(name, position, this.holder))) {
      throw new Error(`durable stream ${JSON.stringify(name)} is no longer held by this store (its lease expired)`);
    }
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
    await this.renewing;
    const names = [...this.held];
    this.held.clear();
    await Promise.allSettled(names.map((name) => this.backend.releaseDurable(name, this.holder)));
  }

  private renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return this.renewing ?? Promise.resolve();
    this.renewing = this.backend
      .renewLeases(this.holder, [...this.held])
      .catch(() => {
        // the next heartbeat tries again; a lease that expires meanwhile shows at the next cursor save
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
