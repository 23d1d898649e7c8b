// A narrowly scoped guard against one crash of postgres.js 3.4.x (porsager/postgres#1208, #1154,
// fixed upstream but unreleased): when a connection closes at the wrong moment, a write the driver
// deferred with setImmediate runs after the socket was dropped and throws `TypeError: Cannot read
// properties of null (reading 'write')` from `nextWrite`, outside any promise: an uncaught exception
// that would end the process. Nothing a caller does can catch it, and a pool terminated by the
// server (a restart, `pg_terminate_backend`, a failover) reaches it.
//
// While a store is open, an `uncaughtException` listener drops exactly that error (its query then
// fails within the store's `callTimeoutMs`, like any query on a lost connection) and leaves every
// other error as it was: when no other listener handles uncaught exceptions, it gives the error back
// to Node, which ends the process as it would have without the guard.

let openStores = 0;

/** Whether `error` is the driver's deferred write on a dropped socket, and nothing else. */
export function isDriverNullWrite(error: unknown): boolean {
  if (!(error instanceof TypeError) || !/reading 'write'/.test(error.message)) return false;
  const stack = error.stack ?? '';
  return /\bnextWrite\b/.test(stack) && /postgres[\\/](cjs[\\/])?src[\\/]connection\.js/.test(stack);
}

function onUncaught(error: unknown): void {
  if (isDriverNullWrite(error)) return;
  if (process.listenerCount('uncaughtException') > 1) return; // another listener has it
  // nobody else handles uncaught exceptions: without the guard, Node would end the process
  process.removeListener('uncaughtException', onUncaught);
  setImmediate(() => {
    throw error;
  });
}

/** Starts guarding for one more open store. */
export function guardDriver(): void {
  if (openStores++ === 0) process.on('uncaughtException', onUncaught);
}

/** One store closed: the guard ends with the last one. */
export function releaseDriverGuard(): void {
  if (openStores > 0 && --openStores === 0) process.removeListener('uncaughtException', onUncaught);
}
