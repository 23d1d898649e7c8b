import { randomUUID } from 'node:crypto';
import { DurableStreamActiveError, DurableStreamQueryMismatchError, type EventRecord, type QueryResult } from 'factstore';
import {
  answerFromNewest,
  CANDIDATE_PAGE,
  decideGroup,
  GroupCommit,
  readQuery,
  type AppendCondition,
  type GroupAppend,
  type CommittedBatch,
  type StoreBackend,
  type ValidEvent,
  type ValidQuery,
} from 'factstore/backend';
import type { Sql } from 'postgres';
import { candidates, contextVersions, planQuery, type Runner } from './pg-context.js';
import { toBatches, type EventRow } from './rows.js';
import type { PostgresStoreOptions } from './options.js';

/** How long a durable name stays held by a process that stopped renewing its lease. */
export const LEASE_MS = 3000;
/** How often a process renews the leases of the durable names it holds. */
const HEARTBEAT_MS = 1000;

/**
 * Storage for {@link PostgresStore}. Every append numbers its events from the one-row `head`
 * counter, locked by the first statement of the write transaction and released at commit, so
 * positions are gapless and in commit order under any number of writers in any number of
 * processes. A NOTIFY in the same transaction wakes the streams of other processes.
 */
export class PostgresBackend implements StoreBackend {
  private readonly t: { events: string; batches: string; head: string; cursors: string };
  private readonly channel: string;
  private readonly holder = `${process.pid}:${randomUUID()}`;
  private readonly held = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private listening: Promise<{ unlisten(): Promise<void> } | undefined> | undefined;
  private poller: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly options: Required<PostgresStoreOptions>,
    private readonly owned: boolean,
  ) {
    const s = `"${options.schema}"`;
    this.t = { events: `${s}.events`, batches: `${s}.batches`, head: `${s}.head`, cursors: `${s}.cursors` };
    this.channel = `factstore_${options.schema}`;
  }

  async append(events: readonly ValidEvent[], condition?: AppendCondition): Promise<CommittedBatch> {
    return this.groups.submit({ events, condition });
  }

  /**
   * Group commit: the appends that queued up while the previous commit ran are written together.
   * Plain appends only: one statement (one lock of the counter row, one commit), each append with
   * its own range and batch row. With appendIfs: one transaction that locks the counter row first,
   * reads every condition's context version with one statement, decides the conditions in order
   * (each against the appends accepted ahead of it) and writes the accepted appends with one
   * statement; a conflicting appendIf fails alone, having written nothing.
   */
  private readonly groups = new GroupCommit<GroupAppend>((group) =>
    group.some((item) => item.condition)
      ? this.sql.begin(async (tx) => {
          const verdicts = await decideGroup(group, async (contexts) => {
            // pipelined: the lock is sent first, so the reads after it run, on a fresh snapshot, once it is held
            const locked = tx.unsafe(`SELECT last_seq FROM ${this.t.head} WHERE id = 1 FOR UPDATE`).execute();
            const versions = contextVersions(tx, this.t.events, contexts);
            const [[row], read] = await Promise.all([locked, versions]);
            return { head: BigInt(row?.last_seq ?? 0), versions: read };
          });
          return verdicts.outcomes(
            verdicts.accepted.length === 0
              ? []
              : await this.insert(
                  tx,
                  verdicts.accepted.map((item) => item.events),
                ),
          );
        })
      : this.insert(
          this.sql,
          group.map((item) => item.events),
        ),
  );

  /**
   * Writes appends as one statement: bumps the counter row (locked until commit), inserts every
   * event and one batch row per append, and notifies other processes. One round trip.
   */
  private async insert(db: Runner, appends: readonly (readonly ValidEvent[])[]): Promise<CommittedBatch[]> {
    const types: string[] = [];
    const payloads: string[] = [];
    const firsts: number[] = [];
    const lasts: number[] = [];
    for (const events of appends) {
      firsts.push(types.length + 1);
      for (const event of events) {
        types.push(event.eventType);
        payloads.push(JSON.stringify(event.payload));
      }
      lasts.push(types.length);
    }
    const at = new Date();
    const rows = await db.unsafe(
      `WITH h AS (UPDATE ${this.t.head} SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq - $1 AS base),
            ins AS (INSERT INTO ${this.t.events} (seq, occurred_at, event_type, payload)
                    SELECT h.base + x.ord, $2, x.t, x.p::jsonb
                    FROM h, unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(t, p, ord)),
            bt AS (INSERT INTO ${this.t.batches} (first_seq, last_seq)
                   SELECT h.base + b.f, h.base + b.l FROM h, unnest($5::int[], $6::int[]) AS b(f, l))
       SELECT h.base, pg_notify($7, (h.base + 1)::text || '-' || (h.base + $1)::text) FROM h`,
      [types.length, at, types, payloads, firsts, lasts, this.channel] as never[],
    );
    const base = BigInt((rows[0] as unknown as { base: bigint | string }).base);
    let offset = 0;
    return appends.map((events) => {
      const first = base + BigInt(offset) + 1n;
      offset += events.length;
      const records: EventRecord[] = events.map((event, i) =>
        Object.freeze({ sequenceNumber: first + BigInt(i), occurredAt: at, eventType: event.eventType, payload: event.payload }),
      );
      return { firstSequenceNumber: first, lastSequenceNumber: first + BigInt(events.length - 1), records };
    });
  }

  async query(query: ValidQuery): Promise<QueryResult> {
    const plan = planQuery(query);
    const after = query.minSequenceNumber ?? 0n;
    const limit = query.limit ?? Infinity;
    // a small context is answered by one statement (consistent by itself); a larger one in a snapshot
    const quick = plan.exact
      ? undefined
      : answerFromNewest(await candidates(this.sql, this.t.events, plan).before(null, CANDIDATE_PAGE), plan.matcher, after, limit);
    return (
      quick ??
      this.sql.begin('isolation level repeatable read read only', (tx) =>
        readQuery(candidates(tx, this.t.events, plan), plan.matcher, after, limit),
      )
    );
  }

  async readBatches(after: bigint, maxEvents: number): Promise<CommittedBatch[]> {
    return this.sql.begin('isolation level repeatable read read only', async (tx) => {
      const ranges = (await tx.unsafe(
        `SELECT first_seq, last_seq FROM ${this.t.batches} WHERE first_seq > $1::bigint ORDER BY first_seq LIMIT $2`,
        [after.toString(), maxEvents] as never[],
      )) as unknown as { first_seq: bigint; last_seq: bigint }[];
      if (ranges.length === 0) {
        const [row] = await tx.unsafe(`SELECT COALESCE(MAX(seq), 0) AS head FROM ${this.t.events}`);
        if (BigInt(row?.head ?? 0) > after) throw new Error(`the batches table has no batch after ${after}: batch history is missing`);
        return [];
      }
      const first = BigInt((ranges[0] as { first_seq: bigint }).first_seq);
      if (first !== after + 1n) throw new Error(`the batch after ${after} starts at ${first}: batch history is not contiguous`);
      let events = 0n;
      let take = 0;
      while (take < ranges.length && (take === 0 || events < BigInt(maxEvents))) {
        const range = ranges[take++] as { first_seq: bigint; last_seq: bigint };
        events += BigInt(range.last_seq) - BigInt(range.first_seq) + 1n;
      }
      const used = ranges.slice(0, take);
      const last = BigInt((used[used.length - 1] as { last_seq: bigint }).last_seq);
      const rows = (await tx.unsafe(
        `SELECT seq, occurred_at, event_type, payload FROM ${this.t.events} WHERE seq BETWEEN $1::bigint AND $2::bigint ORDER BY seq`,
        [first.toString(), last.toString()] as never[],
      )) as unknown as EventRow[];
      return toBatches(used, rows);
    });
  }

  async head(): Promise<bigint> {
    const [row] = await this.sql.unsafe(`SELECT COALESCE(MAX(seq), 0) AS head FROM ${this.t.events}`);
    return BigInt(row?.head ?? 0);
  }

  async claimDurable(name: string, canonicalQuery: string): Promise<bigint> {
    if (this.held.has(name)) throw new DurableStreamActiveError(name);
    // a lease row rather than an advisory lock: it needs no pinned connection, and it survives
    // reconnects and server restarts; a holder that stops renewing it loses it after LEASE_MS
    const position = await this.sql.begin(async (tx) => {
      await tx.unsafe(`INSERT INTO ${this.t.cursors} (name, query, position) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING`, [
        name,
        canonicalQuery,
      ]);
      const [row] = await tx.unsafe(
        `SELECT query, position, holder, heartbeat > clock_timestamp() - make_interval(secs => $2) AS alive FROM ${this.t.cursors} WHERE name = $1 FOR UPDATE`,
        [name, LEASE_MS / 1000] as never[],
      );
      if (row?.holder !== null && row?.holder !== this.holder && row?.alive) throw new DurableStreamActiveError(name);
      if (row?.query !== canonicalQuery) throw new DurableStreamQueryMismatchError(name);
      await tx.unsafe(`UPDATE ${this.t.cursors} SET holder = $2, heartbeat = clock_timestamp() WHERE name = $1`, [name, this.holder]);
      return BigInt(row.position);
    });
    this.held.add(name);
    this.heartbeat ??= setInterval(() => void this.renewLeases(), HEARTBEAT_MS).unref();
    return position;
  }

  async saveCursor(name: string, position: bigint): Promise<void> {
    const result = await this.sql.unsafe(
      `UPDATE ${this.t.cursors} SET position = $1::bigint, heartbeat = clock_timestamp() WHERE name = $2 AND holder = $3`,
      [position.toString(), name, this.holder],
    );
    if (result.count === 0) throw new Error(`durable stream ${JSON.stringify(name)} is no longer held by this process (its lease expired)`);
  }

  async releaseDurable(name: string): Promise<void> {
    this.held.delete(name);
    await this.sql.unsafe(`UPDATE ${this.t.cursors} SET holder = NULL, heartbeat = NULL WHERE name = $1 AND holder = $2`, [
      name,
      this.holder,
    ]);
  }

  private async renewLeases(): Promise<void> {
    if (this.held.size === 0) return;
    await this.sql.unsafe(`UPDATE ${this.t.cursors} SET heartbeat = clock_timestamp() WHERE holder = $1`, [this.holder]).catch(() => {});
  }

  watch(onCommit: () => void): void {
    // onlisten runs after every (re)connect of the listening connection: read what was missed
    this.listening = this.sql.listen(this.channel, () => onCommit(), onCommit).catch(() => undefined);
    this.poller = setInterval(onCommit, this.options.pollIntervalMs).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    clearInterval(this.heartbeat);
    // close() may come before LISTEN is set up; wait for it, so that no listener outlives the store
    await (await this.listening)?.unlisten().catch(() => {});
    if (this.held.size > 0) {
      await this.sql
        .unsafe(`UPDATE ${this.t.cursors} SET holder = NULL, heartbeat = NULL WHERE holder = $1`, [this.holder])
        .catch(() => {});
      this.held.clear();
    }
    if (this.owned) await this.sql.end({ timeout: 5 });
  }
}
