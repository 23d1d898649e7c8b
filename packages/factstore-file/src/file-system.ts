import * as fs from 'node:fs';

/**
 * The file operations a {@link FileStore} performs, and nothing else: the store never imports
 * `node:fs` elsewhere. {@link nodeFileSystem} is the only implementation in use; the interface is
 * a **testing hook**, so that a test can open a store whose writes fail (a full disk, a failing
 * sync) through `openFileStore(path, options, fileSystem)` of `src/file-store.ts`. It is not
 * exported by the package.
 *
 * Operations that wait for the disk (writing a segment, syncing, truncating, renaming a cursor
 * file) are asynchronous; those that do not (small reads from the page cache, creating a lock
 * file, reading a file's size) are synchronous, so that the in-memory state of a store changes in
 * one step, never half.
 */
export interface FileSystem {
  /** `open(2)`; `flags` as `fs.openSync` takes them. */
  openSync(path: string, flags: string | number): number;
  closeSync(fd: number): void;
  /** `pread(2)`: up to `length` bytes at `position`; returns how many were read. */
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** `pwrite(2)`: up to `length` bytes at `position`; returns how many were written. */
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** The size (and inode) of an open file. */
  fstatSync(fd: number): { size: number; ino: number };
  /** The size, inode and modification time of a path, or `undefined` when it does not exist. */
  statSync(path: string): { size: number; ino: number; mtimeMs: number } | undefined;
  readFileSync(path: string): Buffer;
  readdirSync(path: string): string[];
  mkdirSync(path: string): void;
  unlinkSync(path: string): void;
  /** Creates `to` as a second name of `from`; fails with `EEXIST` when `to` exists. */
  linkSync(from: string, to: string): void;

  /** `pread(2)` for large reads: up to `length` bytes at `position`; resolves to how many were read. */
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** `pwrite(2)` for large writes: up to `length` bytes at `position`; resolves to how many were written. */
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** `fdatasync(2)`: the file's data (and its size) are on disk. */
  datasync(fd: number): Promise<void>;
  /** `fsync(2)`; for a directory: the names created or renamed in it are on disk. */
  fsync(fd: number): Promise<void>;
  /** `ftruncate(2)`. */
  truncate(fd: number, length: number): Promise<void>;
  /** `rename(2)`: atomic within one file system. */
  rename(from: string, to: string): Promise<void>;

  /**
   * Calls `onChange` when the file at `path` may have changed (`fs.watch`), not keeping the
   * process alive; `undefined` where that cannot be watched (missing file, unsupported platform).
   */
  watch(path: string, onChange: () => void): { close(): void } | undefined;
}

function promise<T>(run: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));
}

/** The real file system (`node:fs`). */
export const nodeFileSystem: FileSystem = {
  openSync: (path, flags) => fs.openSync(path, flags),
  closeSync: (fd) => fs.closeSync(fd),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  fstatSync: (fd) => fs.fstatSync(fd),
  statSync: (path) => fs.statSync(path, { throwIfNoEntry: false }),
  readFileSync: (path) => fs.readFileSync(path),
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path) => void fs.mkdirSync(path, { recursive: true }),
  unlinkSync: (path) => fs.unlinkSync(path),
  linkSync: (from, to) => fs.linkSync(from, to),
  read: (fd, buffer, offset, length, position) => promise<number>((done) => fs.read(fd, buffer, offset, length, position, done)),
  write: (fd, buffer, offset, length, position) => promise<number>((done) => fs.write(fd, buffer, offset, length, position, done)),
  datasync: (fd) => promise<void>((done) => fs.fdatasync(fd, done)),
  fsync: (fd) => promise<void>((done) => fs.fsync(fd, done)),
  truncate: (fd, length) => promise<void>((done) => fs.ftruncate(fd, length, done)),
  rename: (from, to) => promise<void>((done) => fs.rename(from, to, done)),
  watch: (path, onChange) => {
    try {
      const watcher = fs.watch(path, { persistent: false }, () => onChange());
      watcher.on('error', () => watcher.close());
      return watcher;
    } catch {
      return undefined;
    }
  },
};

/** The error code of a Node.js system error (`ENOENT`, `EEXIST`, …), or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Writes all of `buffer` at `position`, looping over short writes. */
export async function writeAll(files: FileSystem, fd: number, buffer: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < buffer.length;) {
    const written = await files.write(fd, buffer, done, buffer.length - done, position + done);
    if (written <= 0) throw new Error(`write returned ${written}`);
    done += written;
  }
}

/** Writes all of `buffer` at `position` synchronously, looping over short writes. */
export function writeAllSync(files: FileSystem, fd: number, buffer: Uint8Array, position: number): void {
  for (let done = 0; done < buffer.length;) {
    const written = files.writeSync(fd, buffer, done, buffer.length - done, position + done);
    if (written <= 0) throw new Error(`write returned ${written}`);
    done += written;
  }
}

/** Syncs a directory, so that the names created, renamed or removed in it survive a crash. */
export async function syncDirectory(files: FileSystem, path: string): Promise<void> {
  const fd = files.openSync(path, 'r');
  try {
    await files.fsync(fd);
  } finally {
    files.closeSync(fd);
  }
}

/** Reads a whole file, or `undefined` when it does not exist. */
export function readIfExists(files: FileSystem, path: string): Buffer | undefined {
  try {
    return files.readFileSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
