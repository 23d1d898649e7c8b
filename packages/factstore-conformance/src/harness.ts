import assert from 'node:assert/strict';
import type { EventRecord, EventStore, FactStoreErrorCode, JsonValue, NewEvent } from 'factstore';

export { assert };

/** An event of type `type` with payload `payload`. */
export function ev(eventType: string, payload: JsonValue): NewEvent {
  return { eventType, payload };
}

/** `account-opened` etc. with `{ accountId }` plus extra fields. */
export const opened = (accountId: string, extra: Record<string, JsonValue> = {}) => ev('account-opened', { accountId, ...extra });
export const credited = (accountId: string, extra: Record<string, JsonValue> = {}) => ev('account-credited', { accountId, ...extra });
export const debited = (accountId: string, extra: Record<string, JsonValue> = {}) => ev('account-debited', { accountId, ...extra });
export const renamed = (accountId: string, extra: Record<string, JsonValue> = {}) => ev('account-renamed', { accountId, ...extra });
export const closed = (accountId: string, extra: Record<string, JsonValue> = {}) => ev('account-closed', { accountId, ...extra });

/** The positions of records, as plain numbers for readable assertions. */
export function seqs(records: readonly EventRecord[]): number[] {
  return records.map((r) => Number(r.sequenceNumber));
}

/** A value as text for assertion messages, bigints written as `5n`. */
export function show(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** A handler that records every delivered batch. */
export interface Recorder {
  readonly handler: (batch: readonly EventRecord[]) => void;
  readonly batches: EventRecord[][];
  /** Positions of every delivered batch. */
  positions(): number[][];
}

/** Makes a {@link Recorder}. */
export function recorder(): Recorder {
  const batches: EventRecord[][] = [];
  return {
    batches,
    handler: (batch) => {
      batches.push([...batch]);
    },
    positions: () => batches.map(seqs),
  };
}

/** Waits until `condition` holds, polling every 5 ms, failing after `timeoutMs` (1 s). */
export async function waitFor(condition: () => boolean, message: string, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for: ${message}`);
    await sleep(5);
  }
}

/** Waits until `recorder` has exactly `count` batches (more fail too), then returns the positions. */
export async function deliveries(rec: Recorder, count: number): Promise<number[][]> {
  await waitFor(() => rec.batches.length >= count, `${count} deliveries (have ${rec.batches.length})`);
  await sleep(20);
  assert.equal(rec.batches.length, count, `expected exactly ${count} deliveries, got ${JSON.stringify(rec.positions())}`);
  return rec.positions();
}

/** Checks for `ms` (100) that `recorder` keeps exactly `count` batches. */
export async function staysAt(rec: Recorder, count: number, ms = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.equal(rec.batches.length, count, `expected ${count} deliveries to stay, got ${JSON.stringify(rec.positions())}`);
    await sleep(5);
  }
  assert.equal(rec.batches.length, count);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function, for handlers that block until released. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Starts a handler call that blocks until released, then `stop()` (close or unsubscribe), and
 * asserts that `stop()` settles only after the running call has finished.
 */
export async function assertWaitsForRunningCall(
  register: (handler: () => Promise<void>) => Promise<unknown>,
  trigger: () => Promise<unknown>,
  stop: () => Promise<unknown>,
): Promise<void> {
  const release = gate();
  let started = false;
  let finished = false;
  await register(async () => {
    started = true;
    await release.promise;
    await sleep(10);
    finished = true;
  });
  await trigger();
  await waitFor(() => started, 'handler started');
  let stopped = false;
  const stopping = stop().then(() => {
    stopped = true;
  });
  await sleep(30);
  assert.equal(stopped, false, 'still waiting for the running handler call');
  release.open();
  await stopping;
  assert.equal(finished, true, 'the running call finished first');
}

/** Asserts that `work` rejects with a factstore error of `code`, and returns the error. */
export async function rejectsWith<E = Record<string, unknown>>(
  work: Promise<unknown> | (() => Promise<unknown>),
  code: FactStoreErrorCode,
): Promise<E & Error & { code: string }> {
  let promise: Promise<unknown>;
  try {
    promise = typeof work === 'function' ? work() : work;
  } catch (error) {
    assert.fail(`expected a rejected promise with ${code}, but the call threw synchronously: ${String(error)}`);
  }
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, `expected an Error with code ${code}, got ${String(error)}`);
    assert.equal(
      (error as { code?: unknown }).code,
      code,
      `expected code ${code}, got ${(error as { code?: unknown }).code}: ${error.message}`,
    );
    return error as E & Error & { code: string };
  }
  assert.fail(`expected the call to reject with ${code}, but it resolved`);
}

/** Asserts the store holds exactly the given positions. */
export async function assertLog(store: EventStore, expected: number[]): Promise<void> {
  const result = await store.query({});
  assert.deepEqual(seqs(result.eventRecords), expected, 'the log');
  const head = expected.length === 0 ? null : BigInt(expected[expected.length - 1] as number);
  assert.equal(result.currentContextVersion, head);
}
