import {
  AppendIdentities,
  answerQuickly,
  decideGroup,
  GroupCommit,
  readCommittedBatches,
  readQuery,
  readRange,
  readWholeBatches,
  type AppendCondition,
  type CommittedBatch,
  type EventRow,
  type FollowUp,
  type GroupAppend,
  type MaintenanceBackend,
  type StorageFacts,
  type StoreBackend,
  type StoredBatch,
  type StoredBatchRow,
  type StoredCursor,
  type ValidEvent,
  type ValidQuery,
  withDeadline,
} from 'factstore/backend';
import { DurableStreamActiveError, DurableStreamQueryMismatchError, type EventRecord, type QueryResult } from 'factstore';
import {
  arrayLiteral,
  endPool,
  jsonArray,
  openConnection,
  openListener,
  PREPARED,
  type PostgresConnection,
  type Runner,
} from './connection.js';
import { refusedCommit } from './commit-refusal.js';
import { guardDriver, releaseDriverGuard } from './driver-guard.js';
import { prepareSchema } from './schema.js';
import { importBatches, importCursors, inspectStorage, scanBatches, scanEvents, type Tables } from './maintenance.js';
import { candidates, contextVersions, planQuery, positionParam, toRecord, type PlanScope } from './plan.js';
import type { PostgresTransaction } from './projection.js';
import type { ValidPostgresStoreOptions } from './options.js';
import type { Sql } from 'postgres';

/** How many reads of the log ahead of their call a store keeps at most (one per replaying stream). */
const READ_AHEAD_SLOTS = 4;

/**
 * Storage for {@link PostgresStore}. Every append numbers its events from the one-row `head`
 * counter, locked by the first statement of the write transaction and released at commit, so
 * positions are gapless and in commit order under any number of writers in any number of
 * processes. A NOTIFY in the same transaction wakes the streams of other processes: those that
 * LISTEN on a session (the pool's own connection, or `listenUrl`); behind a transaction-mode
 * pooler without `listenUrl`, only the poll every `pollIntervalMs` does.
 */
export class PostgresBackend implements StoreBackend, MaintenanceBackend {
  private readonly t: Tables;
  private readonly scope: PlanScope;
  private readonly identities = new AppendIdentities();
  private readonly channel: string;
  private listening: Promise<{ unlisten(): Promise<void> } | undefined> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly groups: GroupCommit<GroupAppend>;
  /** Reads of the log started ahead of their call, by `after:maxEvents` (see {@link readBatches}). */
  private readonly readAhead = new Map<string, Promise<CommittedBatch[]>>();
  private state: 'open' | 'closing' = 'open';

  private constructor(
    private readonly sql: Sql,
    private readonly options: ValidPostgresStoreOptions,
    /** Whether the pool is this store's (closed at `close()`) or the caller's (left open). */
    private readonly owned: boolean,
    /** Where LISTEN goes: `listenUrl`'s own instance, the pool, or nowhere (transaction pooling: poll only). */
    private readonly listener: Sql | undefined,
  ) {
    const s = `"${options.schema}"`;
    this.t = { events: `${s}.events`, batches: `${s}.batches`, head: `${s}.head`, cursors: `${s}.cursors`, meta: `${s}.factstore_meta` };
    this.scope = { events: this.t.events, offset: 0 };
    this.channel = `factstore_${options.schema}`;
    this.groups = this.groupCommit();
  }

  /**
   * Connects (creating the schema and its tables when missing) and checks the format, within
   * `connectTimeoutMs` whatever the server does.
   */
  static async open(connection: PostgresConnection, options: ValidPostgresStoreOptions): Promise<PostgresBackend> {
    guardDriver();
    const { sql, owned } = openConnection(connection, options);
    try {
      await withDeadline(prepareSchema(sql, options.schema), options.connectTimeoutMs, 'the schema');
    } catch (error) {
      if (owned) await endPool(sql, 0);
      releaseDriverGuard();
      throw error;
    }
    const listener =
      options.listenUrl !== undefined
        ? openListener(options.listenUrl, options.connectTimeoutMs)
        : options.poolMode === 'session'
          ? sql
          : undefined;
    return new PostgresBackend(sql, options, owned, listener);
  }

  async append(events: readonly ValidEvent[], condition?: AppendCondition, key?: string): Promise<CommittedBatch> {
    return this.groups.submit({ events, condition, key, identity: this.identities.of(key) });
  }

  appendDecisions(condition: AppendCondition, followUps: readonly FollowUp[]): Promise<CommittedBatch>[] {
    return this.groups.submitAll(
      followUps.map((followUp) => ({ events: [], condition, followUp, identity: this.identities.of(undefined) })),
    );
  }

  /**
   * Group commit: the appends that queued up while the previous commit ran are written together.
   * Plain appends only: one statement (one lock of the counter row, one commit), each append with
   * its own range and batch row. With appendIfs or idempotency keys: one transaction that locks
   * the counter row first, reads every condition's context version with one statement and the
   * batches of the keys with another (pipelined behind the lock), decides keys and conditions in
   * order (each against the appends accepted ahead of it) and writes the accepted appends with one
   * statement; a conflicting appendIf fails alone, having written nothing.
   *
   * A commit whose reply is lost (the connection dropped) may have landed: the queue then looks
   * for the appends' identities in `batches` and resolves those it finds, and commits the others
   * again alone, as a transaction that looks their identities up under the lock of the counter row
   * (`mayHaveLanded`): a first commit that got through holds that lock or has committed, so it is
   * found; one still on its way comes after, and the unique `append_key` refuses its copy.
   */
  private groupCommit(): GroupCommit<GroupAppend> {
    return new GroupCommit<GroupAppend>(
      (group, mayHaveLanded) =>
        mayHaveLanded || group.some((item) => item.condition || item.key !== undefined)
          ? this.decidedCommit(group, mayHaveLanded)
          : this.writeBatches(this.sql, group),
      {
        refused: refusedCommit,
        landed: async (items) => {
          const found = await this.committedBatches(
            this.sql,
            items.map((item) => item.identity as string),
          );
          return items.map((item) => found.get(item.identity as string));
        },
        timeoutMs: this.options.callTimeoutMs,
      },
    );
  }

  /**
   * A group with appendIfs or idempotency keys: one transaction that locks the counter row first,
   * reads every condition's context version with one statement and the batches of the keys with
   * another (pipelined behind the lock, so they run once it is held, on a snapshot taken after
   * it), decides keys and conditions in order (each against the appends accepted ahead of it) and
   * writes the accepted appends with one statement. postgres.js's `begin` owns the connection:
   * when the connection fails mid-transaction, the transaction rejects and the connection returns
   * to the pool (a connection reserved by hand and never answered would leave it for good). With
   * `mayHaveLanded`, every append's identity is looked up with the keys' (see {@link decideGroup}).
   */
  private decidedCommit(group: readonly GroupAppend[], mayHaveLanded = false): Promise<(CommittedBatch | Error)[]> {
    return this.sql.begin(async (tx) => {
      const verdicts = await decideGroup(
        group,
        async (contexts, identities) => {
          const locked = tx.unsafe(`SELECT last_seq FROM ${this.t.head} WHERE id = 1 FOR UPDATE`).execute();
          const [[row], versions, committed] = await Promise.all([
            locked,
            contextVersions(tx, this.scope, contexts),
            this.committedBatches(tx, identities),
          ]);
          return { head: BigInt(row?.last_seq ?? 0), versions, committed };
        },
        mayHaveLanded,
      );
      return verdicts.outcomes(verdicts.accepted.length === 0 ? [] : await this.writeBatches(tx, verdicts.accepted, verdicts.at));
    });
  }

  /**
   * Writes appends as one statement: bumps the counter row (locked until commit; it numbers the
   * events, so no head needs reading first), inserts every event and one batch row per append,
   * and notifies other processes. One round trip. The payloads go as one JSON array ({@link jsonArray}).
   */
  private async writeBatches(db: Runner, appends: readonly GroupAppend[], at = new Date()): Promise<CommittedBatch[]> {
    const types: string[] = [];
    const payloads: string[] = [];
    const firsts: number[] = [];
    const lasts: number[] = [];
    const keys: string[] = [];
    for (const { events, identity } of appends) {
      keys.push(identity as string);
      firsts.push(types.length + 1);
      for (const event of events) {
        types.push(event.eventType);
        payloads.push(JSON.stringify(event.payload));
      }
      lasts.push(types.length);
    }
    // executed at once, not at the await (which calls `then` a microtask later), so that it goes
    // out in the order of the calls
    const rows = await db
      .unsafe(
        `WITH h AS (UPDATE ${this.t.head} SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq - $1 AS base),
            ins AS (INSERT INTO ${this.t.events} (seq, occurred_at, event_type, payload)
                    SELECT h.base + x.ord, $2, x.t, x.p
                    FROM h, ROWS FROM (unnest($3::text[]), jsonb_array_elements($4::text::jsonb)) WITH ORDINALITY AS x(t, p, ord)),
            bt AS (INSERT INTO ${this.t.batches} (first_seq, last_seq, append_key)
                   SELECT h.base + b.f, h.base + b.l, b.k FROM h, unnest($5::int[], $6::int[], $8::text[]) AS b(f, l, k))
       SELECT h.base, pg_notify($7, (h.base + 1)::text || '-' || (h.base + $1)::text) FROM h`,
        [
          types.length,
          at,
          arrayLiteral(types),
          jsonArray(payloads),
          arrayLiteral(firsts),
          arrayLiteral(lasts),
          this.channel,
          arrayLiteral(keys),
        ],
        PREPARED,
      )
      .execute();
    const base = BigInt((rows[0] as unknown as { base: bigint | string }).base);
    let offset = 0;
    return appends.map(({ events }) => {
      const first = base + BigInt(offset) + 1n;
      offset += events.length;
      const records: EventRecord[] = events.map((event, i) =>
        Object.freeze({ sequenceNumber: first + BigInt(i), occurredAt: at, eventType: event.eventType, payload: event.payload }),
      );
      return { firstSequenceNumber: first, lastSequenceNumber: first + BigInt(events.length - 1), records };
    });
  }

  /** The answer to a query: one statement for a small context, else a read-only snapshot. */
  private async answer(query: ValidQuery): Promise<QueryResult> {
    const plan = planQuery(query, this.scope);
    const range = readRange(query);
    // a small context, or the newest N, is answered by one statement (consistent by itself); the rest in a snapshot
    const quick = await answerQuickly(candidates(this.sql, plan), plan.matcher, range);
    if (quick) return quick;
    return this.sql.begin('isolation level repeatable read read only', (tx) => readQuery(candidates(tx, plan), plan.matcher, range));
  }

  async query(query: ValidQuery): Promise<QueryResult> {
    return this.bound(this.answer(query), 'the query');
  }

  /**
   * Whole batches after `after` (see {@link readLog}). After a full page (a replay, or a stream
   * behind), the read of the next page starts at once, so that it runs while the caller delivers
   * this one and saves its cursor: the next call for that position takes it. Batches never change
   * once committed, so a read-ahead answer is as true as a fresh one; an empty one may be out of
   * date (commits may have come since), so it is read again, as is one that failed.
   */
  async readBatches(after: bigint, maxEvents: number): Promise<CommittedBatch[]> {
    const key = `${after}:${maxEvents}`;
    const ahead = this.readAhead.get(key);
    this.readAhead.delete(key);
    let batches = ahead && (await this.bound(ahead, 'the read of the log').catch(() => undefined));
    if (!batches || batches.length === 0) batches = await this.bound(this.readLog(after, maxEvents), 'the read of the log');
    const last = batches[batches.length - 1];
    if (last !== undefined && last.lastSequenceNumber - after >= BigInt(maxEvents) && this.state === 'open') {
      const read = this.readLog(last.lastSequenceNumber, maxEvents);
      read.catch(() => {});
      this.readAhead.set(`${last.lastSequenceNumber}:${maxEvents}`, read);
      // several streams may read ahead at once; keep the newest few
      for (const stale of this.readAhead.keys()) {
        if (this.readAhead.size <= READ_AHEAD_SLOTS) break;
        this.readAhead.delete(stale);
      }
    }
    return batches;
  }

  /**
   * Whole batches after `after`, up to about `maxEvents` events, in two prepared statements and no
   * transaction: the first reads the batch ranges and the head together (one statement, one
   * snapshot: an empty answer with a head above `after` is a missing batch, never a commit that
   * landed between two reads); the second reads the events of the ranges taken. A batch's events
   * commit with its row and are never deleted, so every event of a range seen by the first
   * statement is there for the second.
   */
  private async readLog(after: bigint, maxEvents: number): Promise<CommittedBatch[]> {
    let head = 0n;
    return readWholeBatches(after, maxEvents, {
      // only batches that start within `limit` positions can be taken (each is taken while fewer than
      // `limit` events are), so the read stops there: a few rows for a page of large batches, not `limit`
      ranges: async (from, limit) => {
        const rows = (await this.sql.unsafe(
          `SELECT h.head, b.first_seq, b.last_seq
           FROM (SELECT COALESCE(MAX(seq), 0) AS head FROM ${this.t.events}) h
           LEFT JOIN LATERAL (SELECT first_seq, last_seq FROM ${this.t.batches} WHERE first_seq > $1::bigint AND first_seq <= $1::bigint + $2::bigint ORDER BY first_seq LIMIT $2) b ON true`,
          [positionParam(from), limit] as never[],
          PREPARED,
        )) as unknown as { head: bigint; first_seq: bigint | null; last_seq: bigint | null }[];
        head = BigInt(rows[0]?.head ?? 0);
        return rows.flatMap((r) => (r.first_seq === null ? [] : [{ first: BigInt(r.first_seq), last: BigInt(r.last_seq as bigint) }]));
      },
      head: async () => head,
      records: (first, last) => this.readRecords(this.sql, first, last),
    });
  }

  async head(): Promise<bigint> {
    return this.bound(this.readHead(this.sql), 'the read of the head');
  }

  // a lease row rather than an advisory lock: it needs no pinned connection, and it survives
  // reconnects and server restarts; a holder that stops renewing it loses it after the lease length
  async claimDurable(name: string, canonicalQuery: string, holder: string, leaseMs: number): Promise<bigint> {
    return this.bound(this.claim(name, canonicalQuery, holder, leaseMs), 'the claim of a durable name');
  }

  private claim(name: string, canonicalQuery: string, holder: string, leaseMs: number): Promise<bigint> {
    return this.sql.begin(async (tx) => {
      await tx.unsafe(
        `INSERT INTO ${this.t.cursors} (name, query, position) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING`,
        [name, canonicalQuery],
        PREPARED,
      );
      const [row] = await tx.unsafe(
        `SELECT query, position, holder, heartbeat > clock_timestamp() - make_interval(secs => $2) AS alive FROM ${this.t.cursors} WHERE name = $1 FOR UPDATE`,
        [name, leaseMs / 1000] as never[],
        PREPARED,
      );
      if (row?.holder !== null && row?.holder !== holder && row?.alive) throw new DurableStreamActiveError(name);
      if (row?.query !== canonicalQuery) throw new DurableStreamQueryMismatchError(name, row?.query, canonicalQuery);
      await tx.unsafe(`UPDATE ${this.t.cursors} SET holder = $2, heartbeat = clock_timestamp() WHERE name = $1`, [name, holder], PREPARED);
      return BigInt(row.position);
    });
  }

  async renewLeases(holder: string, names: readonly string[]): Promise<readonly string[]> {
    const rows = await this.bound(
      this.sql.unsafe(
        `UPDATE ${this.t.cursors} SET heartbeat = clock_timestamp() WHERE holder = $1 AND name = ANY($2::text[]) RETURNING name`,
        [holder, arrayLiteral(names)],
        PREPARED,
      ),
      'the renewal of leases',
    );
    return Array.from(rows as unknown as { name: string }[], (row) => row.name);
  }

  async saveCursor(name: string, position: bigint, holder: string): Promise<boolean> {
    const result = await this.bound(
      this.sql.unsafe(
        `UPDATE ${this.t.cursors} SET position = $1::bigint, heartbeat = clock_timestamp() WHERE name = $2 AND holder = $3`,
        [positionParam(position), name, holder],
        PREPARED,
      ),
      'the save of a cursor',
    );
    return result.count > 0;
  }

  /**
   * The projection's transaction: the hold checked with the cursor row locked (no claim can take
   * the name until the transaction ends), the handler's statements, the cursor saved; the save
   * after the handler also fails the transaction when a statement of the handler aborted it.
   */
  async saveCursorWith(name: string, position: bigint, holder: string, work: (tx: PostgresTransaction) => Promise<void>): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const held = await tx.unsafe(`SELECT 1 FROM ${this.t.cursors} WHERE name = $1 AND holder = $2 FOR UPDATE`, [name, holder], PREPARED);
      if (held.length === 0) return false;
      await work(tx);
      await tx.unsafe(
        `UPDATE ${this.t.cursors} SET position = $1::bigint, heartbeat = clock_timestamp() WHERE name = $2`,
        [positionParam(position), name],
        PREPARED,
      );
      return true;
    });
  }

  async releaseDurable(name: string, holder: string): Promise<void> {
    await this.bound(
      this.sql.unsafe(
        `UPDATE ${this.t.cursors} SET holder = NULL, heartbeat = NULL WHERE name = $1 AND holder = $2`,
        [name, holder],
        PREPARED,
      ),
      'the release of a durable name',
    );
  }

  async readCursor(name: string): Promise<bigint | null> {
    const [row] = await this.sql.unsafe(`SELECT position FROM ${this.t.cursors} WHERE name = $1`, [name], PREPARED);
    return row === undefined ? null : BigInt(row.position);
  }

  watch(onCommit: (head?: bigint) => void): void {
    // a commit's notification is its range, `first-last`: commits are in position order (the
    // counter row), so every position up to `last` is committed. onlisten runs after every
    // (re)connect of the listening connection: read what was missed
    this.listening = this.listener
      ?.listen(
        this.channel,
        (range) => onCommit(notifiedHead(range)),
        () => onCommit(),
      )
      .catch(() => undefined);
    this.poller = setInterval(onCommit, this.options.pollIntervalMs).unref();
  }

  async close(): Promise<void> {
    this.state = 'closing';
    this.readAhead.clear();
    clearInterval(this.poller);
    const ending = async () => {
      // close() may come before LISTEN is set up; wait for it, so that no listener outlives the store
      await (await this.listening)?.unlisten().catch(() => {});
    };
    const bound = this.options.closeTimeoutMs;
    const started = performance.now();
    await withDeadline(ending(), bound / 2, 'UNLISTEN').catch(() => {});
    const rest = Math.max(0, bound - (performance.now() - started));
    await Promise.all([
      this.listener !== undefined && this.listener !== this.sql && endPool(this.listener, rest),
      this.owned && endPool(this.sql, rest),
    ]);
    releaseDriverGuard();
  }

  /** `work` within `callTimeoutMs`, else a `BACKEND_FAILURE` that names `what`. */
  private bound<T>(work: Promise<T>, what: string): Promise<T> {
    return withDeadline(work, this.options.callTimeoutMs, what);
  }

  async inspect(): Promise<StorageFacts> {
    return this.sql.begin('isolation level repeatable read read only', (tx) => inspectStorage(tx, this.t, this.options.leaseMs));
  }

  async scanEvents(after: bigint, limit: number): Promise<EventRecord[]> {
    return scanEvents(this.sql, this.t, after, limit);
  }

  async scanBatches(after: bigint, limit: number): Promise<StoredBatchRow[]> {
    return scanBatches(this.sql, this.t, after, limit);
  }

  async importBatches(batches: readonly StoredBatch[]): Promise<boolean> {
    return this.sql.begin((tx) => importBatches(tx, this.t, batches, this.identities));
  }

  async importCursors(cursors: readonly StoredCursor[]): Promise<boolean> {
    return this.sql.begin((tx) => importCursors(tx, this.t, cursors));
  }

  /** The planner's statistics of the log's tables, after an import (autovacuum may be off, or late). */
  async refreshStatistics(): Promise<void> {
    await this.sql.unsafe(`ANALYZE ${this.t.events}, ${this.t.batches}`);
  }

  /** The committed batches (with their records) of those `identities` that are in the log. */
  private committedBatches(db: Runner, identities: readonly string[]): Promise<Map<string, CommittedBatch>> {
    return readCommittedBatches(identities, {
      ranges: async (keys) =>
        (
          (await db.unsafe(
            `SELECT first_seq, last_seq, append_key FROM ${this.t.batches} WHERE append_key = ANY($1::text[])`,
            [arrayLiteral(keys)],
            PREPARED,
          )) as unknown as { first_seq: bigint; last_seq: bigint; append_key: string }[]
        ).map((r) => ({ first: BigInt(r.first_seq), last: BigInt(r.last_seq), identity: r.append_key })),
      records: (first, last) => this.readRecords(db, first, last),
    });
  }

  /** The records from `first` to `last` on `db`, ascending. */
  private async readRecords(db: Runner, first: bigint, last: bigint): Promise<EventRecord[]> {
    const rows = (await db.unsafe(
      `SELECT seq, occurred_at, event_type, payload FROM ${this.t.events} WHERE seq BETWEEN $1::bigint AND $2::bigint ORDER BY seq`,
      [positionParam(first), positionParam(last)] as never[],
      PREPARED,
    )) as unknown as EventRow[];
    return Array.from(rows, toRecord);
  }

  /** The last committed position on `db`. */
  private async readHead(db: Runner): Promise<bigint> {
    const [row] = await db.unsafe(`SELECT COALESCE(MAX(seq), 0) AS head FROM ${this.t.events}`);
    return BigInt(row?.head ?? 0);
  }
}

/** The last position of a commit's notification (`first-last`), or `undefined` for any other text. */
export function notifiedHead(range: string): bigint | undefined {
  const match = /^[1-9][0-9]*-([1-9][0-9]*)$/.exec(range);
  return match ? BigInt(match[1] as string) : undefined;
}
