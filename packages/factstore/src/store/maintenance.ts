import { pathAt } from '../validation/issues.js';
import { InvalidInputError, type InvalidInputIssue } from '../errors.js';
import type { EventRecord } from '../event.js';
import type { EventStore } from '../event-store.js';
import type { JsonValue } from '../json.js';
import { compileMatcher, type EventMatcher } from '../matching/query-match.js';
import { MAX_POSITION, type EventQuery, type QueryResult } from '../query.js';
import { validateAppendOptions, validateDurableName, validateEvents, validateQuery, type ValidQuery } from '../validation/validate.js';
import { assembleBatches } from './batches.js';

/** One batch row as a store keeps it: the range of one committed append and its idempotency key. */
export interface StoredBatchRow {
  /** Position of the first event of the batch. */
  readonly first: bigint;
  /** Position of the last event of the batch. */
  readonly last: bigint;
  /** The idempotency key the batch was appended with, if any. */
  readonly idempotencyKey?: string;
}

/** A committed batch with everything an export keeps: its range, its records (with their times) and its key. */
export interface StoredBatch {
  /** Position of the first record. */
  readonly firstSequenceNumber: bigint;
  /** Position of the last record. */
  readonly lastSequenceNumber: bigint;
  /** Every record of the batch, ascending and consecutive, with the commit time each was stored with. */
  readonly records: readonly EventRecord[];
  /** The idempotency key the batch was appended with, if any: an import keeps it, so retries still find it. */
  readonly idempotencyKey?: string;
}

/** A durable stream's stored cursor. */
export interface StoredCursor {
  /** The durable name. */
  readonly name: string;
  /** Its query in canonical form (as `canonicalQuery` writes it). */
  readonly query: string;
  /** The position it has delivered up to (0, or the end of a batch). */
  readonly position: bigint;
}

/** A stored cursor and who holds its name. */
export interface CursorState extends StoredCursor {
  /** The holder id of the store instance that holds the name, `null` when it is free. */
  readonly holder: string | null;
  /** Whether a live holder holds the name: its lease was renewed less than a lease length ago. */
  readonly leased: boolean;
}

/** What a store knows about its storage, for {@link StoreMaintenance.inspect}. */
export interface StorageFacts {
  /** The format version of the storage as it is now (after the upgrade at open). */
  readonly formatVersion: number;
  /** The newest format version this release reads and writes. */
  readonly supportedFormat: number;
  /** How many events the log holds. */
  readonly eventCount: bigint;
  /** How many batch rows (committed appends) the store keeps. */
  readonly batchCount: bigint;
  /** How many events of each type, by type (ascending). */
  readonly eventTypes: readonly { readonly eventType: string; readonly count: bigint }[];
  /** Every durable stream's cursor, by name (ascending). */
  readonly cursors: readonly CursorState[];
}

/**
 * What a store's backend adds so that its store can be inspected, verified, exported and imported
 * (by `factstore-cli` and {@link storeMaintenance}): storage reads that check nothing, and bulk
 * writes into an empty store. Optional: a {@link StoreBackend} that implements it makes its store
 * maintainable. Every check, the export's assembly and the import's validation are factstore's
 * ({@link StoreMaintenance}); the backend only reads and writes what is stored, exactly as stored.
 */
export interface MaintenanceBackend {
  /** Counts and cursors of the storage, with its format version. */
  inspect(): Promise<StorageFacts>;

  /**
   * The stored events with positions above `after`, ascending, at most `limit`, as stored: no check
   * that they are gapless or covered by batches (a damaged log shows here as it is).
   */
  scanEvents(after: bigint, limit: number): Promise<EventRecord[]>;

  /** The stored batch rows whose first position is above `after`, ascending, at most `limit`, unchecked. */
  scanBatches(after: bigint, limit: number): Promise<StoredBatchRow[]>;

  /**
   * Writes whole batches (validated, contiguous, ascending) with their positions, commit times and
   * idempotency keys, in one write under the store's write serialisation, when the log ends just
   * before the first of them (at `firstSequenceNumber - 1`).
   * @returns false when it does not: nothing was written
   */
  importBatches(batches: readonly StoredBatch[]): Promise<boolean>;

  /**
   * Stores cursors (validated; names not held), in one write, when the store has no cursor yet.
   * @returns false when it has one: nothing was written
   */
  importCursors(cursors: readonly StoredCursor[]): Promise<boolean>;

  /**
   * Optional: after an import wrote its last batch, brings up to date what a bulk load leaves
   * stale, so that the first queries are planned for the data (PostgreSQL: the planner's
   * statistics, `ANALYZE`; a never-analyzed table of a million events answered a whole-log query
   * past the call timeout). Changes nothing that is stored.
   */
  refreshStatistics?(): Promise<void>;
}

/** What {@link StoreMaintenance.inspect} reports. */
export interface StoreInspection extends Omit<StorageFacts, 'cursors'> {
  /** The last committed position, `0n` for an empty log. */
  readonly head: bigint;
  /** Every durable stream, by name, with how far it is behind the head (`lag`). */
  readonly durableStreams: readonly (CursorState & { readonly lag: bigint })[];
}

/** What {@link StoreMaintenance.verify} found. */
export interface VerifyReport {
  /** True when nothing is wrong. */
  readonly ok: boolean;
  /** What is wrong, one sentence each (at most {@link MAX_PROBLEMS} of a kind are listed). */
  readonly problems: readonly string[];
  /** How much was checked. */
  readonly checked: { readonly events: bigint; readonly batches: bigint; readonly sampleQueries: number; readonly cursors: number };
}

/** How many problems of one kind {@link StoreMaintenance.verify} lists before it says "and more". */
export const MAX_PROBLEMS = 20;

/** How many events an export or import reads or writes at a time, by default. */
export const CHUNK_EVENTS = 1000;

/** How many matches of a sample query `verify` compares position by position. */
const SAMPLE_MATCHES = 50;

interface Attached {
  readonly backend: MaintenanceBackend;
  /** The store's head and query, through the store's own backend. */
  readonly head: () => Promise<bigint>;
  readonly query: (query: ValidQuery) => Promise<QueryResult>;
  /** Runs a backend call as the store runs its own: refused after close, awaited by close, errors wrapped. */
  readonly run: <T>(work: () => Promise<T>) => Promise<T>;
}

const attached = new WeakMap<object, Attached>();

/**
 * Makes a store maintainable, when its backend implements {@link MaintenanceBackend}: called by
 * `EventStoreBase`'s constructor; a store author does not call it.
 */
export function attachMaintenance(store: object, backend: object, attach: Omit<Attached, 'backend'>): void {
  if (isMaintenanceBackend(backend)) attached.set(store, { backend, ...attach });
}

function isMaintenanceBackend(backend: object): backend is MaintenanceBackend {
  const b = backend as Partial<MaintenanceBackend>;
  return (
    typeof b.inspect === 'function' &&
    typeof b.scanEvents === 'function' &&
    typeof b.scanBatches === 'function' &&
    typeof b.importBatches === 'function' &&
    typeof b.importCursors === 'function'
  );
}

/**
 * The maintenance operations of a store: what `factstore-cli` runs (`info`, `verify`, `export`,
 * `import`, `copy`). Every store of factstore has them (memory, SQLite, PostgreSQL, file); a store
 * of another author has them when its backend implements {@link MaintenanceBackend}.
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'factstore-memory';
 * import { storeMaintenance } from 'factstore/backend';
 *
 * const from = new MemoryStore();
 * await from.append([{ eventType: 'a', payload: {} }], { idempotencyKey: 'k1' });
 * const to = new MemoryStore();
 * await storeMaintenance(to).importBatches(storeMaintenance(from).exportBatches());
 * console.log((await storeMaintenance(to).verify()).ok); // true
 * ```
 * @throws {@link InvalidInputError} when the store's backend does not implement {@link MaintenanceBackend}
 */
export function storeMaintenance(store: EventStore): StoreMaintenance {
  const found = typeof store === 'object' && store !== null ? attached.get(store) : undefined;
  if (!found) throw new InvalidInputError([{ path: 'store', message: 'is not a store whose backend implements MaintenanceBackend' }]);
  return new StoreMaintenance(found);
}

/** The maintenance operations of one store; get it with {@link storeMaintenance}. */
export class StoreMaintenance {
  /** @internal */
  constructor(private readonly store: Attached) {}

  /** Format version, head, counts (events, per type, batches) and every durable stream with its lag and lease. */
  async inspect(): Promise<StoreInspection> {
    const { backend, run } = this.store;
    const [facts, head] = await run(() => Promise.all([backend.inspect(), this.store.head()]));
    const { cursors, ...rest } = facts;
    return { ...rest, head, durableStreams: cursors.map((c) => ({ ...c, lag: head > c.position ? head - c.position : 0n })) };
  }

  /**
   * Every committed batch after `after` up to the head at the call (or `until`), whole, with records,
   * times and idempotency keys, read `chunkEvents` events at a time (bounded memory; a batch is
   * read whole). Fails (`BACKEND_FAILURE`) at a batch that is not whole in storage.
   */
  async *exportBatches(options: { after?: bigint; until?: bigint; chunkEvents?: number } = {}): AsyncGenerator<StoredBatch> {
    const { backend, run } = this.store;
    const chunk = options.chunkEvents ?? CHUNK_EVENTS;
    const until = options.until ?? (await run(() => this.store.head()));
    let after = options.after ?? 0n;
    while (after < until) {
      const rows = (await run(() => backend.scanBatches(after, chunk))).filter((row) => row.last <= until);
      if (rows.length === 0) return;
      let take = 0;
      let events = 0n;
      while (take < rows.length && (take === 0 || events + span(rows[take] as StoredBatchRow) <= BigInt(chunk))) {
        events += span(rows[take] as StoredBatchRow);
        take++;
      }
      const ranges = rows.slice(0, take);
      const records = await run(() => backend.scanEvents(after, Number(events)));
      const batches = await run(async () => assembleBatches(ranges, records));
      for (let i = 0; i < batches.length; i++) {
        const batch = batches[i] as StoredBatch;
        const key = (ranges[i] as StoredBatchRow).idempotencyKey;
        yield key === undefined ? batch : { ...batch, idempotencyKey: key };
      }
      after = (ranges[ranges.length - 1] as StoredBatchRow).last;
    }
  }

  /** Every durable stream's cursor (name, canonical query, position). */
  async exportCursors(): Promise<StoredCursor[]> {
    const { cursors } = await this.store.run(() => this.store.backend.inspect());
    return cursors.map(({ name, query, position }) => ({ name, query, position }));
  }

  /**
   * Imports committed batches into an EMPTY store (no event, no cursor), keeping their positions,
   * boundaries, commit times and idempotency keys: validated one by one (the first starts at 1,
   * each continues the one before, records consecutive, types and payloads by the rules of
   * `append`), written `chunkEvents` events at a time (bounded memory), then the store's
   * statistics are refreshed where it keeps any (PostgreSQL: `ANALYZE`). Not one transaction: a
   * failure leaves the batches written before it.
   * @returns how many events and batches were imported
   * @throws {@link InvalidInputError} for a store that is not empty (before anything is written), or
   *   a bad batch (the batches before it are written)
   */
  async importBatches(
    batches: AsyncIterable<StoredBatch> | Iterable<StoredBatch>,
    options: { chunkEvents?: number; onProgress?: (events: bigint) => void } = {},
  ): Promise<{ events: bigint; batches: bigint }> {
    const { backend, run } = this.store;
    const chunk = options.chunkEvents ?? CHUNK_EVENTS;
    await this.ensureEmpty();
    let next = 1n;
    let count = 0n;
    let pending: StoredBatch[] = [];
    let pendingEvents = 0;
    const flush = async () => {
      if (pending.length === 0) return;
      const written = await run(() => backend.importBatches(pending));
      if (!written) throw notEmpty(`something else appended to it during the import (before position ${pending[0]?.firstSequenceNumber})`);
      options.onProgress?.(next - 1n);
      pending = [];
      pendingEvents = 0;
    };
    for await (const batch of batches) {
      const valid = validateBatch(batch, next, pathAt('batches', Number(count)));
      pending.push(valid);
      pendingEvents += valid.records.length;
      next = valid.lastSequenceNumber + 1n;
      count++;
      if (pendingEvents >= chunk) await flush();
    }
    await flush();
    const refresh = backend.refreshStatistics?.bind(backend);
    if (count > 0n && refresh) await run(refresh);
    return { events: next - 1n, batches: count };
  }

  /**
   * Imports durable stream cursors into a store that has none, after its batches: each position
   * must be 0 or within the log.
   * @throws {@link InvalidInputError} for a bad cursor, a position past the head, or a store that has cursors
   */
  async importCursors(cursors: readonly StoredCursor[]): Promise<void> {
    const { backend, run } = this.store;
    const head = await run(() => this.store.head());
    const issues: InvalidInputIssue[] = [];
    const names = new Set<string>();
    const valid = cursors.map((cursor, i) => {
      const path = pathAt('cursors', i);
      const c = cursor as Partial<StoredCursor>;
      collect(issues, () => validateDurableName(c.name, pathAt(path, 'name')));
      if (names.has(c.name as string)) issues.push({ path: pathAt(path, 'name'), message: 'is there twice' });
      names.add(c.name as string);
      if (typeof c.query !== 'string') issues.push({ path: pathAt(path, 'query'), message: 'must be a canonical query (a string)' });
      if (typeof c.position !== 'bigint' || c.position < 0n || c.position > head) {
        issues.push({ path: pathAt(path, 'position'), message: `must be a bigint from 0 to the head (${head})` });
      }
      return Object.freeze({ name: c.name as string, query: c.query as string, position: c.position as bigint });
    });
    if (issues.length > 0) throw new InvalidInputError(issues);
    if (valid.length === 0) return;
    if (!(await run(() => backend.importCursors(valid)))) throw notEmpty('it has durable stream cursors');
  }

  /**
   * Checks the store: its format version; positions gapless from 1; batch rows covering the log
   * exactly (each continuing the one before, the last ending at the last event); the store's
   * queries (through its indexes) answering like a scan of the log, on a sample of queries built
   * from records spread over the log; every cursor at 0 or a batch end within the log. Reads the log
   * twice in chunks (bounded memory); may add payload keys to a store's value index, as queries do.
   */
  async verify(options: { samples?: number; chunkEvents?: number } = {}): Promise<VerifyReport> {
    const { backend, run } = this.store;
    const chunk = options.chunkEvents ?? CHUNK_EVENTS;
    const problems = new Problems();
    const facts = await run(() => backend.inspect());
    if (facts.formatVersion !== facts.supportedFormat) {
      problems.add('format', `the format version is ${facts.formatVersion}, this release writes ${facts.supportedFormat}`);
    }
    const head = await run(() => this.store.head());
    const samples = await this.sampleQueries(head, options.samples ?? 8);

    // the events, in order: gapless from 1, and the sample queries answered by a scan
    let expected = 1n;
    let events = 0n;
    let after = 0n;
    for (;;) {
      const records = await run(() => backend.scanEvents(after, chunk));
      if (records.length === 0) break;
      for (const record of records) {
        const at = record.sequenceNumber;
        if (at > expected) problems.add('gap', `positions ${range(expected, at - 1n)} are missing from the log`);
        else if (at < expected) problems.add('gap', `position ${at} comes after position ${expected - 1n}`);
        expected = at + 1n;
        events++;
        for (const sample of samples) sample.see(record);
      }
      after = (records[records.length - 1] as EventRecord).sequenceNumber;
    }
    const last = expected - 1n;
    if (facts.eventCount !== events) problems.add('count', `the store counts ${facts.eventCount} events, the log holds ${events}`);

    // the batch rows: contiguous from 1 to the last event
    const ends = new Set<bigint>([0n]);
    let next = 1n;
    let batches = 0n;
    after = 0n;
    for (;;) {
      const rows = await run(() => backend.scanBatches(after, chunk));
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.last < row.first) problems.add('batch', `the batch row ${row.first}..${row.last} ends before it starts`);
        if (row.first > next) problems.add('batch', `no batch row covers positions ${range(next, row.first - 1n)}`);
        else if (row.first < next)
          problems.add('batch', `the batch row ${row.first}..${row.last} overlaps the one before (which ends at ${next - 1n})`);
        if (row.last > last) problems.add('batch', `the batch row ${row.first}..${row.last} goes past the last event (${last})`);
        next = (row.last > row.first ? row.last : row.first) + 1n;
        ends.add(row.last);
        batches++;
      }
      after = (rows[rows.length - 1] as StoredBatchRow).first;
    }
    if (next - 1n < last) problems.add('batch', `no batch row covers positions ${range(next, last)}`);

    // the store's answers (through its indexes) against the scan
    for (const sample of samples) {
      const answer = await run(() => this.store.query({ ...sample.query, limit: SAMPLE_MATCHES }));
      const got = answer.eventRecords.map((r) => r.sequenceNumber);
      const described = JSON.stringify(sample.described);
      if (answer.currentContextVersion !== sample.version) {
        problems.add('index', `query ${described} gives context version ${answer.currentContextVersion}, a scan ${sample.version}`);
      }
      if (got.join() !== sample.matches.join()) {
        problems.add(
          'index',
          `query ${described} returns positions ${got.join(',') || 'none'}, a scan ${sample.matches.join(',') || 'none'}`,
        );
      }
    }

    for (const cursor of facts.cursors) {
      if (cursor.position > last)
        problems.add('cursor', `the cursor of ${JSON.stringify(cursor.name)} is at ${cursor.position}, past the log's end (${last})`);
      else if (!ends.has(cursor.position))
        problems.add('cursor', `the cursor of ${JSON.stringify(cursor.name)} is at ${cursor.position}, inside a batch`);
    }
    const list = problems.list();
    return {
      ok: list.length === 0,
      problems: list,
      checked: { events, batches, sampleQueries: samples.length, cursors: facts.cursors.length },
    };
  }

  /** Queries built from `count` records spread over the log: by type, by one payload value, by both. */
  private async sampleQueries(head: bigint, count: number): Promise<Sample[]> {
    const { backend, run } = this.store;
    const out: Sample[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < count && head > 0n; i++) {
      const position = (head * BigInt(i)) / BigInt(count);
      const [record] = await run(() => backend.scanEvents(position, 1));
      if (!record) continue;
      const filters: EventQuery['filters'][] = [[{ eventTypes: [record.eventType] }]];
      const scalar = firstScalar(record.payload);
      if (scalar) filters.push([{ payloadPredicates: [scalar] }], [{ eventTypes: [record.eventType], payloadPredicates: [scalar] }]);
      for (const f of filters) {
        const described = { filters: f };
        const key = JSON.stringify(described);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(new Sample(validateQuery(described), described));
      }
    }
    return out;
  }

  private async ensureEmpty(): Promise<void> {
    const facts = await this.inspect();
    if (facts.head !== 0n || facts.eventCount !== 0n) throw notEmpty(`it holds ${facts.eventCount} events (head ${facts.head})`);
    if (facts.durableStreams.length > 0) throw notEmpty(`it has ${facts.durableStreams.length} durable stream cursors`);
  }
}

/** One sample query of `verify` and what a scan of the log answers to it. */
class Sample {
  readonly matches: bigint[] = [];
  version: bigint | null = null;
  private readonly matcher: EventMatcher;

  constructor(
    readonly query: ValidQuery,
    readonly described: EventQuery,
  ) {
    this.matcher = compileMatcher(query);
  }

  see(record: EventRecord): void {
    if (!this.matcher(record)) return;
    this.version = record.sequenceNumber;
    if (this.matches.length < SAMPLE_MATCHES) this.matches.push(record.sequenceNumber);
  }
}

/** Problems by kind, at most {@link MAX_PROBLEMS} of each listed. */
class Problems {
  private readonly kinds = new Map<string, { listed: string[]; more: number }>();

  add(kind: string, problem: string): void {
    let entry = this.kinds.get(kind);
    if (!entry) this.kinds.set(kind, (entry = { listed: [], more: 0 }));
    if (entry.listed.length < MAX_PROBLEMS) entry.listed.push(problem);
    else entry.more++;
  }

  list(): string[] {
    const out: string[] = [];
    for (const { listed, more } of this.kinds.values()) {
      out.push(...listed);
      if (more > 0) out.push(`… and ${more} more like the last one`);
    }
    return out;
  }
}

/** The store is not empty: an import would mix two logs. */
function notEmpty(why: string): InvalidInputError {
  return new InvalidInputError([{ path: 'store', message: `must be empty to import into, but ${why}` }]);
}

/** Checks one imported batch; `next` is the position it must start at. */
function validateBatch(batch: StoredBatch, next: bigint, path: string): StoredBatch {
  const issues: InvalidInputIssue[] = [];
  const b = (typeof batch === 'object' && batch !== null ? batch : {}) as Partial<StoredBatch>;
  const { firstSequenceNumber: first, lastSequenceNumber: last, records, idempotencyKey } = b;
  if (first !== next)
    issues.push({ path: pathAt(path, 'firstSequenceNumber'), message: `must be ${next} (the batch after the one before)` });
  if (typeof last !== 'bigint' || typeof first !== 'bigint' || last < first || last > MAX_POSITION) {
    issues.push({ path: pathAt(path, 'lastSequenceNumber'), message: 'must be a bigint from firstSequenceNumber to 2^63 - 1' });
  }
  if (!Array.isArray(records) || records.length === 0)
    fail([...issues, { path: pathAt(path, 'records'), message: 'must be a non-empty array' }]);
  const list = records as readonly EventRecord[];
  if (typeof first === 'bigint' && typeof last === 'bigint' && BigInt(list.length) !== last - first + 1n) {
    issues.push({
      path: pathAt(path, 'records'),
      message: `must hold ${last - first + 1n} records (${first}..${last}), holds ${list.length}`,
    });
  }
  const events = collect(issues, () =>
    validateEvents(
      list.map((r) => ({ eventType: r?.eventType, payload: r?.payload as JsonValue })),
      pathAt(path, 'records'),
    ),
  );
  const out: EventRecord[] = [];
  list.forEach((record, i) => {
    if (record?.sequenceNumber !== next + BigInt(i))
      issues.push({ path: pathAt(pathAt(pathAt(path, 'records'), i), 'sequenceNumber'), message: `must be ${next + BigInt(i)}` });
    const at = record?.occurredAt;
    if (!(at instanceof Date) || Number.isNaN(at.getTime()))
      issues.push({ path: pathAt(pathAt(pathAt(path, 'records'), i), 'occurredAt'), message: 'must be a valid Date' });
    const event = events?.[i];
    if (event)
      out.push(
        Object.freeze({ sequenceNumber: next + BigInt(i), occurredAt: at as Date, eventType: event.eventType, payload: event.payload }),
      );
  });
  if (idempotencyKey !== undefined) collect(issues, () => validateAppendOptions({ idempotencyKey }));
  if (issues.length > 0) fail(issues);
  return Object.freeze({
    firstSequenceNumber: first as bigint,
    lastSequenceNumber: last as bigint,
    records: Object.freeze(out),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  });
}

/** Runs a validation, moving its issues to `issues`; the value, or undefined when it failed. */
function collect<T>(issues: InvalidInputIssue[], validate: () => T): T | undefined {
  try {
    return validate();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    issues.push(...error.issues);
    return undefined;
  }
}

function fail(issues: InvalidInputIssue[]): never {
  throw new InvalidInputError(issues);
}

function span(row: StoredBatchRow): bigint {
  return row.last - row.first + 1n;
}

function range(from: bigint, to: bigint): string {
  return from === to ? `${from}` : `${from}..${to}`;
}

/** `{ key: value }` of the first top-level scalar of an object payload, or undefined. */
function firstScalar(payload: JsonValue): Record<string, JsonValue> | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  for (const [key, value] of Object.entries(payload)) if (value === null || typeof value !== 'object') return { [key]: value };
  return undefined;
}
