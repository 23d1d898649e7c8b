import type { Location, RawBatch, RawLog, StoreAdapter } from './adapter.js';

/** What {@link checkLogInvariants} read: the head, the batches, and the whole snapshot. */
export interface CheckedLog {
  /** The last position (0 for an empty log). */
  head: number;
  batches: RawBatch[];
  log: RawLog;
}

/**
 * Checks the invariants every persistent store keeps, on a raw read of its log: positions
 * 1..N without a hole, batches whole, contiguous and covering the log exactly, every durable cursor
 * at a batch end (or 0), and nothing found by the store's own consistency checks. Throws an Error
 * naming the first broken invariant. A torn tail (bytes after the last whole batch, never
 * committed) is one too, unless `afterCrash`: right after a writer was killed, before the next
 * writer cut it off.
 */
export async function checkLogInvariants(
  adapter: StoreAdapter,
  location: Location,
  { afterCrash = false }: { afterCrash?: boolean } = {},
): Promise<CheckedLog> {
  const log = await adapter.raw.read(location);
  if (log.problems.length > 0) throw new Error(`${adapter.name} consistency check: ${log.problems.join('; ')}`);
  if (!afterCrash && (log.tornBytes ?? 0) > 0) throw new Error(`${adapter.name}: ${log.tornBytes} bytes of a torn tail after the log`);
  log.events.forEach((event, i) => {
    if (event.position !== i + 1) throw new Error(`log has a hole: position ${event.position} where ${i + 1} belongs`);
  });
  const head = log.events.length;
  let next = 1;
  for (const batch of log.batches) {
    if (batch.first !== next || batch.last < batch.first)
      throw new Error(`batch ${batch.first}..${batch.last} does not follow ${next - 1}`);
    next = batch.last + 1;
  }
  if (next - 1 !== head) throw new Error(`batches end at ${next - 1} but events at ${head}`);
  const ends = new Set([0, ...log.batches.map((b) => b.last)]);
  for (const cursor of log.cursors) {
    if (!ends.has(cursor.position)) throw new Error(`cursor ${cursor.name} at ${cursor.position} is not at a batch end`);
  }
  return { head, batches: log.batches, log };
}

/** `first-last` of a batch or an append's range, for comparing lists of them. */
export const range = (first: number | bigint, last: number | bigint): string => `${first}-${last}`;
