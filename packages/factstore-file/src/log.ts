import type { EventRecord } from 'factstore';
import { indexValue, PostingIndex, type CommittedBatch, type IndexedLog } from 'factstore/backend';
import { BatchScanner, CorruptLogError, scanAsync, scanSync, type ScanEnd } from './batch-scanner.js';
import type { StoredEvent } from './lines.js';
import { errorCode, type FileSystem } from './file-system.js';
import { HeadFile, type Published } from './head-file.js';
import { segmentFirst, type Layout } from './layout.js';
import { LogMap, type Segment } from './log-map.js';
import { LogReader, RecentRecords } from './log-reader.js';

/** A torn tail found under the write lock: the newest segment has bytes after its last whole batch. */
export interface TornTail {
  readonly segment: Segment;
}

/**
 * The log as this process knows it: the {@link LogMap} (where each event is), the
 * {@link PostingIndex} (event types, indexed payload values) and the {@link LogReader}, kept current
 * from the segment files:
 *
 * - {@link load} at open reads every segment up to the published head (`head` file);
 * - {@link refresh} reads what other processes have published since (before each read, and on
 *   every poll tick);
 * - {@link recover}, under the write lock only, reads every whole batch there is, past the
 *   published head too (a writer that died after writing, before publishing), and finds a torn
 *   tail for the writer to cut off.
 *
 * Each of them adds whole batches only, each in one synchronous step, so a query (which runs
 * synchronously once its keys are indexed) always sees a committed prefix of the log.
 */
export class Log implements IndexedLog {
  readonly map: LogMap;
  readonly index = new PostingIndex();
  readonly reader: LogReader;
  readonly headFile: HeadFile;
  /** The idempotency key of every keyed batch in the log → the first position of that batch. */
  readonly idempotencyKeys = new Map<string, number>();
  /** The first position of every keyed batch → its idempotency key. */
  readonly batchKeys = new Map<number, string>();
  private readonly building = new Map<string, Promise<void>>();
  /** Records of positions from here on are kept parsed as they are read (at open: only the newest). */
  private keepFrom = 1;

  /** @param cachedEvents how many of the newest records to keep parsed in memory */
  constructor(
    private readonly files: FileSystem,
    private readonly layout: Layout,
    cachedEvents: number,
  ) {
    this.map = new LogMap(layout.segments);
    this.reader = new LogReader(files, this.map, new RecentRecords(cachedEvents));
    this.headFile = new HeadFile(files, layout.head);
  }

  get head(): number {
    return this.map.head;
  }

  /** The records at `positions`, in that order (see {@link LogReader.at}). */
  at(positions: readonly number[]): EventRecord[] {
    return this.reader.at(positions);
  }

  /** The records from `low` to `high`, inclusive (see {@link LogReader.range}). */
  range(low: number, high: number): EventRecord[] {
    return this.reader.range(low, high);
  }

  /**
   * Reads the log at open, up to the published head, with asynchronous reads (`keys`: the payload
   * keys to index from the start). Returns the segment names found, for {@link checkSegments}.
   */
  async load(keys: readonly string[]): Promise<number[]> {
    for (const key of keys) this.index.install(key, new Map());
    const firsts = this.files
      .readdirSync(this.layout.segments)
      .map(segmentFirst)
      .filter((first): first is number => first !== undefined)
      .sort((a, b) => a - b);
    const published = this.headFile.read();
    if (!published) return firsts; // a new store, or the head is unreadable: recover() reads it all
    this.keepFrom = published.head - this.reader.recent.capacity + 1;
    for (const first of firsts) {
      if (first > published.segment || first !== this.map.head + 1) break;
      const segment = this.map.addSegment(first);
      const end = first === published.segment ? published.bytes : this.files.fstatSync(this.fd(segment)).size;
      const scanned = await scanAsync(this.files, this.fd(segment), this.scanner(segment), 0, end);
      if (scanned.torn || segment.size < end) break; // shorter than published: recover() sorts it out
    }
    this.keepFrom = 1;
    return firsts;
  }

  /**
   * Refuses segments that the chain of names from 1 does not reach (a gap: the log was damaged),
   * and a published head in a segment that is not there.
   */
  checkSegments(firsts: readonly number[]): void {
    const published = this.headFile.read();
    if (published && published.head > 0 && published.segment > (this.map.newest()?.first ?? 0)) {
      throw new CorruptLogError(
        `the head was published in segment ${published.segment}, which is missing: segments are missing or damaged`,
      );
    }
    const known = new Set(this.map.segments.map((s) => s.first));
    for (const first of firsts) {
      if (!known.has(first)) {
        throw new CorruptLogError(
          `segment ${first} does not follow the log, which ends at position ${this.map.head}: segments are missing or damaged`,
        );
      }
    }
  }

  /** Whether the published head and the newest segment agree (nothing for {@link recover} to do). */
  consistent(): boolean {
    const published = this.headFile.read();
    const newest = this.map.newest();
    if (!published) return newest === undefined && this.files.statSync(this.layout.segment(1)) === undefined;
    if (!newest) return published.head === 0 && this.files.statSync(this.layout.segment(1)) === undefined;
    return (
      published.head === this.map.head &&
      published.segment === newest.first &&
      published.bytes === newest.size &&
      this.files.fstatSync(this.fd(newest)).size === newest.size &&
      this.files.statSync(this.layout.segment(this.map.head + 1)) === undefined
    );
  }

  /**
   * Reads the batches other processes have published since the last look. Cheap when nothing is
   * new (one 200-byte read). Returns whether the head moved.
   */
  refresh(): boolean {
    const published = this.headFile.read();
    if (!published || published.head <= this.map.head) return false;
    const before = this.map.head;
    while (this.map.head < published.head) {
      let segment = this.map.newest();
      if (!segment) {
        if (!this.exists(1)) break;
        segment = this.map.addSegment(1);
      }
      if (segment.first === published.segment) {
        this.scan(segment, published.bytes);
        break;
      }
      if (segment.first > published.segment) break; // the head file is behind: nothing to read
      // an older segment than the published one is complete: read it to its end, then go on
      const end = this.files.fstatSync(this.fd(segment)).size;
      if (this.scan(segment, end).torn)
        throw new CorruptLogError(`${segment.path} ends in a torn batch, yet a newer segment was published`);
      const next = this.map.head + 1;
      if (next === segment.first || !this.exists(next)) break;
      this.map.addSegment(next);
    }
    return this.map.head > before;
  }

  /**
   * Under the write lock: reads every whole batch the files hold beyond what is known, published or
   * not, following new segments by name. Returns the torn tail to truncate, if there is one.
   */
  recover(): TornTail | undefined {
    for (;;) {
      let segment = this.map.newest();
      if (!segment) {
        if (!this.exists(1)) return undefined;
        segment = this.map.addSegment(1);
      }
      const size = this.files.fstatSync(this.fd(segment)).size;
      if (size < segment.size) {
        throw new CorruptLogError(`${segment.path} has ${size} bytes but its committed batches end at byte ${segment.size}: it was cut`);
      }
      if (size > segment.size && this.scan(segment, size).torn) return { segment };
      const next = this.map.head + 1;
      if (next === segment.first || !this.exists(next)) return undefined;
      this.map.addSegment(next);
    }
  }

  /** What to publish: the head, the newest segment and its size. */
  published(): Published {
    const newest = this.map.newest();
    return { head: this.map.head, segment: newest?.first ?? 1, bytes: newest?.size ?? 0 };
  }

  /** Adds one batch this process has written and synced at the end of the newest segment. */
  addOwn(lineStarts: readonly number[], end: number, records: readonly EventRecord[], key: string | undefined): void {
    const first = this.map.head + 1;
    this.map.addBatch(lineStarts, end);
    if (key !== undefined) this.rememberKey(key, first);
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as EventRecord;
      this.index.add(first + i, record.eventType, record.payload);
      this.reader.recent.add(first + i, record);
    }
  }

  /** The committed batch (with its records) appended with idempotency key `key`, if there is one. */
  keyedBatch(key: string): CommittedBatch | undefined {
    const first = this.idempotencyKeys.get(key);
    if (first === undefined) return undefined;
    const [range] = this.map.batchesAfter(first - 1, 1);
    return range ? this.reader.batches([range])[0] : undefined;
  }

  /**
   * Makes sure the value index covers `keys` (up to the index's limit): a new key is indexed by one
   * read of the log, with asynchronous reads up to the head at its start, then the rest at once.
   */
  async ensureKeys(keys: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const key of keys) {
      if (this.index.has(key)) continue;
      let building = this.building.get(key);
      if (!building) {
        building = this.buildKey(key).finally(() => this.building.delete(key));
        this.building.set(key, building);
      }
      waits.push(building);
    }
    await Promise.all(waits);
  }

  private async buildKey(key: string): Promise<void> {
    const values = new Map<string | number | boolean | null, number[]>();
    const add = (events: readonly StoredEvent[]) => {
      for (const event of events) indexValue(values, event.payload, key, event.seq);
    };
    // the segments as they are now, read without blocking; what is added meanwhile comes after
    let upTo = 0;
    for (const segment of [...this.map.segments]) {
      const end = segment.size;
      const last = segment.last;
      if (last < segment.first) continue;
      const scanner = new BatchScanner(segment.path, segment.first, 0, add);
      await scanAsync(this.files, this.fd(segment), scanner, 0, end);
      upTo = last;
    }
    for (let from = upTo + 1; from <= this.map.head; from += 4096) {
      const to = Math.min(this.map.head, from + 4095);
      for (const record of this.reader.range(from, to)) indexValue(values, record.payload, key, Number(record.sequenceNumber));
    }
    this.index.install(key, values);
  }

  private rememberKey(key: string, first: number): void {
    this.idempotencyKeys.set(key, first);
    this.batchKeys.set(first, key);
  }

  /** Closes every descriptor and lets go of what is kept in memory (records, index, keys). */
  close(): void {
    this.reader.close();
    this.headFile.close();
    this.index.clear();
    this.idempotencyKeys.clear();
    this.batchKeys.clear();
  }

  private scan(segment: Segment, end: number): ScanEnd {
    return scanSync(this.files, this.fd(segment), this.scanner(segment), segment.size, end);
  }

  private scanner(segment: Segment): BatchScanner {
    const recent = this.reader.recent;
    return new BatchScanner(segment.path, segment.last + 1, segment.size, (events, starts, end, lines) => {
      const key = (events[events.length - 1] as StoredEvent).key;
      if (key !== undefined) this.rememberKey(key, this.map.head + 1);
      this.map.addBatch(starts, end);
      for (let i = 0; i < events.length; i++) {
        const event = events[i] as StoredEvent;
        this.index.add(event.seq, event.eventType, event.payload);
        if (event.seq >= this.keepFrom) recent.add(event.seq, lines[i] as string);
      }
    });
  }

  private fd(segment: Segment): number {
    segment.fd ??= this.files.openSync(segment.path, 'r');
    return segment.fd;
  }

  private exists(first: number): boolean {
    try {
      return this.files.statSync(this.layout.segment(first)) !== undefined;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }
}
