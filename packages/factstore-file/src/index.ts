/**
 * factstore-file: the file factstore, persistent on plain JSON Lines files in one folder, safe
 * for several processes on one machine, no native code.
 * @packageDocumentation
 */
export { FileStore } from './file-store.js';
export { FileStoreOptions } from './options.js';
