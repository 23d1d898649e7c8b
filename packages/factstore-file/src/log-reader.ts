import type { EventRecord, JsonValue } from 'factstore';
import { freezeJson, type CommittedBatch } from 'factstore/backend';
import type { FileSystem } from './file-system.js';
import { parseLine, type StoredEvent } from './lines.js';
import type { LogMap, Segment } from './log-map.js';

/** Lines closer than this many bytes are read with one read (the bytes between are skipped). */
const COALESCE_GAP = 16 * 1024;
/** How many records the reader keeps (recently appended and recently read ones). */
const CACHED_RECORDS = 16_384;

/**
 * The newest committed records in a ring of fixed capacity: every committed record is added in
 * order (at open, from other processes, from this one's appends), the oldest falling out. With
 * capacity 0 nothing is kept.
 *
 * A record read from a segment (at open, or published by another process) is kept as its line's
 * text and parsed and frozen when it is first read ({@link get}, {@link slice}), then kept so:
 * an open scans every line once for the index and leaves the window's parsing to the reads that
 * need it (the open of a large log does not build a million records nobody may read, and the
 * garbage collector has texts to keep instead of object graphs).
 */
export class RecentRecords {
  private readonly slots: (EventRecord | string | undefined)[] = [];
  /** The first position added since the ring (re)started, and the last one. */
  private start = 1;
  private end = 0;

  constructor(readonly capacity: number) {}

  /** The oldest position kept (greater than {@link newest} when none is). */
  get oldest(): number {
    return Math.max(this.start, this.end - this.capacity + 1);
  }

  /** The newest position kept. */
  get newest(): number {
    return this.end;
  }

  /**
   * Adds the record of the next position, or the text of its line as a segment holds it (when
   * `position` is not newest + 1, the ring starts over there).
   */
  add(position: number, record: EventRecord | string): void {
    if (this.capacity === 0) return;
    if (position !== this.end + 1) {
      this.slots.length = 0;
      this.start = position;
    }
    this.slots[position % this.capacity] = record;
    this.end = position;
  }

  get(position: number): EventRecord | undefined {
    if (position > this.end || position < this.oldest) return undefined;
    return this.parsed(position);
  }

  /** Forgets every record (the store is closed: its memory goes back even if the store object is kept). */
  clear(): void {
    this.slots.length = 0;
    this.start = 1;
    this.end = 0;
  }

  /** The records of `first..last`, all kept. */
  slice(first: number, last: number): EventRecord[] {
    const out: EventRecord[] = new Array(last - first + 1);
    const dates = new DateCache();
    for (let p = first; p <= last; p++) out[p - first] = this.parsed(p, dates);
    return out;
  }

  /**
   * The record kept at `position`, parsed now (and kept parsed) if it was kept as text; `dates`
   * shares one `Date` among the records of a run (one is made only when a text is parsed).
   */
  private parsed(position: number, dates?: DateCache): EventRecord {
    const slot = position % this.capacity;
    const kept = this.slots[slot] as EventRecord | string;
    if (typeof kept !== 'string') return kept;
    const event = parseLine(kept);
    // the text was a well-formed line of this position when it was kept: only memory could change it
    if (event === undefined || event.seq !== position) throw new Error(`the kept line of position ${position} no longer parses`);
    const record = toRecord(event, dates ?? new DateCache());
    this.slots[slot] = record;
    return record;
  }
}

/**
 * Reads committed records: the newest ones from {@link RecentRecords}, older ones from the
 * segments: a range of consecutive positions with one read per segment (replay), or scattered
 * positions with one read per run of nearby lines (a context found through the index). Reads are
 * synchronous `pread`s, normally served from the page cache; records come back frozen, with one
 * `Date` per batch. Records read from the segments are kept in a small cache too.
 */
export class LogReader {
  /** A direct-mapped cache: the record of position p in slot p mod its size, if it is there. */
  private readonly cached = new Array<EventRecord | undefined>(CACHED_RECORDS);
  private readonly cachedAt = new Float64Array(CACHED_RECORDS);

  constructor(
    private readonly files: FileSystem,
    private readonly map: LogMap,
    /** The newest records, kept parsed. */
    readonly recent: RecentRecords,
  ) {}

  /** The record at `position` (1 ≤ position ≤ head). */
  record(position: number): EventRecord {
    return this.fromCache(position) ?? (this.at([position])[0] as EventRecord);
  }

  /** The records at ascending `positions`, each ≤ head. */
  at(positions: readonly number[]): EventRecord[] {
    const out: EventRecord[] = new Array(positions.length);
    let i = 0;
    while (i < positions.length) {
      const position = positions[i] as number;
      const cached = this.fromCache(position);
      if (cached) {
        out[i++] = cached;
        continue;
      }
      // a run: the following uncached positions in the same segment whose lines lie close by
      const segment = this.map.segmentOf(position);
      let j = i + 1;
      let end = this.map.lineEnd(position, segment);
      while (j < positions.length) {
        const next = positions[j] as number;
        if (next > segment.last || this.fromCache(next) || this.map.lineStart(next) - end > COALESCE_GAP) break;
        end = this.map.lineEnd(next, segment);
        j++;
      }
      const start = this.map.lineStart(position);
      const bytes = this.read(segment, start, end);
      const dates = new DateCache();
      for (let k = i; k < j; k++) {
        const p = positions[k] as number;
        const from = this.map.lineStart(p) - start;
        const to = this.map.lineEnd(p, segment) - start - 1;
        const record = toRecord(checked(parseLine(bytes.toString('utf8', from, to)), p, segment), dates);
        this.keep(p, record);
        out[k] = record;
      }
      i = j;
    }
    return out;
  }

  /** The records of positions `first..last` (1 ≤ first ≤ last ≤ head), with one read per segment. */
  range(first: number, last: number): EventRecord[] {
    const kept = Math.max(first, this.recent.oldest);
    if (kept <= last && last <= this.recent.newest) {
      if (kept === first) return this.recent.slice(first, last);
      const older = this.range(first, kept - 1);
      for (const record of this.recent.slice(kept, last)) older.push(record);
      return older;
    }
    const out: EventRecord[] = [];
    const dates = new DateCache();
    for (let from = first; from <= last;) {
      const segment = this.map.segmentOf(from);
      const to = Math.min(last, segment.last);
      const start = this.map.lineStart(from);
      // one decoding of the whole run, then a line at a time
      const text = this.read(segment, start, this.map.lineEnd(to, segment)).toString('utf8');
      let at = 0;
      for (let p = from; p <= to; p++) {
        const newline = text.indexOf('\n', at);
        out.push(toRecord(checked(parseLine(text.slice(at, newline)), p, segment), dates));
        at = newline + 1;
      }
      from = to + 1;
    }
    return out;
  }

  /** Whole batches with the given ranges (ascending, contiguous), records read with {@link range}. */
  batches(ranges: readonly { first: number; last: number }[]): CommittedBatch[] {
    if (ranges.length === 0) return [];
    const records = this.range((ranges[0] as { first: number }).first, (ranges[ranges.length - 1] as { last: number }).last);
    const base = (ranges[0] as { first: number }).first;
    return ranges.map(({ first, last }) => ({
      firstSequenceNumber: BigInt(first),
      lastSequenceNumber: BigInt(last),
      records: records.slice(first - base, last - base + 1),
    }));
  }

  /** Closes the segments' read descriptors and forgets the records kept. */
  close(): void {
    for (const segment of this.map.segments) {
      if (segment.fd !== undefined) this.files.closeSync(segment.fd);
      segment.fd = undefined;
    }
    this.recent.clear();
    this.cached.fill(undefined);
  }

  private read(segment: Segment, start: number, end: number): Buffer {
    segment.fd ??= this.files.openSync(segment.path, 'r');
    const buffer = Buffer.allocUnsafe(end - start);
    for (let done = 0; done < buffer.length;) {
      const read = this.files.readSync(segment.fd, buffer, done, buffer.length - done, start + done);
      if (read === 0) throw new Error(`${segment.path} ends at byte ${start + done}, before the committed byte ${end}: the log was cut`);
      done += read;
    }
    return buffer;
  }

  private keep(position: number, record: EventRecord): void {
    const slot = position % CACHED_RECORDS;
    this.cached[slot] = record;
    this.cachedAt[slot] = position;
  }

  private fromCache(position: number): EventRecord | undefined {
    const recent = this.recent.get(position);
    if (recent) return recent;
    const slot = position % CACHED_RECORDS;
    return this.cachedAt[slot] === position ? this.cached[slot] : undefined;
  }
}

/** One `Date` per distinct `occurredAt` text in a row (a batch shares one commit time). */
export class DateCache {
  private text = '';
  private date = new Date(0);
  get(text: string): Date {
    if (text !== this.text) {
      this.text = text;
      this.date = new Date(text);
    }
    return this.date;
  }
}

function checked(event: StoredEvent | undefined, position: number, segment: Segment): StoredEvent {
  if (event === undefined || event.seq !== position) {
    throw new Error(`${segment.path}: the line of position ${position} is not there (damaged or changed behind the store's back)`);
  }
  return event;
}

/** The frozen record of a stored event. */
export function toRecord(event: StoredEvent, dates: DateCache): EventRecord {
  return Object.freeze({
    sequenceNumber: BigInt(event.seq),
    occurredAt: dates.get(event.occurredAt),
    eventType: event.eventType,
    payload: freezeJson(event.payload as JsonValue),
  });
}
