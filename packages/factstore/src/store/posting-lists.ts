/**
 * Sorted lists of positions, as an in-memory index keeps them (one list per event type or payload
 * value): finding a position in one, and walking the union of several in either direction.
 */

/** The index of the first entry of the ascending `list` that is above `position` (`list.length` when none is). */
export function firstAfter(list: readonly number[], position: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((list[mid] as number) <= position) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Where a {@link PostingUnion} walks: strictly between `after` and `before`, ascending or newest first. */
export interface PostingRange {
  /** Only positions above it (default 0). */
  readonly after?: number;
  /** Only positions below it (default: no bound). */
  readonly before?: number;
  /** Walk from the highest position down (default: from the lowest up). */
  readonly backward?: boolean;
}

/**
 * The union of ascending position lists, walked without repeats within a range of positions:
 * every position that is in any of the lists, once, ascending, or (with `backward`) from the
 * highest down.
 */
export class PostingUnion {
  private readonly heads: number[];
  private previous: number;
  private readonly after: number;
  private readonly before: number;
  private readonly backward: boolean;

  /** @param range where to walk; a number is the `after` of an ascending walk */
  constructor(
    private readonly lists: readonly (readonly number[])[],
    range: number | PostingRange = {},
  ) {
    const { after = 0, before = Infinity, backward = false } = typeof range === 'number' ? { after: range } : range;
    this.after = after;
    this.before = before;
    this.backward = backward;
    // ascending: the first entry above `after`; backward: the last entry below `before`
    this.heads = backward ? lists.map((list) => firstAfter(list, before - 1) - 1) : lists.map((list) => firstAfter(list, after));
    this.previous = backward ? before : after;
  }

  /** The next position of the union, or undefined when the lists are exhausted within the range. */
  next(): number | undefined {
    return this.backward ? this.down() : this.up();
  }

  private up(): number | undefined {
    let next = Infinity;
    for (let l = 0; l < this.lists.length; l++) {
      const list = this.lists[l] as readonly number[];
      let at = this.heads[l] as number;
      while (at < list.length && (list[at] as number) <= this.previous) at++;
      this.heads[l] = at;
      if (at < list.length && (list[at] as number) < next) next = list[at] as number;
    }
    if (next >= this.before) return undefined;
    this.previous = next;
    return next;
  }

  private down(): number | undefined {
    let next = -Infinity;
    for (let l = 0; l < this.lists.length; l++) {
      const list = this.lists[l] as readonly number[];
      let at = this.heads[l] as number;
      while (at >= 0 && (list[at] as number) >= this.previous) at--;
      this.heads[l] = at;
      if (at >= 0 && (list[at] as number) > next) next = list[at] as number;
    }
    if (next <= this.after) return undefined;
    this.previous = next;
    return next;
  }
}
