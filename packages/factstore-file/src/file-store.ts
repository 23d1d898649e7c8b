import { resolve } from 'node:path';
import { BackendFailureError } from 'factstore';
import { EventStoreBase } from 'factstore/backend';
import { FileBackend } from './file-backend.js';
import { nodeFileSystem, type FileSystem } from './file-system.js';
import { validateOpen, type FileStoreOptions } from './options.js';

let construct: (backend: FileBackend, options: Required<FileStoreOptions>) => FileStore;

/**
 * The file factstore: the whole contract on plain files in one folder: JSON Lines segments, one
 * event per line, readable with `grep`, `jq` and `tail -f`. Persistent and durable (an append
 * resolves once its bytes are synced), safe for several processes on one machine (writes are
 * serialised by a lock file; streams see the other processes' commits within a poll interval),
 * no native code. Queries are answered from an in-memory index rebuilt at open (event types, and
 * top-level scalar payload values of the keys queries use), reading the few lines they need.
 *
 * @example
 * ```ts
 * import { FileStore } from 'factstore-file';
 *
 * const store = await FileStore.open('data/facts');
 * await store.append([{ eventType: 'account-opened', payload: { accountId: 'a1' } }]);
 * const { eventRecords } = await store.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] });
 * await store.close();
 * ```
 */
export class FileStore extends EventStoreBase {
  static {
    construct = (backend, options) => new FileStore(backend, options);
  }

  /** The absolute path of the store's folder. */
  readonly path: string;

  private constructor(backend: FileBackend, options: Required<FileStoreOptions>) {
    super(backend, options);
    this.path = backend.path;
  }

  /**
   * Opens the store in the folder at `path`, creating missing folders and, for a missing or empty
   * folder, a new store. The log is read into the in-memory index (about a second per million
   * events).
   * @throws {@link InvalidInputError} for bad arguments, {@link BackendFailureError} (with `cause`)
   * when the folder cannot be used: a path that is a file, a folder that is not empty and holds no
   * store, a store of a newer format (left unchanged), a place that cannot be written, a damaged log.
   */
  static async open(path: string, options?: FileStoreOptions): Promise<FileStore> {
    return openFileStore(path, options);
  }
}

/**
 * {@link FileStore.open} with the file operations going through `fileSystem`: a **testing hook**
 * (to make writes fail as a full disk would), not exported by the package.
 */
export async function openFileStore(path: string, options?: FileStoreOptions, fileSystem: FileSystem = nodeFileSystem): Promise<FileStore> {
  const valid = validateOpen(path, options);
  const folder = resolve(valid.path);
  let backend: FileBackend;
  try {
    backend = await FileBackend.open(folder, valid.options, fileSystem);
  } catch (error) {
    throw new BackendFailureError(`cannot open file store folder ${folder}`, error);
  }
  return construct(backend, valid.options);
}
