import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { DurableStreamActiveError, DurableStreamQueryMismatchError } from 'factstore';
import { errorCode, readIfExists, syncDirectory, type FileSystem } from './file-system.js';
import { temporary, type Layout } from './layout.js';
import { FileLease, isStale, readLease, type Holder } from './lease.js';
import type { CursorState, StoredCursor } from 'factstore/backend';

/** The content of `cursors/<name>.json`. */
interface CursorFile {
  /** The durable stream's name, exactly. */
  readonly name: string;
  /** Its canonical query (`canonicalQuery` of factstore). */
  readonly query: string;
  /** The position it has delivered up to (a batch end); a JSON number. */
  readonly position: number;
}

/** A durable name a holder of this store instance holds. */
interface Held {
  readonly name: string;
  readonly query: string;
  readonly file: string;
  readonly holder: string;
  readonly lease: FileLease;
  /** The position asked to be saved last. */
  wanted: number;
  /** The position on disk. */
  written: number;
  /** The write under way, if any. */
  writing: Promise<void> | undefined;
  /** Why the last write failed (reported by the next save), if it did. */
  failure: unknown;
}

/**
 * Durable stream cursors, one file per name, and the leases that make a name exclusive across
 * processes and store instances. Only the storage: the holder's bookkeeping (heartbeats, the
 * fence) is factstore's `DurableLeases`.
 *
 * - `cursors/<name>.json`: `{"name":…,"query":…,"position":…}`, replaced atomically (written to a
 *   temporary file, synced, renamed over the old one, the folder synced). A save resolves once its
 *   position is on disk; saves are coalesced: at most one write is under way per name, and saves
 *   that arrive meanwhile are written together right after it with the newest position. After a
 *   crash the cursor is where the last finished write left it: never past what was delivered.
 *   Every write checks first that the lease is still the holder's.
 * - `cursors/<name>.lease`: a {@link FileLease} (holder, pid, host, heartbeat) while a stream of
 *   this name runs; stale once its heartbeat is older than the claimer's `leaseMs`, or at once
 *   when its process (on this host) is gone.
 */
export class DurableCursors {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly files: FileSystem,
    private readonly layout: Layout,
    private readonly sync: boolean,
  ) {}

  /** Takes the lease of `name` for `holder` and returns its cursor, creating the cursor file for a new name. */
  async claim(name: string, canonicalQuery: string, holder: string, leaseMs: number): Promise<bigint> {
    const mine = this.held.get(name);
    if (mine) {
      if (mine.holder !== holder || !mine.lease.held()) throw new DurableStreamActiveError(name);
      // the same holder again (it gave the name up in its own books): take it afresh
      await this.release(name, holder);
    }
    const base = this.layout.cursorBase(name);
    const taken = FileLease.tryAcquire(this.files, `${base}.lease`, leaseHolder(holder), leaseMs);
    if (!(taken instanceof FileLease)) throw new DurableStreamActiveError(name);
    try {
      const file = `${base}.json`;
      const stored = readCursor(this.files, file, name);
      if (stored && stored.query !== canonicalQuery) throw new DurableStreamQueryMismatchError(name, stored.query, canonicalQuery);
      const position = stored?.position ?? 0;
      const held: Held = {
        name,
        query: canonicalQuery,
        file,
        holder,
        lease: taken,
        wanted: position,
        written: position,
        writing: undefined,
        failure: undefined,
      };
      if (!stored) await this.write(held, 0);
      this.held.set(name, held);
      return BigInt(position);
    } catch (error) {
      taken.release();
      throw error;
    }
  }

  /** Renews the leases of `names` that `holder` still holds; returns those names. */
  renew(holder: string, names: readonly string[]): string[] {
    const still: string[] = [];
    let failure: unknown;
    for (const name of names) {
      const held = this.held.get(name);
      if (!held || held.holder !== holder) continue;
      try {
        if (held.lease.renew()) still.push(name);
        else this.drop(held);
      } catch (error) {
        // not renewed this time (a full disk): still held if the file is still this lease
        failure = error;
        if (held.lease.held()) still.push(name);
      }
    }
    if (failure !== undefined && still.length === 0) throw failure;
    return still;
  }

  /**
   * Saves a held name's cursor and renews its lease; resolves once the position is on disk (a save
   * that arrives while another is written joins the next write, with the newest position). False
   * when the lease is not the holder's any more (nothing written); throws when the write failed.
   */
  async save(name: string, position: bigint, holder: string): Promise<boolean> {
    const held = this.held.get(name);
    if (!held || held.holder !== holder) return false;
    if (!held.lease.renew()) {
      this.drop(held);
      return false;
    }
    held.wanted = Number(position);
    held.writing ??= this.flush(held);
    await held.writing;
    const failure = held.failure;
    held.failure = undefined;
    if (failure !== undefined) throw failure;
    return true;
  }

  /** The cursor of `name` as its file holds it (whichever process wrote it), `null` when it has none. */
  read(name: string): bigint | null {
    const stored = readCursor(this.files, `${this.layout.cursorBase(name)}.json`, name);
    return stored === undefined ? null : BigInt(stored.position);
  }

  /** Waits for the last save of `name` to be on disk, then frees the name (its cursor stays). */
  async release(name: string, holder: string): Promise<void> {
    const held = this.held.get(name);
    if (!held || held.holder !== holder) return;
    this.held.delete(name);
    try {
      await held.writing;
      if (held.written !== held.wanted && held.lease.held()) await this.write(held, held.wanted);
    } finally {
      held.lease.release();
    }
  }

  /**
   * Every stored cursor, by name, with its lease (leased: the lease file is there and not older
   * than `leaseMs`, its process alive).
   */
  list(leaseMs: number): CursorState[] {
    const out: CursorState[] = [];
    for (const entry of this.files.readdirSync(this.layout.cursors)) {
      if (!entry.endsWith('.json')) continue;
      const file = join(this.layout.cursors, entry);
      const text = readIfExists(this.files, file);
      if (text === undefined) continue;
      const { name, query, position } = JSON.parse(text.toString('utf8')) as CursorFile;
      const lease = readLease(this.files, `${file.slice(0, -'.json'.length)}.lease`);
      const leased = lease !== 'missing' && !isStale(lease, leaseMs);
      out.push({ name, query, position: BigInt(position), holder: lease === 'missing' ? null : (lease.content?.holder ?? null), leased });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Writes the cursor files of `cursors` (no lease) when there is no cursor yet.
   * @returns false when there is one (nothing written)
   */
  async importAll(cursors: readonly StoredCursor[], holder: string): Promise<boolean> {
    if (this.files.readdirSync(this.layout.cursors).some((entry) => entry.endsWith('.json'))) return false;
    for (const { name, query, position } of cursors) {
      const content: CursorFile = { name, query, position: Number(position) };
      await replaceFile(
        this.files,
        `${this.layout.cursorBase(name)}.json`,
        Buffer.from(`${JSON.stringify(content)}\n`, 'utf8'),
        holder,
        this.sync,
      );
    }
    return true;
  }

  /** Releases every held name, saving what is pending. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.held.values()].map((held) => this.release(held.name, held.holder)));
  }

  /** Forgets a name whose lease passed to another holder (its file is theirs now). */
  private drop(held: Held): void {
    if (this.held.get(held.name) === held) this.held.delete(held.name);
    held.lease.release(); // closes the descriptor only: the file is no longer this lease
  }

  private async flush(held: Held): Promise<void> {
    try {
      while (held.written !== held.wanted) {
        try {
          await this.write(held, held.wanted);
        } catch (error) {
          held.failure = error;
          return;
        }
      }
    } finally {
      held.writing = undefined;
    }
  }

  private async write(held: Held, position: number): Promise<void> {
    if (!held.lease.held()) {
      throw new Error(`durable stream ${JSON.stringify(held.name)} is no longer held by this store (its lease passed on)`);
    }
    const content: CursorFile = { name: held.name, query: held.query, position };
    await replaceFile(this.files, held.file, Buffer.from(`${JSON.stringify(content)}\n`, 'utf8'), held.holder, this.sync);
    held.written = position;
  }
}

/** The lease file's holder: factstore's holder id, with this process and host (a dead process frees its names at once). */
function leaseHolder(holder: string): Holder {
  return { holder, pid: process.pid, host: hostname() };
}

/** A cursor file's content, `undefined` when there is none. */
function readCursor(files: FileSystem, file: string, name: string): CursorFile | undefined {
  const text = readIfExists(files, file);
  if (text === undefined) return undefined;
  let value: Partial<CursorFile>;
  try {
    value = JSON.parse(text.toString('utf8')) as Partial<CursorFile>;
  } catch (error) {
    throw new Error(`the cursor file ${file} is not JSON`, { cause: error });
  }
  if (
    value.name !== name ||
    typeof value.query !== 'string' ||
    typeof value.position !== 'number' ||
    !Number.isSafeInteger(value.position)
  ) {
    throw new Error(`the cursor file ${file} is not a cursor of ${JSON.stringify(name)}`);
  }
  return value as CursorFile;
}

/** Replaces `path` atomically: a temporary file, synced, renamed over it, the folder synced. */
export async function replaceFile(files: FileSystem, path: string, content: Buffer, holder: string, sync: boolean): Promise<void> {
  const temp = temporary(path, holder);
  const fd = files.openSync(temp, 'w');
  try {
    try {
      files.writeSync(fd, content, 0, content.length, 0);
      if (sync) await files.fsync(fd);
    } finally {
      files.closeSync(fd);
    }
    await files.rename(temp, path);
  } catch (error) {
    try {
      files.unlinkSync(temp);
    } catch (unlinkError) {
      if (errorCode(unlinkError) !== 'ENOENT') throw unlinkError;
    }
    throw error;
  }
  if (sync) await syncDirectory(files, dirname(path));
}
