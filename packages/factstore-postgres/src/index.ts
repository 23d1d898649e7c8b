/**
 * factstore-postgres: the PostgreSQL factstore.
 * @packageDocumentation
 */
export { PostgresStore, type PostgresConnection } from './postgres-store.js';
export { PostgresStoreOptions } from './options.js';
