import type { StoreAdapter } from './adapter.js';
import { describeExitAfterClose } from './exit-after-close.js';
import { describeGroupCommit } from './group-commit.js';
import { describeLeaseFencing } from './lease-fencing.js';
import { describeMultiProcess } from './multi-process.js';
import { describePersistence } from './persistence.js';
import { describeProjection } from './projection.js';
import { describeSameAsMemory } from './same-as-memory.js';
import { describeCrossProcessWait } from './wait-for-durable.js';

export type { Location, RawBatch, RawCursor, RawEvent, RawLog, StoreAdapter, StoreSpec } from './adapter.js';
export { checkLogInvariants, range, type CheckedLog } from './invariants.js';
export { credited, eventually, opened, positions, sleep } from './helpers.js';
export { smallDisk, type RemoteError, type SmallDisk } from './small-disk.js';
export { PROCESSES, storeChild, killChildren } from './processes.js';
export { withStoreOptions, type ProjectingStore, type ProjectionAdapter, type SqlRow } from './projection.js';
export {
  describeCrossProcessWait,
  describeExitAfterClose,
  describeGroupCommit,
  describeLeaseFencing,
  describeMultiProcess,
  describePersistence,
  describeProjection,
  describeSameAsMemory,
};

/**
 * Declares every suite of the store test kit for one persistent store (Jest globals): the tests
 * every persistent store needs, written once against its {@link StoreAdapter}.
 *
 * @example
 * ```ts
 * // packages/factstore-sqlite/test/store-kit.test.ts
 * import { describeStoreKit } from 'factstore-test-support';
 * import { sqliteAdapter } from './adapter.js';
 *
 * describeStoreKit(sqliteAdapter);
 * ```
 */
export function describeStoreKit(adapter: StoreAdapter): void {
  describeSameAsMemory(adapter);
  describeGroupCommit(adapter);
  describePersistence(adapter);
  describeExitAfterClose(adapter);
  describeMultiProcess(adapter);
  describeLeaseFencing(adapter);
  describeCrossProcessWait(adapter);
}
