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
import { arrayLiteral, jsonArray, type Runner } from './connection.js';
import { positionParam, toRecord } from './plan.js';
import { FORMAT_VERSION } from './schema.js';

/**
 * What `MaintenanceBackend` needs from the tables, for `PostgresBackend`: counts, unchecked scans
 * of `events` and `batches`, and bulk imports into an empty schema. The same functions, by the
 * same names, as factstore-sqlite's `maintenance.ts`.
 */

/** The schema's tables, qualified. */
export interface Tables {
  readonly events: string;
  readonly batches: string;
  readonly head: string;
  readonly cursors: string;
  readonly meta: string;
}

/** Format version, counts and cursors (a name is leased while its heartbeat is younger than `leaseMs`). */
export async function inspectStorage(db: Runner, t: Tables, leaseMs: number): Promise<StorageFacts> {
  const [[format], [events], [batches], types, cursors] = await Promise.all([
    db.unsafe(`SELECT value FROM ${t.meta} WHERE key = 'format_version'`),
    db.unsafe(`SELECT COUNT(*)::bigint AS n FROM ${t.events}`),
    db.unsafe(`SELECT COUNT(*)::bigint AS n FROM ${t.batches}`),
    db.unsafe(`SELECT event_type, COUNT(*)::bigint AS n FROM ${t.events} GROUP BY event_type ORDER BY event_type COLLATE "C"`),
    db.unsafe(
      `SELECT name, query, position, holder, holder IS NOT NULL AND heartbeat > clock_timestamp() - make_interval(secs => $1) AS alive
       FROM ${t.cursors} ORDER BY name COLLATE "C"`,
      [leaseMs / 1000] as never[],
    ),
  ]);
  return {
    formatVersion: Number(format?.value),
    supportedFormat: FORMAT_VERSION,
    eventCount: BigInt(events?.n ?? 0),
    batchCount: BigInt(batches?.n ?? 0),
    eventTypes: Array.from(types, (row) => ({ eventType: row.event_type as string, count: BigInt(row.n) })),
    cursors: Array.from(cursors, (row) => ({
      name: row.name as string,
      query: row.query as string,
      position: BigInt(row.position),
      holder: row.holder as string | null,
      leased: row.alive === true,
    })),
  };
}

/** The rows of `events` above `after`, ascending, at most `limit`, unchecked. */
export async function scanEvents(db: Runner, t: Tables, after: bigint, limit: number): Promise<EventRecord[]> {
  const rows = (await db.unsafe(
    `SELECT seq, occurred_at, event_type, payload FROM ${t.events} WHERE seq > $1::bigint ORDER BY seq LIMIT $2`,
    [positionParam(after), limit] as never[],
  )) as unknown as EventRow[];
  return Array.from(rows, toRecord);
}

/** The rows of `batches` whose first position is above `after`, ascending, at most `limit`, unchecked. */
export async function scanBatches(db: Runner, t: Tables, after: bigint, limit: number): Promise<StoredBatchRow[]> {
  const rows = (await db.unsafe(
    `SELECT first_seq, last_seq, append_key FROM ${t.batches} WHERE first_seq > $1::bigint ORDER BY first_seq LIMIT $2`,
    [positionParam(after), limit] as never[],
  )) as unknown as { first_seq: bigint; last_seq: bigint; append_key: string | null }[];
  return Array.from(rows, (row) => {
    const key = identityKey(row.append_key);
    return { first: BigInt(row.first_seq), last: BigInt(row.last_seq), ...(key === undefined ? {} : { idempotencyKey: key }) };
  });
}

/**
 * Inside a write transaction: locks the counter row and, when the log ends just before the first
 * batch, writes the events with their times, the batch rows with the identity of their key (or a
 * new one) and moves the counter to the last: one statement after the lock.
 * @returns false when it does not (nothing written)
 */
export async function importBatches(
  db: Runner,
  t: Tables,
  batches: readonly StoredBatch[],
  identities: AppendIdentities,
): Promise<boolean> {
  const [row] = await db.unsafe(`SELECT last_seq FROM ${t.head} WHERE id = 1 FOR UPDATE`);
  const last = batches[batches.length - 1];
  if (batches[0] === undefined || last === undefined || BigInt(row?.last_seq ?? 0) + 1n !== batches[0].firstSequenceNumber) return false;
  const seqs: string[] = [];
  const times: string[] = [];
  const types: string[] = [];
  const payloads: string[] = [];
  const firsts: string[] = [];
  const lasts: string[] = [];
  const keys: string[] = [];
  for (const batch of batches) {
    for (const r of batch.records) {
      seqs.push(r.sequenceNumber.toString());
      times.push(r.occurredAt.toISOString());
      types.push(r.eventType);
      payloads.push(JSON.stringify(r.payload));
    }
    firsts.push(batch.firstSequenceNumber.toString());
    lasts.push(batch.lastSequenceNumber.toString());
    keys.push(batch.idempotencyKey === undefined ? identities.of(undefined) : keyIdentity(batch.idempotencyKey));
  }
  await db.unsafe(
    `WITH ins AS (INSERT INTO ${t.events} (seq, occurred_at, event_type, payload)
                  SELECT x.s, x.o, x.t, x.p
                  FROM ROWS FROM (unnest($1::bigint[]), unnest($2::timestamptz[]), unnest($3::text[]), jsonb_array_elements($4::text::jsonb)) AS x(s, o, t, p)),
          bt AS (INSERT INTO ${t.batches} (first_seq, last_seq, append_key)
                 SELECT b.f, b.l, b.k FROM unnest($5::bigint[], $6::bigint[], $7::text[]) AS b(f, l, k))
     UPDATE ${t.head} SET last_seq = $8::bigint WHERE id = 1`,
    [
      ...[seqs, times, types].map(arrayLiteral),
      jsonArray(payloads),
      ...[firsts, lasts, keys].map(arrayLiteral),
      last.lastSequenceNumber.toString(),
    ],
  );
  return true;
}

/**
 * Inside a write transaction: stores the cursors (free, no lease) when there is none yet.
 * @returns false when there is one (nothing written)
 */
export async function importCursors(db: Runner, t: Tables, cursors: readonly StoredCursor[]): Promise<boolean> {
  await db.unsafe(`LOCK TABLE ${t.cursors} IN EXCLUSIVE MODE`);
  const [any] = await db.unsafe(`SELECT 1 AS one FROM ${t.cursors} LIMIT 1`);
  if (any) return false;
  await db.unsafe(`INSERT INTO ${t.cursors} (name, query, position) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])`, [
    arrayLiteral(cursors.map((c) => c.name)),
    arrayLiteral(cursors.map((c) => c.query)),
    arrayLiteral(cursors.map((c) => c.position.toString())),
  ]);
  return true;
}
