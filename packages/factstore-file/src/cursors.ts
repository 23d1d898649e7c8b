import { dirname } from 'node:path';
import { DurableStreamActiveError, DurableStreamQueryMismatchError } from 'factstore';
import { errorCode, readIfExists, syncDirectory, type FileSystem } from './file-system.js';
import { temporary, type Layout } from './layout.js';
import { FileLease, type Holder } from './lease.js';

/**
 * How old the heartbeat of a durable name's lease may get before another holder may take the
 * name (a holder that died on this host frees it at once). Renewed every second, so a name held
 * by a process that died is free within this bound plus one second, well within 5 s.
 */
export const DURABLE_LEASE_MS = 3000;

/** The content of `cursors/<name>.json`. */
interface CursorFile {
  /** The durable stream's name, exactly. */
  readonly name: string;
  /** Its canonical query (`canonicalQuery` of factstore). */
  readonly query: string;
  /** The position it has delivered up to (a batch end); a JSON number. */
  readonly position: number;
}

/** A durable name this store instance holds. */
interface Held {
  readonly name: string;
  readonly query: string;
  readonly file: string;
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
 * processes and store instances.
 *
 * - `cursors/<name>.json`: `{"name":…,"query":…,"position":…}`, replaced atomically (written to a
 *   temporary file, synced, renamed over the old one, the folder synced). Saves are coalesced: at
 *   most one write is under way per name, and a save that arrives meanwhile is written right after
 *   it with the newest position, so a replay never waits for a sync per page. `releaseDurable`
 *   (and so `unsubscribe` and `close`) waits until the last position is on disk. After a crash the
 *   cursor is where the last finished write left it: never past what was delivered, at most a
 *   page or two behind (those batches are delivered again).
 * - `cursors/<name>.lease`: a {@link FileLease} while a stream of this name runs.
 */
export class DurableCursors {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly files: FileSystem,
    private readonly layout: Layout,
    private readonly holder: Holder,
    private readonly sync: boolean,
  ) {}

  /** Takes the lease of `name` and returns its cursor, creating the cursor file for a new name. */
  async claim(name: string, canonicalQuery: string): Promise<bigint> {
    if (this.held.has(name)) throw new DurableStreamActiveError(name);
    const base = this.layout.cursorBase(name);
    const taken = FileLease.tryAcquire(this.files, `${base}.lease`, this.holder, DURABLE_LEASE_MS);
    if (!(taken instanceof FileLease)) throw new DurableStreamActiveError(name);
    try {
      const file = `${base}.json`;
      const stored = readCursor(this.files, file, name);
      if (stored && stored.query !== canonicalQuery) throw new DurableStreamQueryMismatchError(name);
      const position = stored?.position ?? 0;
      const held: Held = {
        name,
        query: canonicalQuery,
        file,
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

  /**
   * Saves a held name's cursor: written in the background right away, or right after the write
   * under way. Throws when the previous write failed or the lease was lost.
   */
  async save(name: string, position: bigint): Promise<void> {
    const held = this.held.get(name);
    if (!held) throw new Error(`durable stream ${JSON.stringify(name)} is not held by this store`);
    if (!held.lease.held()) throw new Error(`durable stream ${JSON.stringify(name)} is no longer held by this process (its lease expired)`);
    held.wanted = Number(position);
    const failure = held.failure;
    held.failure = undefined;
    held.writing ??= this.flush(held);
    if (failure !== undefined) throw failure;
  }

  /** Waits for the last save of `name` to be on disk, then frees the name (its cursor stays). */
  async release(name: string): Promise<void> {
    const held = this.held.get(name);
    if (!held) return;
    this.held.delete(name);
    try {
      await held.writing;
      if (held.written !== held.wanted) await this.write(held, held.wanted);
    } finally {
      held.lease.release();
    }
  }

  /** Renews the lease of every held name (every second). */
  renew(): void {
    for (const held of this.held.values()) {
      try {
        held.lease.renew();
      } catch {
        // a failed heartbeat is tried again in a second; the lease outlives three of them
      }
    }
  }

  /** Releases every held name, saving what is pending. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.held.keys()].map((name) => this.release(name)));
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
    // a lease not renewed for most of its length (this process was busy or paused) may pass to
    // another holder any moment: renew it first, which fails if it has passed already
    const late = Date.now() - held.lease.lastRenewed > DURABLE_LEASE_MS - 1000;
    if (!(late ? held.lease.renew() : held.lease.held())) {
      throw new Error(`durable stream ${JSON.stringify(held.name)} is no longer held by this process (its lease expired)`);
    }
    const content: CursorFile = { name: held.name, query: held.query, position };
    await replaceFile(this.files, held.file, Buffer.from(`${JSON.stringify(content)}\n`, 'utf8'), this.holder.holder, this.sync);
    held.written = position;
  }
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
