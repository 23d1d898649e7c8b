import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { errorCode, type FileSystem } from './file-system.js';
import { temporary } from './layout.js';

/**
 * Leases on files: the one mechanism behind the cross-process write lock (`write.lock`) and the
 * hold on a durable stream name (`cursors/<name>.lease`). Kept in this one file so that it can
 * move to a shared helper in factstore later.
 *
 * A lease is a small file, created exclusively (exactly one creator succeeds: a hard link of a
 * temporary file holding the content, which fails when the name exists, like `O_EXCL`; or
 * `open(path, 'wx')` where links are not supported), holding one JSON line:
 *
 * ```json
 * {"holder":"4242:6f1c…","pid":4242,"host":"box","heartbeat":1767225600000}
 * ```
 *
 * The holder rewrites the line in place with a new `heartbeat` (ms since the epoch) while it
 * holds the lease, and removes the file to release it. A lease is **stale**, and may be broken by
 * anyone, when its heartbeat is older than the lease's bound, or when it was taken on this host by
 * a process that no longer runs (`process.kill(pid, 0)`); a file that cannot be read as a lease
 * (being created without links, or torn by a rewrite) is judged by its modification time. Breaking is itself serialised by a
 * second `O_EXCL` file, `<path>.break`, so that two processes breaking one stale lease at once
 * cannot remove a lease the other has just taken: under it, the breaker reads the lease again and
 * removes it only if it is still stale.
 */

/** Who holds leases: one per store instance (two instances in one process are two holders). */
export interface Holder {
  /** `<pid>:<uuid>`, unique across processes and instances. */
  readonly holder: string;
  readonly pid: number;
  readonly host: string;
}

/** The content of a lease file. */
export interface LeaseContent extends Holder {
  /** When the holder last renewed the lease, in ms since the epoch. */
  readonly heartbeat: number;
}

/** A new holder identity for this process. */
export function newHolder(): Holder {
  return { holder: `${process.pid}:${randomUUID()}`, pid: process.pid, host: hostname() };
}

/** How old a `.break` file may get before another process may remove it (its holder died while breaking). */
const BREAKER_STALE_MS = 2000;

/** A lease this holder has. */
export class FileLease {
  private constructor(
    private readonly files: FileSystem,
    /** The lease file. */
    readonly path: string,
    private readonly holder: Holder,
    private fd: number | undefined,
    private readonly ino: number,
    /** When this holder last wrote its heartbeat. */
    private renewedAt: number,
  ) {}

  /**
   * Takes the lease at `path`, or tells who holds it. A stale lease is broken first.
   * @param staleMs how old a heartbeat may get before the lease counts as abandoned
   */
  static tryAcquire(files: FileSystem, path: string, holder: Holder, staleMs: number): FileLease | { heldBy: LeaseContent | undefined } {
    for (let attempt = 0; attempt < 3; attempt++) {
      const lease = FileLease.create(files, path, holder);
      if (lease) return lease;
      const current = readLease(files, path);
      if (current === 'missing') continue; // released between our attempt and our look: try again
      if (!isStale(current, staleMs)) return { heldBy: current.content };
      breakStale(files, path, staleMs);
    }
    const current = readLease(files, path);
    return { heldBy: current === 'missing' ? undefined : current.content };
  }

  /**
   * Creates the lease file with its content in one step: the content goes to a temporary file,
   * which is then hard-linked to the lease's name (`link(2)` fails with `EEXIST` when the name
   * exists, just as `open` with `O_EXCL` does), so a lease file is never seen empty, even when
   * its creator is killed halfway. Where hard links are not supported, `O_EXCL` and a write.
   */
  private static create(files: FileSystem, path: string, holder: Holder): FileLease | undefined {
    const now = Date.now();
    const temp = temporary(path, holder.holder);
    const fd = files.openSync(temp, 'wx');
    let linked = false;
    try {
      writeContent(files, fd, { ...holder, heartbeat: now });
      try {
        files.linkSync(temp, path);
        linked = true;
      } catch (error) {
        if (errorCode(error) === 'EEXIST') return undefined;
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errorCode(error) ?? '')) throw error;
        return FileLease.createExclusive(files, path, holder);
      }
      return new FileLease(files, path, holder, fd, files.fstatSync(fd).ino, now);
    } finally {
      files.unlinkSync(temp);
      if (!linked) files.closeSync(fd);
    }
  }

  private static createExclusive(files: FileSystem, path: string, holder: Holder): FileLease | undefined {
    let fd: number;
    try {
      fd = files.openSync(path, 'wx');
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return undefined;
      throw error;
    }
    try {
      const now = Date.now();
      writeContent(files, fd, { ...holder, heartbeat: now });
      return new FileLease(files, path, holder, fd, files.fstatSync(fd).ino, now);
    } catch (error) {
      // a lease file we could not fill (disk full) must not stay behind
      files.closeSync(fd);
      files.unlinkSync(path);
      throw error;
    }
  }

  /** When this holder last renewed (or took) the lease, ms since the epoch. */
  get lastRenewed(): number {
    return this.renewedAt;
  }

  /** Whether the file at the path is still this lease (nobody broke it). */
  held(): boolean {
    if (this.fd === undefined) return false;
    const stat = this.files.statSync(this.path);
    return stat !== undefined && stat.ino === this.ino;
  }

  /** Writes a new heartbeat; false (and nothing written) when the lease was broken meanwhile. */
  renew(): boolean {
    if (!this.held()) return false;
    const now = Date.now();
    writeContent(this.files, this.fd as number, { ...this.holder, heartbeat: now });
    this.renewedAt = now;
    return true;
  }

  /** Removes the lease file, if it is still this lease. Harmless when called twice. */
  release(): void {
    if (this.fd === undefined) return;
    try {
      if (this.held()) this.files.unlinkSync(this.path);
    } finally {
      this.files.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

function writeContent(files: FileSystem, fd: number, content: LeaseContent): void {
  // the same length every time (the heartbeat has 13 digits until the year 2286): an in-place rewrite
  const bytes = Buffer.from(`${JSON.stringify(content)}\n`, 'utf8');
  files.writeSync(fd, bytes, 0, bytes.length, 0);
}

type Read = 'missing' | { content: LeaseContent | undefined; mtimeMs: number };

/** The lease file's content (`undefined` while it is being written), or `'missing'`. */
export function readLease(files: FileSystem, path: string): Read {
  let text: Buffer;
  let mtimeMs: number;
  try {
    const stat = files.statSync(path);
    if (stat === undefined) return 'missing';
    mtimeMs = stat.mtimeMs;
    text = files.readFileSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const value = JSON.parse(text.toString('utf8')) as Partial<LeaseContent>;
    if (
      typeof value.holder === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.heartbeat === 'number'
    ) {
      return { content: value as LeaseContent, mtimeMs };
    }
  } catch {
    // being written, or torn by a rewrite racing this read: judged by its age
  }
  return { content: undefined, mtimeMs };
}

/** Whether a lease's holder has stopped renewing it (or is a process of this host that is gone). */
export function isStale(lease: { content: LeaseContent | undefined; mtimeMs: number }, staleMs: number, now = Date.now()): boolean {
  const { content } = lease;
  if (content === undefined) return now - lease.mtimeMs > staleMs;
  if (content.host === hostname() && !processRuns(content.pid)) return true;
  return now - content.heartbeat > staleMs;
}

/** Whether a process with this pid runs on this host. */
export function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM'; // it runs, as another user
  }
}

/** Removes the lease at `path` if it is stale, serialised with other breakers by `<path>.break`. */
function breakStale(files: FileSystem, path: string, staleMs: number): void {
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = files.openSync(breaker, 'wx');
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    // another process is breaking it right now; if that one died doing so, clear its breaker
    const stat = files.statSync(breaker);
    if (stat && Date.now() - stat.mtimeMs > BREAKER_STALE_MS) {
      try {
        files.unlinkSync(breaker);
      } catch (unlinkError) {
        if (errorCode(unlinkError) !== 'ENOENT') throw unlinkError;
      }
    }
    return;
  }
  try {
    const current = readLease(files, path);
    if (current !== 'missing' && isStale(current, staleMs)) files.unlinkSync(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  } finally {
    files.closeSync(fd);
    files.unlinkSync(breaker);
  }
}
