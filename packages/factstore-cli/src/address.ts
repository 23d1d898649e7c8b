import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidInputError, type EventStore } from 'factstore';

/** Where a store is: its kind and what its package's `open`/`connect` takes. */
export type StoreAddress =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string | undefined }
  | { readonly kind: 'file'; readonly path: string };

/**
 * Reads a store address:
 * - `sqlite:<path>`, or a path ending in `.db`, `.sqlite` or `.sqlite3`: a SQLite store;
 * - `postgres://…` or `postgresql://…`: a PostgreSQL store, its schema from `?schema=` (else
 *   PostgresStore's default, `factstore`);
 * - `file:<folder>`: a file store.
 * @throws {@link InvalidInputError} for anything else
 */
export function parseAddress(address: string): StoreAddress {
  if (address.startsWith('sqlite:')) return { kind: 'sqlite', path: resolve(nonEmpty(address.slice('sqlite:'.length), address)) };
  if (address.startsWith('file:')) return { kind: 'file', path: resolve(nonEmpty(address.slice('file:'.length), address)) };
  if (/^postgres(ql)?:\/\//.test(address)) {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw bad(address, 'is not a valid URL');
    }
    const schema = url.searchParams.get('schema') ?? undefined;
    // postgres.js would send an unknown parameter to the server as a setting
    url.searchParams.delete('schema');
    return { kind: 'postgres', url: url.toString(), schema };
  }
  if (/\.(db|sqlite3?)$/i.test(address)) return { kind: 'sqlite', path: resolve(address) };
  throw bad(address, 'is not a store address: use sqlite:<path> (or a path ending in .db or .sqlite), postgres://… or file:<folder>');
}

/** The address as the user may read it back: PostgreSQL URLs without their password. */
export function describeAddress(address: StoreAddress): string {
  if (address.kind !== 'postgres') return `${address.kind}:${address.path}`;
  const url = new URL(address.url);
  if (url.password) url.password = '***';
  return `${url.toString()}${address.schema ? ` (schema ${address.schema})` : ''}`;
}

/** How a store is opened. */
export interface OpenOptions {
  /** Refuse a SQLite file or store folder that does not exist yet (rather than creating an empty store). */
  readonly mustExist?: boolean;
}

/**
 * Opens the store at `address` with its package, loaded when needed (`factstore-sqlite`,
 * `factstore-postgres`, `factstore-file` are optional peer dependencies: install the ones you use).
 * @throws {@link CliError} `MISSING_PACKAGE` when the package is not installed, `STORE_NOT_FOUND`
 *   with `mustExist` for a missing file or folder; the store's own errors when it cannot be opened
 */
export async function openStore(address: string | StoreAddress, options: OpenOptions = {}): Promise<EventStore> {
  const where = typeof address === 'string' ? parseAddress(address) : address;
  // the package first: a missing package is the first thing to fix
  const exists = () => {
    if (options.mustExist && where.kind !== 'postgres' && !existsSync(where.path)) {
      throw new CliError('STORE_NOT_FOUND', `there is no store at ${describeAddress(where)}`);
    }
  };
  switch (where.kind) {
    case 'sqlite': {
      const { SqliteStore } = await load<typeof import('factstore-sqlite')>('factstore-sqlite', 'factstore-sqlite sqlite3', 'sqlite:');
      exists();
      return SqliteStore.open(where.path);
    }
    case 'postgres': {
      const { PostgresStore } = await load<typeof import('factstore-postgres')>('factstore-postgres', 'factstore-postgres', 'postgres:');
      return PostgresStore.connect(where.url, where.schema === undefined ? {} : { schema: where.schema });
    }
    case 'file': {
      const { FileStore } = await load<typeof import('factstore-file')>('factstore-file', 'factstore-file', 'file:');
      exists();
      return FileStore.open(where.path);
    }
  }
}

/** An error of the command line itself (not of a store), with a stable code like the stores' errors. */
export class CliError extends Error {
  constructor(
    /** `USAGE`, `MISSING_PACKAGE`, `STORE_NOT_FOUND`, `BAD_EXPORT`. */
    readonly code: 'USAGE' | 'MISSING_PACKAGE' | 'STORE_NOT_FOUND' | 'BAD_EXPORT',
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

async function load<T>(name: string, install: string, scheme: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError('MISSING_PACKAGE', `install ${install} to open ${scheme} addresses (npm install ${install})`);
    }
    throw error;
  }
}

function nonEmpty(path: string, address: string): string {
  if (path.length === 0) throw bad(address, 'names no path');
  return path;
}

function bad(address: string, message: string): InvalidInputError {
  return new InvalidInputError([{ path: 'address', message: `${JSON.stringify(address)} ${message}` }]);
}
