import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which subscription's handler the current code runs inside, so that `unsubscribe()` and
 * `close()` called from a handler do not wait for that very handler call to finish.
 */
export const handlerScope = new AsyncLocalStorage<object>();
