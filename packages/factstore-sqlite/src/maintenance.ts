import {
  identityKey,
  keyIdentity,
  type AppendIdentities,
  type EventRow,
  type StorageFacts,
  type StoredBatch,
  type StoredBatchRow,
  type StoredCursor,
} from 'factstore/backend';
import type { EventRecord } from 'factstore';
import type { Connection } from './connection.js';
import { positionParam, toRecord } from './plan.js';
import { FORMAT_VERSION } from './schema.js';

/**
 * What `MaintenanceBackend` needs from the tables, for `SqliteBackend`: counts, unchecked scans
 * of `events` and `batches`, and bulk imports into an empty file. The same functions, by the same
 * names, as factstore-postgres's `maintenance.ts`.
 */

/** Format version, counts and cursors (a name is leased while its heartbeat is younger than `leaseMs`). */
export async function inspectStorage(db: Connection, leaseMs: number): Promise<StorageFacts> {
  const [format, events, batches, types, cursors] = await Promise.all([
    db.get<{ value: string }>(`SELECT value FROM factstore_meta WHERE key = 'format_version'`),
    db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events'),
    db.get<{ n: number }>('SELECT COUNT(*) AS n FROM batches'),
    db.all<{ event_type: string; n: number }>('SELECT event_type, COUNT(*) AS n FROM events GROUP BY event_type ORDER BY event_type'),
    db.all<{ name: string; query: string; position: number; holder: string | null; heartbeat: number | null }>(
      'SELECT name, query, position, holder, heartbeat FROM cursors ORDER BY name',
    ),
  ]);
  const now = Date.now();
  return {
    formatVersion: Number(format?.value),
    supportedFormat: FORMAT_VERSION,
    eventCount: BigInt(events?.n ?? 0),
    batchCount: BigInt(batches?.n ?? 0),
    eventTypes: Array.from(types, (row) => ({ eventType: row.event_type, count: BigInt(row.n) })),
    cursors: Array.from(cursors, (row) => ({
      name: row.name,
      query: row.query,
      position: BigInt(row.position),
      holder: row.holder,
      leased: row.holder !== null && (row.heartbeat ?? 0) > now - leaseMs,
    })),
  };
}

/** The rows of `events` above `after`, ascending, at most `limit`, unchecked. */
export async function scanEvents(db: Connection, after: bigint, limit: number): Promise<EventRecord[]> {
  const rows = await db.all<EventRow>('SELECT seq, occurred_at, event_type, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?', [
    positionParam(after),
    limit,
  ]);
  return Array.from(rows, toRecord);
}

/** The rows of `batches` whose first position is above `after`, ascending, at most `limit`, unchecked. */
export async function scanBatches(db: Connection, after: bigint, limit: number): Promise<StoredBatchRow[]> {
  const rows = await db.all<{ first_seq: number; last_seq: number; append_key: string | null }>(
    'SELECT first_seq, last_seq, append_key FROM batches WHERE first_seq > ? ORDER BY first_seq LIMIT ?',
    [positionParam(after), limit],
  );
  return Array.from(rows, (row) => {
    const key = identityKey(row.append_key);
    return { first: BigInt(row.first_seq), last: BigInt(row.last_seq), ...(key === undefined ? {} : { idempotencyKey: key }) };
  });
}

/**
 * Inside a write transaction: writes the batches (events with their times, batch rows with the
 * identity of their key, or a new one) when the log ends just before the first; two statements.
 * @returns false when it does not (nothing written)
 */
export async function importBatches(db: Connection, batches: readonly StoredBatch[], identities: AppendIdentities): Promise<boolean> {
  const head = await db.get<{ head: number }>('SELECT COALESCE(MAX(seq), 0) AS head FROM events');
  if (batches[0] === undefined || BigInt(head?.head ?? 0) + 1n !== batches[0].firstSequenceNumber) return false;
  const rows: [string, number, string, string][] = [];
  const ranges: [string, string, string][] = [];
  for (const batch of batches) {
    for (const r of batch.records) rows.push([r.sequenceNumber.toString(), r.occurredAt.getTime(), r.eventType, JSON.stringify(r.payload)]);
    const identity = batch.idempotencyKey === undefined ? identities.of(undefined) : keyIdentity(batch.idempotencyKey);
    ranges.push([batch.firstSequenceNumber.toString(), batch.lastSequenceNumber.toString(), identity]);
  }
  await db.run(
    'INSERT INTO events (seq, occurred_at, event_type, payload) SELECT CAST(value ->> 0 AS INTEGER), value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)',
    [JSON.stringify(rows)],
  );
  await db.run(
    'INSERT INTO batches (first_seq, last_seq, append_key) SELECT CAST(value ->> 0 AS INTEGER), CAST(value ->> 1 AS INTEGER), value ->> 2 FROM json_each(?)',
    [JSON.stringify(ranges)],
  );
  return true;
}

/**
 * Inside a write transaction: stores the cursors (free, no lease) when there is none yet.
 * @returns false when there is one (nothing written)
 */
export async function importCursors(db: Connection, cursors: readonly StoredCursor[]): Promise<boolean> {
  const any = await db.get('SELECT 1 FROM cursors LIMIT 1');
  if (any) return false;
  await db.run(
    'INSERT INTO cursors (name, query, position) SELECT value ->> 0, value ->> 1, CAST(value ->> 2 AS INTEGER) FROM json_each(?)',
    [JSON.stringify(cursors.map((c) => [c.name, c.query, c.position.toString()]))],
  );
  return true;
}
