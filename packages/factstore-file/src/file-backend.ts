import type { EventRecord, QueryResult } from 'factstore';
import {
  answerIndexed,
  compileMatcher,
  decideGroup,
  GroupCommit,
  identityKey,
  indexedContextVersion,
  keyIdentity,
  predicateKeys,
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
import { MissingBatchHistoryError } from './batch-scanner.js';
import { DurableCursors } from './cursors.js';
import { readIfExists, type FileSystem } from './file-system.js';
import { FORMAT_VERSION, prepareFolder, removeLeftovers } from './format.js';
import { replaceFile } from './cursors.js';
import { Layout } from './layout.js';
import { newHolder, type Holder } from './lease.js';
import { Log } from './log.js';
import { LogWriter } from './log-writer.js';
import type { FileStoreOptions } from './options.js';
import { WriteLock } from './write-lock.js';

/** How often the write lock's heartbeat is renewed. */
const HEARTBEAT_MS = 1000;
/** How long reads may go on without letting timers and I/O callbacks run. */
const YIELD_MS = 20;

/**
 * Storage for {@link FileStore}: the segments, read into an in-memory map and index at open and
 * kept current from the files; writes under the cross-process write lock with group commit;
 * durable cursors in their own files.
 */
export class FileBackend implements StoreBackend, MaintenanceBackend {
  private readonly heartbeat: NodeJS.Timeout;
  private poller: NodeJS.Timeout | undefined;
  private watcher: { close(): void } | undefined;
  private closed = false;
  private yieldedAt = 0;

  private constructor(
    private readonly files: FileSystem,
    private readonly layout: Layout,
    private readonly options: Required<FileStoreOptions>,
    private readonly holder: Holder,
    private readonly log: Log,
    private readonly lock: WriteLock,
    private readonly writer: LogWriter,
    private readonly cursors: DurableCursors,
  ) {
    this.heartbeat = setInterval(() => this.lock.renew(), HEARTBEAT_MS).unref();
  }

  /** The absolute path of the store's folder. */
  get path(): string {
    return this.layout.root;
  }

  /**
   * Opens the folder (making it a store when it is missing or empty), reads the log up to the
   * published head, and, when the newest segment and the head disagree (a writer died mid-write,
   * or a write is under way), takes the write lock to read on and cut off a torn tail.
   */
  static async open(root: string, options: Required<FileStoreOptions>, files: FileSystem): Promise<FileBackend> {
    const layout = new Layout(root);
    const sync = options.durability === 'fsync';
    await prepareFolder(files, layout, sync);
    removeLeftovers(files, layout);
    const holder = newHolder();
    const log = new Log(files, layout, options.cachedEvents);
    try {
      const lock = new WriteLock(files, layout.writeLock, holder, { timeoutMs: options.lockTimeoutMs, pollMs: options.pollIntervalMs });
      const writer = new LogWriter(files, layout, log, { sync, segmentBytes: options.segmentBytes });
      try {
        const firsts = await log.load(readIndexedKeys(files, layout));
        if (log.consistent()) log.checkSegments(firsts);
        else {
          try {
            await lock.with(() => writer.prepare(() => log.checkSegments(firsts)));
          } finally {
            lock.release(); // no lingering: an open is not a write
          }
        }
      } catch (error) {
        // lines without their batch end: opened with the log before them, changing nothing; every
        // read and write that reaches them fails (BACKEND_FAILURE) until they are repaired
        if (!(error instanceof MissingBatchHistoryError)) throw error;
      }
      return new FileBackend(files, layout, options, holder, log, lock, writer, new DurableCursors(files, layout, sync));
    } catch (error) {
      log.close();
      throw error;
    }
  }

  async append(events: readonly ValidEvent[], condition?: AppendCondition, key?: string): Promise<CommittedBatch> {
    if (condition) await this.indexKeys(condition.query);
    return this.groups.submit({ events, condition, key, identity: key === undefined ? undefined : keyIdentity(key) });
  }

  appendDecisions(condition: AppendCondition, followUps: readonly FollowUp[]): Promise<CommittedBatch>[] {
    const items = followUps.map((followUp) => ({ events: [], condition, followUp }));
    const submitted = this.indexKeys(condition.query).then(() => this.groups.submitAll(items));
    return items.map((_, i) => submitted.then((all) => all[i] as Promise<CommittedBatch>));
  }

  /**
   * Group commit: the appends that queued up while the previous group was written go into one
   * write and one sync, under the write lock: the log is brought up to date (other processes'
   * commits, a torn tail cut off), each appendIf's context version is read from the index, the
   * idempotency keys and conditions are decided in order (a key already in the log, read from the
   * `"key"` of batches' last lines, answers with its batch; a condition is checked against the
   * appends accepted ahead of it in the group), and every accepted append is written with its own
   * consecutive range, its key on its last line. A failed write is cut off before the error is
   * thrown (or before the next write), so its outcome is known here: no `landed` check is needed.
   */
  private readonly groups = new GroupCommit<GroupAppend>((group) =>
    this.lock.with(async (kept) => {
      await this.writer.prepare(undefined, kept);
      const verdicts = await decideGroup(group, async (contexts, identities) => ({
        head: BigInt(this.log.head),
        versions: contexts.map(({ query, matcher }) => {
          const version = indexedContextVersion(this.log, query, matcher);
          return version === 0 ? null : BigInt(version);
        }),
        committed: this.committedBatches(identities),
      }));
      if (verdicts.accepted.length === 0) return verdicts.outcomes([]);
      this.lock.assertHeld();
      return verdicts.outcomes(await this.writer.write(verdicts.accepted, verdicts.at));
    }),
  );

  /** The batches in the log of those identities (`k:<key>`) whose key was appended with already. */
  private committedBatches(identities: readonly string[]): Map<string, CommittedBatch> {
    const found = new Map<string, CommittedBatch>();
    for (const identity of identities) {
      const key = identityKey(identity);
      const batch = key === undefined ? undefined : this.log.keyedBatch(key);
      if (batch) found.set(identity, batch);
    }
    return found;
  }

  async query(query: ValidQuery): Promise<QueryResult> {
    await this.indexKeys(query);
    this.log.refresh();
    return answerIndexed(this.log, query, compileMatcher(query));
  }

  async readBatches(after: bigint, maxEvents: number): Promise<CommittedBatch[]> {
    // reads here need no I/O callback, so a replay would otherwise run as one chain of microtasks,
    // starving timers (heartbeats: a long replay would lose its lease) and I/O; let them run now and then
    if (Date.now() - this.yieldedAt > YIELD_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.yieldedAt = Date.now();
    }
    this.log.refresh();
    return this.log.reader.batches(this.log.map.batchesAfter(Number(after), maxEvents));
  }

  async head(): Promise<bigint> {
    this.log.refresh();
    return BigInt(this.log.head);
  }

  claimDurable(name: string, canonicalQuery: string, holder: string, leaseMs: number): Promise<bigint> {
    return this.cursors.claim(name, canonicalQuery, holder, leaseMs);
  }

  async renewLeases(holder: string, names: readonly string[]): Promise<readonly string[]> {
    return this.cursors.renew(holder, names);
  }

  saveCursor(name: string, position: bigint, holder: string): Promise<boolean> {
    return this.cursors.save(name, position, holder);
  }

  async readCursor(name: string): Promise<bigint | null> {
    return this.cursors.read(name);
  }

  releaseDurable(name: string, holder: string): Promise<void> {
    return this.cursors.release(name, holder);
  }

  /**
   * Polls the `head` file every `pollIntervalMs` (one small read) for other processes' commits;
   * where the platform reports changes of a file (`fs.watch`), a change of `head` triggers a look
   * at once too, unless this instance holds the write lock (then the change is its own write:
   * nobody else can commit). The poll is what counts: a missed or unsupported notification, or
   * one passed over, only costs latency.
   */
  watch(onCommit: () => void): void {
    // the first look signals whatever it finds: a commit read in by a query since the stream that
    // started this watch registered is one the stream has not been told of
    let notified: number | undefined;
    const look = () => {
      if (this.closed) return;
      try {
        this.log.refresh();
      } catch {
        // a damaged log fails the next read with BACKEND_FAILURE; the poll just goes on
      }
      if (this.log.head !== notified) {
        notified = this.log.head;
        onCommit();
      }
    };
    this.poller = setInterval(() => {
      this.watcher ??= this.files.watch(this.layout.head, () => {
        if (!this.lock.heldNow) look();
      });
      look();
    }, this.options.pollIntervalMs).unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    clearInterval(this.heartbeat);
    this.watcher?.close();
    await this.cursors.close();
    // the groups still queued have all settled: the base class waits for every pending call
    this.lock.release();
    this.writer.close();
    this.log.close();
  }

  async inspect(): Promise<StorageFacts> {
    this.log.refresh();
    return {
      // prepareFolder refused any other version at open, and there is no upgrade yet
      formatVersion: FORMAT_VERSION,
      supportedFormat: FORMAT_VERSION,
      eventCount: BigInt(this.log.head),
      batchCount: BigInt(this.log.map.batches),
      eventTypes: this.log.index
        .typeCounts()
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([eventType, count]) => ({ eventType, count: BigInt(count) })),
      cursors: this.cursors.list(this.options.leaseMs),
    };
  }

  async scanEvents(after: bigint, limit: number): Promise<EventRecord[]> {
    this.log.refresh();
    const from = Number(after) + 1;
    const to = Math.min(this.log.head, Number(after) + limit);
    return from > to ? [] : this.log.reader.range(from, to);
  }

  async scanBatches(after: bigint, limit: number): Promise<StoredBatchRow[]> {
    this.log.refresh();
    return this.log.map.rangesAfter(Number(after), limit).map(({ first, last }) => {
      const key = this.log.batchKeys.get(first);
      return { first: BigInt(first), last: BigInt(last), ...(key === undefined ? {} : { idempotencyKey: key }) };
    });
  }

  importBatches(batches: readonly StoredBatch[]): Promise<boolean> {
    return this.lock.with(async (kept) => {
      await this.writer.prepare(undefined, kept);
      if (BigInt(this.log.head) + 1n !== batches[0]?.firstSequenceNumber) return false;
      this.lock.assertHeld();
      await this.writer.write(
        batches.map((batch) => ({ events: batch.records, key: batch.idempotencyKey, times: batch.records.map((r) => r.occurredAt) })),
      );
      return true;
    });
  }

  importCursors(cursors: readonly StoredCursor[]): Promise<boolean> {
    return this.cursors.importAll(cursors, this.holder.holder);
  }

  /** Makes sure the value index covers the query's keys, and remembers them for the next open. */
  private async indexKeys(query: ValidQuery): Promise<void> {
    const keys = predicateKeys(query);
    if (keys.size === 0) return;
    const before = this.log.index.keys.length;
    await this.log.ensureKeys(keys);
    if (this.log.index.keys.length !== before) {
      const known = new Set([...readIndexedKeys(this.files, this.layout), ...this.log.index.keys]);
      const content = Buffer.from(`${JSON.stringify([...known])}\n`, 'utf8');
      // a hint for the next open; losing it costs one read of the log per key, so no sync
      await replaceFile(this.files, this.layout.indexedKeys, content, this.holder.holder, false).catch(() => {});
    }
  }
}

/** The payload keys listed in `indexed-keys.json` (none when it is missing or unreadable). */
function readIndexedKeys(files: FileSystem, layout: Layout): string[] {
  try {
    const text = readIfExists(files, layout.indexedKeys);
    const keys: unknown = text === undefined ? [] : JSON.parse(text.toString('utf8'));
    return Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [];
  } catch {
    return [];
  }
}
