import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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
} from 'factstore/backend';
import { DurableStreamActiveError, DurableStreamQueryMismatchError, type EventRecord, type QueryResult } from 'factstore';
import { Connection } from './connection.js';
import { prepareSchema } from './schema.js';
import { importBatches, importCursors, inspectStorage, scanBatches, scanEvents } from './maintenance.js';
import { candidates, contextVersions, planQuery, positionParam, readPage } from './plan.js';
import { runProjection, type SqliteTransaction } from './projection.js';
import type { SqliteStoreOptions } from './options.js';

/** Read connections for snapshots (a transaction of several statements, one at a time on each). */
const READERS = 2;
/** Read connections for single statements (never a transaction, so many can be queued on each). */
const STATEMENT_READERS = 2;

/**
 * Storage for {@link SqliteStore}: one write connection per process (every write in a
 * `BEGIN IMMEDIATE` transaction, so several processes can write one file), read connections for
 * snapshot reads, and a connection that watches `PRAGMA data_version` for other processes' commits.
 */
export class SqliteBackend implements StoreBackend, MaintenanceBackend {
  private readonly identities = new AppendIdentities();
  private nextReader = 0;
  private nextStatementReader = 0;
  private poller: NodeJS.Timeout | undefined;

  private constructor(
    /** The absolute path of the database file. */
    readonly path: string,
    private readonly write: Connection,
    private readonly readers: Connection[],
    private readonly statementReaders: Connection[],
    private readonly watcher: Connection,
    private readonly options: Required<SqliteStoreOptions>,
  ) {}

  /** Opens (creating folders, file and tables when missing) and checks the format. */
  static async open(file: string, options: Required<SqliteStoreOptions>): Promise<SqliteBackend> {
    const path = resolve(file);
    await mkdir(dirname(path), { recursive: true });
    const opened: Connection[] = [];
    try {
      const write = await Connection.open(path);
      opened.push(write);
      write.busyTimeout(options.busyTimeoutMs);
      await write.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous};`);
      // from here the write lock is waited for by our own loop (fair to processes that waited long), busyTimeoutMs in all
      write.waitForWriteLock(options.busyTimeoutMs);
      await prepareSchema(write);
      const readers: Connection[] = [];
      for (let i = 0; i < READERS + STATEMENT_READERS + 1; i++) {
        const reader = await Connection.open(path);
        opened.push(reader);
        reader.busyTimeout(options.busyTimeoutMs);
        readers.push(reader);
      }
      const watcher = readers.pop() as Connection;
      const backend = new SqliteBackend(path, write, readers.slice(0, READERS), readers.slice(READERS), watcher, options);
      // the baseline is read before open() resolves, so no commit after it can go unnoticed (the
      // watch starts later, at the first stream: its first poll signals any commit since open)
      backend.dataVersion = (await watcher.get<{ data_version: number }>('PRAGMA data_version'))?.data_version;
      return backend;
    } catch (error) {
      await Promise.allSettled(opened.map((c) => c.close()));
      throw error;
    }
  }

  async append(events: readonly ValidEvent[], condition?: AppendCondition, key?: string): Promise<CommittedBatch> {
    return this.groups.submit({ events, condition, key, identity: this.identities.of(key) });
  }

  appendDecisions(condition: AppendCondition, followUps: readonly FollowUp[]): Promise<CommittedBatch>[] {
    const items = followUps.map((followUp) => ({ events: [], condition, followUp, identity: this.identities.of(undefined) }));
    return this.groups.submitAll(items);
  }

  /**
   * Group commit: the appends that queued up while the previous transaction ran go into one
   * `BEGIN IMMEDIATE` transaction: the head, each appendIf's context version and the batches of
   * the idempotency keys are read under the lock, keys and conditions decided in order (each
   * against the appends accepted ahead of it), and every accepted append written by two
   * statements, each with its own range and batch row. A SQLite commit that fails did not commit
   * (`refused`): after one, what landed is still looked for by the identities kept with the
   * batches (it finds nothing there), and a second commit with `mayHaveLanded` looks every
   * identity up under the lock, as the PostgreSQL store's must; it keeps the guarantee in one place.
   */
  private readonly groups = new GroupCommit<GroupAppend>(
    (group, mayHaveLanded) =>
      this.write.transaction('IMMEDIATE', async () => {
        // reads on the locked connection, sent together (their order does not matter)
        const verdicts = await decideGroup(
          group,
          async (contexts, identities) => {
            const [head, versions, committed] = await Promise.all([
              this.readHead(this.write),
              contextVersions(this.write, contexts),
              this.committedBatches(this.write, identities),
            ]);
            return { head, versions, committed };
          },
          mayHaveLanded,
        );
        return verdicts.outcomes(
          verdicts.accepted.length === 0 ? [] : await this.writeBatches(this.write, verdicts.accepted, verdicts.head, verdicts.at),
        );
      }),
    {
      refused: () => true,
      landed: async (items) => {
        const db = this.reader();
        const found = await db.transaction('DEFERRED', () =>
          this.committedBatches(
            db,
            items.map((item) => item.identity as string),
          ),
        );
        return items.map((item) => found.get(item.identity as string));
      },
    },
  );

  /**
   * Writes appends inside the running write transaction after `head` (read under the lock), each
   * with its own consecutive range and batch row, at the group's time `occurredAt`: two statements.
   */
  private async writeBatches(db: Connection, appends: readonly GroupAppend[], last: bigint, occurredAt: Date): Promise<CommittedBatch[]> {
    const head = Number(last);
    const at = occurredAt.getTime();
    const rows: [string, string][] = [];
    const ranges: [number, number, string | undefined][] = [];
    const out: CommittedBatch[] = [];
    for (const { events, identity } of appends) {
      const first = head + rows.length + 1;
      for (const event of events) rows.push([event.eventType, JSON.stringify(event.payload)]);
      ranges.push([first, first + events.length - 1, identity]);
      out.push({
        firstSequenceNumber: BigInt(first),
        lastSequenceNumber: BigInt(first + events.length - 1),
        records: events.map((event, i) =>
          Object.freeze({ sequenceNumber: BigInt(first + i), occurredAt, eventType: event.eventType, payload: event.payload }),
        ),
      });
    }
    await db.run(
      'INSERT INTO events (seq, occurred_at, event_type, payload) SELECT ? + key + 1, ?, value ->> 0, value ->> 1 FROM json_each(?)',
      [head, at, JSON.stringify(rows)],
    );
    await db.run('INSERT INTO batches (first_seq, last_seq, append_key) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)', [
      JSON.stringify(ranges),
    ]);
    return out;
  }

  async query(query: ValidQuery): Promise<QueryResult> {
    const plan = planQuery(query);
    const range = readRange(query);
    // a small context, or the newest N, is answered by one statement (consistent by itself); the rest in a snapshot
    const quick = await answerQuickly(candidates(this.statementReader(), plan), plan.matcher, range);
    if (quick) return quick;
    const db = this.reader();
    return db.transaction('DEFERRED', () => readQuery(candidates(db, plan), plan.matcher, range));
  }

  async readBatches(after: bigint, maxEvents: number): Promise<CommittedBatch[]> {
    const db = this.reader();
    return db.transaction('DEFERRED', () =>
      readWholeBatches(after, maxEvents, {
        // only batches that start within `limit` positions can be taken (each is taken while fewer than
        // `limit` events are), so the read stops there: a few rows for a page of large batches, not `limit`
        ranges: async (from, limit) =>
          (
            await db.all<{ first_seq: number; last_seq: number }>(
              'SELECT first_seq, last_seq FROM batches WHERE first_seq > ? AND first_seq <= ? ORDER BY first_seq LIMIT ?',
              [positionParam(from), positionParam(from + BigInt(limit)), limit],
            )
          ).map((r) => ({ first: BigInt(r.first_seq), last: BigInt(r.last_seq) })),
        head: () => this.readHead(db),
        records: (first, last) => this.readRecords(db, first, last),
      }),
    );
  }

  async head(): Promise<bigint> {
    return this.readHead(this.statementReader());
  }

  async claimDurable(name: string, canonicalQuery: string, holder: string, leaseMs: number): Promise<bigint> {
    return this.write.transaction('IMMEDIATE', async () => {
      const row = await this.write.get<{ query: string; position: number; holder: string | null; heartbeat: number | null }>(
        'SELECT query, position, holder, heartbeat FROM cursors WHERE name = ?',
        [name],
      );
      const now = Date.now();
      if (row && row.holder !== null && row.holder !== holder && (row.heartbeat ?? 0) > now - leaseMs) {
        throw new DurableStreamActiveError(name);
      }
      if (row && row.query !== canonicalQuery) throw new DurableStreamQueryMismatchError(name, row.query, canonicalQuery);
      if (row) await this.write.run('UPDATE cursors SET holder = ?, heartbeat = ? WHERE name = ?', [holder, now, name]);
      else
        await this.write.run('INSERT INTO cursors (name, query, position, holder, heartbeat) VALUES (?, ?, 0, ?, ?)', [
          name,
          canonicalQuery,
          holder,
          now,
        ]);
      return BigInt(row?.position ?? 0);
    });
  }

  async renewLeases(holder: string, names: readonly string[]): Promise<readonly string[]> {
    const rows = await this.write.exclusive(() =>
      this.write.locked(() =>
        this.write.all<{ name: string }>(
          'UPDATE cursors SET heartbeat = ? WHERE holder = ? AND name IN (SELECT value FROM json_each(?)) RETURNING name',
          [Date.now(), holder, JSON.stringify(names)],
        ),
      ),
    );
    return rows.map((row) => row.name);
  }

  async saveCursor(name: string, position: bigint, holder: string): Promise<boolean> {
    const changed = await this.write.exclusive(() =>
      this.write.locked(() =>
        this.write.run('UPDATE cursors SET position = ?, heartbeat = ? WHERE name = ? AND holder = ?', [
          positionParam(position),
          Date.now(),
          name,
          holder,
        ]),
      ),
    );
    return changed > 0;
  }

  /**
   * The projection's transaction: `BEGIN IMMEDIATE` (the write lock of the file, so no process can
   * claim the name until it ends), the hold checked, the handler's statements, the cursor saved.
   */
  async saveCursorWith(name: string, position: bigint, holder: string, work: (tx: SqliteTransaction) => Promise<void>): Promise<boolean> {
    return this.write.transaction('IMMEDIATE', async () => {
      if (!(await this.write.get('SELECT 1 AS held FROM cursors WHERE name = ? AND holder = ?', [name, holder]))) return false;
      await runProjection(this.write, work);
      await this.write.run('UPDATE cursors SET position = ?, heartbeat = ? WHERE name = ?', [positionParam(position), Date.now(), name]);
      return true;
    });
  }

  async releaseDurable(name: string, holder: string): Promise<void> {
    await this.write.exclusive(() =>
      this.write.locked(() =>
        this.write.run('UPDATE cursors SET holder = NULL, heartbeat = NULL WHERE name = ? AND holder = ?', [name, holder]),
      ),
    );
  }

  async readCursor(name: string): Promise<bigint | null> {
    const row = await this.statementReader().get<{ position: number }>('SELECT position FROM cursors WHERE name = ?', [name]);
    return row === undefined ? null : BigInt(row.position);
  }

  private dataVersion: number | undefined;

  watch(onCommit: () => void): void {
    let busy = false;
    this.poller = setInterval(() => {
      if (busy) return;
      busy = true;
      this.watcher
        .get<{ data_version: number }>('PRAGMA data_version')
        .then((row) => {
          const version = row?.data_version;
          if (version !== this.dataVersion) onCommit();
          this.dataVersion = version;
        })
        .catch(() => {})
        .finally(() => {
          busy = false;
        });
    }, this.options.pollIntervalMs).unref();
  }

  /**
   * Closes the readers first, then checkpoints the WAL into the database file and closes the
   * write connection last: SQLite folds the WAL back into the file only when the last connection
   * of all processes closes, and several connections of one process closing at once each see the
   * others still open, so the `-wal` file stayed behind and a copy of the `.db` alone missed the
   * latest commits. With no other process on the file, this leaves the one file with everything.
   */
  async close(): Promise<void> {
    clearInterval(this.poller);
    await Promise.allSettled([...this.readers, ...this.statementReaders, this.watcher].map((c) => c.close()));
    // TRUNCATE empties the WAL file; when another process still reads, it checkpoints what it can
    await this.write.exclusive(() => this.write.run('PRAGMA wal_checkpoint(TRUNCATE)')).catch(() => {});
    await this.write.close().catch(() => {});
  }

  async inspect(): Promise<StorageFacts> {
    const db = this.reader();
    return db.transaction('DEFERRED', () => inspectStorage(db, this.options.leaseMs));
  }

  async scanEvents(after: bigint, limit: number): Promise<EventRecord[]> {
    return scanEvents(this.statementReader(), after, limit);
  }

  async scanBatches(after: bigint, limit: number): Promise<StoredBatchRow[]> {
    return scanBatches(this.statementReader(), after, limit);
  }

  async importBatches(batches: readonly StoredBatch[]): Promise<boolean> {
    return this.write.transaction('IMMEDIATE', () => importBatches(this.write, batches, this.identities));
  }

  async importCursors(cursors: readonly StoredCursor[]): Promise<boolean> {
    return this.write.transaction('IMMEDIATE', () => importCursors(this.write, cursors));
  }

  /** The committed batches (with their records) of those `identities` that are in the log, on `db`. */
  private committedBatches(db: Connection, identities: readonly string[]): Promise<Map<string, CommittedBatch>> {
    return readCommittedBatches(identities, {
      ranges: async (keys) =>
        (
          await db.all<{ first_seq: number; last_seq: number; append_key: string }>(
            'SELECT first_seq, last_seq, append_key FROM batches WHERE append_key IN (SELECT value FROM json_each(?))',
            [JSON.stringify(keys)],
          )
        ).map((r) => ({ first: BigInt(r.first_seq), last: BigInt(r.last_seq), identity: r.append_key })),
      records: (first, last) => this.readRecords(db, first, last),
    });
  }

  /** The records from `first` to `last` on `db`, ascending. */
  private async readRecords(db: Connection, first: bigint, last: bigint): Promise<EventRecord[]> {
    return readPage(db, 'SELECT seq, occurred_at, event_type, payload FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq', [
      positionParam(first),
      positionParam(last),
    ]);
  }

  /** The last committed position on `db`. */
  private async readHead(db: Connection): Promise<bigint> {
    const row = await db.get<{ head: number }>('SELECT COALESCE(MAX(seq), 0) AS head FROM events');
    return BigInt(row?.head ?? 0);
  }

  /** A connection for one statement: it never holds a transaction, so the statement reads the newest commit. */
  private statementReader(): Connection {
    return this.statementReaders[this.nextStatementReader++ % this.statementReaders.length] as Connection;
  }

  /** A connection for a snapshot: use it inside `transaction` only. */
  private reader(): Connection {
    return this.readers[this.nextReader++ % this.readers.length] as Connection;
  }
}
