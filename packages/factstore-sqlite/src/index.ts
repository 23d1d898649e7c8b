/**
 * factstore-sqlite: the SQLite factstore, embedded and persistent.
 * @packageDocumentation
 */
export { SqliteStore } from './store.js';
export { SqliteStoreOptions } from './options.js';
export type { SqliteTransaction, SqliteValue } from './projection.js';
