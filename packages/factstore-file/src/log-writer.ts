import type { EventRecord } from 'factstore';
import type { CommittedBatch, GroupAppend, ValidEvent } from 'factstore/backend';
import { errorCode, syncDirectory, writeAll, writeAllSync, type FileSystem } from './file-system.js';
import type { Layout } from './layout.js';
import { encodeLine } from './lines.js';
import type { Log } from './log.js';
import type { Segment } from './log-map.js';

/**
 * Groups up to this size are written with a synchronous `pwrite` (a copy into the page cache, a
 * few microseconds), saving a round trip through the thread pool; larger ones asynchronously. The
 * sync that follows is always asynchronous.
 */
const SYNC_WRITE_BYTES = 64 * 1024;

/** How the writer writes. */
export interface WriterOptions {
  /** Sync segment data (and the folder after creating a segment) before an append resolves. */
  readonly sync: boolean;
  /** A new segment is started before a group when the newest one has reached this size. */
  readonly segmentBytes: number;
}

/** One batch as the writer lays it out. */
interface Planned {
  readonly first: number;
  readonly last: number;
  readonly lineStarts: number[];
  readonly end: number;
  readonly records: EventRecord[];
  readonly key: string | undefined;
}

/**
 * Writes groups of batches at the end of the newest segment, under the write lock only: one
 * `pwrite` of every line of the group at the end of the last committed batch, one `fdatasync`,
 * then the batches join the in-memory log and the head is published. When the write or the sync
 * fails (a full disk), the segment is truncated back to where the group began before the error is
 * thrown, so nothing of the group stays and nothing was ever published; if even that fails, it is
 * tried again before the next write.
 */
export class LogWriter {
  private fd: number | undefined;
  private fdFirst = 0;
  private undo: { readonly segment: Segment; readonly size: number } | undefined;
  /** Whether the head file shows this instance's last write. */
  private published = false;

  constructor(
    private readonly files: FileSystem,
    private readonly layout: Layout,
    private readonly log: Log,
    private readonly options: WriterOptions,
  ) {}

  /**
   * First thing under the write lock: takes back what a failed write of this instance left, reads
   * what other processes committed, cuts off a torn tail (a writer that died mid-write), and
   * publishes the head when the published one is behind. `check` runs after reading, before
   * anything is changed, and may refuse the log. With `kept` (the lock was held since this
   * instance's last write, so nobody else wrote) there is nothing to read.
   */
  async prepare(check?: () => void, kept = false): Promise<void> {
    if (kept && !this.undo && this.published) return;
    if (this.undo) await this.truncate(this.undo.segment, this.undo.size);
    const torn = this.log.recover();
    check?.();
    if (torn) await this.truncate(torn.segment, torn.segment.size);
    const published = this.log.headFile.read();
    const current = this.log.published();
    if (!published || published.head !== current.head || published.segment !== current.segment || published.bytes !== current.bytes) {
      this.log.headFile.write(current);
    }
    this.published = true;
  }

  /**
   * Writes the appends as consecutive batches after the head (after {@link prepare}, under the
   * lock), with the commit time `occurredAt` (the group's; now by default), or of each event's
   * `times` entry (an import).
   */
  async write(
    run: readonly (Pick<GroupAppend, 'events' | 'key'> & { readonly times?: readonly Date[] })[],
    occurredAt: Date = new Date(),
  ): Promise<CommittedBatch[]> {
    const segment = await this.segmentForWrite();
    const iso = occurredAt.toISOString();
    const texts: string[] = [];
    const planned: Planned[] = [];
    let offset = segment.size;
    let position = this.log.head;
    for (const { events, key, times } of run) {
      const first = position + 1;
      const last = position + events.length;
      const lineStarts: number[] = new Array(events.length);
      const records: EventRecord[] = new Array(events.length);
      for (let i = 0; i < events.length; i++) {
        const event = events[i] as ValidEvent;
        const time = times?.[i] ?? occurredAt;
        const line = encodeLine(
          first + i,
          last,
          times ? time.toISOString() : iso,
          event.eventType,
          event.payload,
          i === events.length - 1 ? key : undefined,
        );
        texts.push(line);
        lineStarts[i] = offset;
        offset += Buffer.byteLength(line, 'utf8');
        records[i] = Object.freeze({
          sequenceNumber: BigInt(first + i),
          occurredAt: time,
          eventType: event.eventType,
          payload: event.payload,
        });
      }
      planned.push({ first, last, lineStarts, end: offset, records, key });
      position = last;
    }
    const bytes = Buffer.from(texts.join(''), 'utf8');
    const fd = this.writeFd(segment);
    this.undo = { segment, size: segment.size };
    try {
      if (bytes.length <= SYNC_WRITE_BYTES) writeAllSync(this.files, fd, bytes, segment.size);
      else await writeAll(this.files, fd, bytes, segment.size);
      if (this.options.sync) await this.files.datasync(fd);
    } catch (error) {
      await this.truncate(segment, segment.size).catch(() => {}); // else tried again by prepare()
      throw error;
    }
    this.undo = undefined;
    for (const batch of planned) this.log.addOwn(batch.lineStarts, batch.end, batch.records, batch.key);
    try {
      this.log.headFile.write(this.log.published());
    } catch {
      // committed all the same; other processes see it once the next prepare() publishes
      this.published = false;
    }
    return planned.map((batch) => ({
      firstSequenceNumber: BigInt(batch.first),
      lastSequenceNumber: BigInt(batch.last),
      records: batch.records,
    }));
  }

  close(): void {
    if (this.fd !== undefined) this.files.closeSync(this.fd);
    this.fd = undefined;
  }

  /** The newest segment, or a new one after it when it is full (or when there is none yet). */
  private async segmentForWrite(): Promise<Segment> {
    const newest = this.log.map.newest();
    if (newest && (newest.size < this.options.segmentBytes || newest.last < newest.first)) return newest;
    const first = this.log.head + 1;
    const path = this.layout.segment(first);
    let fd: number;
    try {
      fd = this.files.openSync(path, 'wx');
    } catch (error) {
      if (errorCode(error) === 'EEXIST') throw new Error(`${path} exists although the log ends at position ${first - 1}`);
      throw error;
    }
    this.close();
    this.fd = fd;
    this.fdFirst = first;
    if (this.options.sync) await syncDirectory(this.files, this.layout.segments);
    return this.log.map.addSegment(first);
  }

  private async truncate(segment: Segment, size: number): Promise<void> {
    const fd = this.writeFd(segment);
    await this.files.truncate(fd, size);
    if (this.options.sync) await this.files.datasync(fd);
    if (this.undo?.segment === segment) this.undo = undefined;
  }

  private writeFd(segment: Segment): number {
    if (this.fd === undefined || this.fdFirst !== segment.first) {
      this.close();
      this.fd = this.files.openSync(segment.path, 'r+');
      this.fdFirst = segment.first;
    }
    return this.fd;
  }
}
