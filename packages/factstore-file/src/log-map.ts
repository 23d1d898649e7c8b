import { join } from 'node:path';
import { firstAfter } from 'factstore/backend';
import { segmentName } from './layout.js';

/** One segment file as far as it is known to hold whole, committed batches. */
export interface Segment {
  /** The position of its first event: its name. */
  readonly first: number;
  readonly path: string;
  /** The position of its last known event (`first - 1` while it is empty). */
  last: number;
  /** Its size up to the end of its last known batch. */
  size: number;
  /** A read-only descriptor, opened on first read. */
  fd: number | undefined;
}

/**
 * Where every committed event is, in this process's memory, compactly: the segments, the byte
 * offset of each event's line in its segment (one `Float64Array`, 8 bytes an event), and the
 * first position of each batch. Payloads are not kept: they are read from the segments when asked
 * for. Only whole batches are ever added, so what this map knows is always a committed prefix of
 * the log.
 */
export class LogMap {
  readonly segments: Segment[] = [];
  private starts = new Float64Array(1024);
  private readonly batchStarts: number[] = [];
  private headPosition = 0;

  constructor(private readonly folder: string) {}

  /** The last known position, 0 for an empty log. */
  get head(): number {
    return this.headPosition;
  }

  /** How many batches are known. */
  get batches(): number {
    return this.batchStarts.length;
  }

  /** The newest known segment, if any. */
  newest(): Segment | undefined {
    return this.segments[this.segments.length - 1];
  }

  /** Adds the next segment, which starts right after the head. */
  addSegment(first: number): Segment {
    if (first !== this.headPosition + 1) throw new Error(`segment ${first} does not follow position ${this.headPosition}`);
    const segment: Segment = { first, path: join(this.folder, segmentName(first)), last: first - 1, size: 0, fd: undefined };
    this.segments.push(segment);
    return segment;
  }

  /**
   * Adds one whole batch at the end of the newest segment: the offset of each of its lines, and
   * the offset after its last line.
   */
  addBatch(lineStarts: readonly number[], end: number): void {
    const segment = this.newest();
    if (!segment) throw new Error('no segment to add a batch to');
    const first = this.headPosition + 1;
    const count = lineStarts.length;
    if (first + count - 1 > this.starts.length) {
      let capacity = this.starts.length * 2;
      while (capacity < first + count - 1) capacity *= 2;
      const grown = new Float64Array(capacity);
      grown.set(this.starts.subarray(0, this.headPosition));
      this.starts = grown;
    }
    for (let i = 0; i < count; i++) this.starts[first - 1 + i] = lineStarts[i] as number;
    this.batchStarts.push(first);
    this.headPosition += count;
    segment.last = this.headPosition;
    segment.size = end;
  }

  /** The segment holding `position` (1 ≤ position ≤ head). */
  segmentOf(position: number): Segment {
    const segments = this.segments;
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if ((segments[mid] as Segment).first <= position) low = mid;
      else high = mid - 1;
    }
    return segments[low] as Segment;
  }

  /** The offset of the line of `position` in its segment. */
  lineStart(position: number): number {
    return this.starts[position - 1] as number;
  }

  /** The offset after the line (its `\n` included) of `position`, which lies in `segment`. */
  lineEnd(position: number, segment: Segment): number {
    return position < segment.last ? (this.starts[position] as number) : segment.size;
  }

  /** The ranges of the batches whose first position is after `after` (any position), ascending, at most `limit`. */
  rangesAfter(after: number, limit: number): { first: number; last: number }[] {
    const starts = this.batchStarts;
    const out: { first: number; last: number }[] = [];
    for (let at = firstAfter(starts, after); at < starts.length && out.length < limit; at++) {
      out.push({ first: starts[at] as number, last: at + 1 < starts.length ? (starts[at + 1] as number) - 1 : this.headPosition });
    }
    return out;
  }

  /**
   * The ranges of whole batches whose first position is after `after` (a batch end), ascending
   * and contiguous, about `maxEvents` events in all but at least one batch when there is any.
   */
  batchesAfter(after: number, maxEvents: number): { first: number; last: number }[] {
    const starts = this.batchStarts;
    const low = firstAfter(starts, after);
    const out: { first: number; last: number }[] = [];
    if (low < starts.length && starts[low] !== after + 1) {
      throw new Error(`position ${after} is not the end of a batch: batches are read from batch boundaries only`);
    }
    let events = 0;
    for (let at = low; at < starts.length && (out.length === 0 || events < maxEvents); at++) {
      const first = starts[at] as number;
      const last = at + 1 < starts.length ? (starts[at + 1] as number) - 1 : this.headPosition;
      out.push({ first, last });
      events += last - first + 1;
    }
    return out;
  }
}
