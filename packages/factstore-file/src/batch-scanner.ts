import { isAscii } from 'node:buffer';
import type { FileSystem } from './file-system.js';
import { parseLine, type StoredEvent } from './lines.js';

/**
 * Receives each whole batch a scan finds, in order: its events, the offset of each one's line in
 * the segment, the offset after its last line, and each event's line text (without its `\n`).
 */
export type BatchSink = (events: readonly StoredEvent[], lineStarts: readonly number[], end: number, lines: readonly string[]) => void;

/** The log's files say something no writer of this format writes (not a torn tail: more follows). */
export class CorruptLogError extends Error {}

/**
 * A whole event line without its `last`: the batch history was removed from the log (a crash never
 * writes that: a cut line ends before its `\n`, and `last` is the second key). The log is never
 * cut there; every read and write fails until the lines are repaired.
 */
export class MissingBatchHistoryError extends CorruptLogError {}

/** What a scan found after the last whole batch. */
export interface ScanEnd {
  /** The offset after the last whole batch (where the scan began, when there was none). */
  readonly wholeEnd: number;
  /** The position the next batch starts at. */
  readonly next: number;
  /** Whether bytes follow `wholeEnd` that are no whole batch: a torn tail (a write cut short). */
  readonly torn: boolean;
}

const NEWLINE = 0x0a;
/** How much a scan reads at once. */
export const SCAN_CHUNK = 4 * 1024 * 1024;

/**
 * Finds the whole batches in the bytes of one segment, from a batch boundary on, chunk by chunk,
 * without keeping lines: each batch is handed to the sink as soon as its last line is read.
 * A line cut short, a line that is not an event line, a position out of order, or a batch that
 * ends with the bytes is a torn tail, as long as nothing whole follows it; if whole lines do
 * follow, the files are damaged and the scan throws {@link CorruptLogError}.
 */
export class BatchScanner {
  private batch: StoredEvent[] = [];
  private starts: number[] = [];
  private lines: string[] = [];
  private batchLast = 0;
  private next: number;
  private wholeEnd: number;
  private carry: Buffer | undefined;
  private carryStart = 0;
  private problem: string | undefined;

  /**
   * @param path the segment, for messages
   * @param next the position of the first line expected
   * @param start the offset the bytes begin at
   */
  constructor(
    private readonly path: string,
    next: number,
    start: number,
    private readonly sink: BatchSink,
  ) {
    this.next = next;
    this.wholeEnd = start;
    this.carryStart = start;
  }

  /** The next bytes of the segment, starting where the previous ones ended. */
  push(chunk: Buffer): void {
    let bytes = chunk;
    if (this.carry) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const lastNewline = bytes.lastIndexOf(NEWLINE);
    if (lastNewline >= 0) {
      // the whole lines decoded at once; an ASCII run (the usual case) has its byte offsets as string offsets
      const whole = bytes.subarray(0, lastNewline + 1);
      const ascii = isAscii(whole);
      const text = whole.toString(ascii ? 'latin1' : 'utf8');
      let byte = this.carryStart;
      for (let at = 0; at < text.length;) {
        const newline = text.indexOf('\n', at);
        const line = text.slice(at, newline);
        const end = byte + (ascii ? newline - at : Buffer.byteLength(line, 'utf8')) + 1;
        this.line(line, byte, end);
        byte = end;
        at = newline + 1;
      }
      this.carryStart = byte;
    }
    if (lastNewline + 1 < bytes.length) this.carry = Buffer.from(bytes.subarray(lastNewline + 1));
  }

  /** Ends the scan. */
  finish(): ScanEnd {
    const torn = this.problem !== undefined || this.batch.length > 0 || (this.carry !== undefined && this.carry.length > 0);
    return { wholeEnd: this.wholeEnd, next: this.next, torn };
  }

  private line(text: string, start: number, end: number): void {
    if (this.problem !== undefined) {
      throw new CorruptLogError(`${this.path}: ${this.problem}, yet whole lines follow it (at byte ${start}): the log is damaged`);
    }
    const event = parseLine(text);
    if (event === undefined) {
      if (lacksBatchEnd(text)) {
        throw new MissingBatchHistoryError(
          `${this.path}: the line at byte ${start} is an event line without "last": the batch history is missing`,
        );
      }
      this.problem = `byte ${start} starts a line that is not an event line`;
      return;
    }
    if (event.seq !== this.next || (this.batch.length > 0 && event.last !== this.batchLast)) {
      this.problem = `the line at byte ${start} has position ${event.seq} (last ${event.last}) where ${this.next} was expected`;
      return;
    }
    if (this.batch.length === 0) this.batchLast = event.last;
    this.batch.push(event);
    this.starts.push(start);
    this.lines.push(text);
    this.next++;
    if (event.seq === this.batchLast) {
      const batch = this.batch;
      const starts = this.starts;
      const lines = this.lines;
      this.batch = [];
      this.starts = [];
      this.lines = [];
      this.wholeEnd = end;
      this.sink(batch, starts, end, lines);
    }
  }
}

/** Whether a line is an event line in every way but its missing `last`. */
function lacksBatchEnd(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const line = value as Record<string, unknown>;
  return (
    !('last' in line) &&
    typeof line.seq === 'number' &&
    Number.isSafeInteger(line.seq) &&
    typeof line.occurredAt === 'string' &&
    typeof line.eventType === 'string' &&
    'payload' in line
  );
}

/** Scans `[start, end)` of an open segment synchronously (fewer bytes when the file ends sooner). */
export function scanSync(files: FileSystem, fd: number, scanner: BatchScanner, start: number, end: number): ScanEnd {
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(SCAN_CHUNK, end - start)));
  for (let position = start; position < end;) {
    const read = files.readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
    if (read === 0) break;
    scanner.push(buffer.subarray(0, read));
    position += read;
  }
  return scanner.finish();
}

/** Scans `[start, end)` of an open segment with asynchronous reads, chunk by chunk. */
export async function scanAsync(files: FileSystem, fd: number, scanner: BatchScanner, start: number, end?: number): Promise<ScanEnd> {
  const limit = end ?? Infinity;
  const buffer = Buffer.allocUnsafe(SCAN_CHUNK);
  for (let position = start; position < limit;) {
    const read = await files.read(fd, buffer, 0, Math.min(buffer.length, limit - position), position);
    if (read === 0) break;
    scanner.push(buffer.subarray(0, read));
    position += read;
  }
  return scanner.finish();
}
