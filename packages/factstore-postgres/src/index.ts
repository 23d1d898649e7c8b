/**
 * factstore-postgres: the PostgreSQL factstore.
 * @packageDocumentation
 */
export { PostgresStore } from './store.js';
export type { PostgresConnection } from './connection.js';
export { PostgresStoreOptions } from './options.js';
export type { PostgresTransaction } from './projection.js';
