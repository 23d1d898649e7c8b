/**
 * Sorted lists of positions, as an in-memory index keeps them (one list per event type or payload
 * value): finding a position in one, and walking the union of several in ascending order.
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

/**
 * The union of ascending position lists, walked in ascending order without repeats, starting
 * after a position: every position that is in any of the lists, once.
 */
export class PostingUnion {
  private readonly heads: number[];
  private previous: number;

  constructor(
    private readonly lists: readonly (readonly number[])[],
    after: number,
  ) {
    this.heads = lists.map((list) => firstAfter(list, after));
    this.previous = after;
  }

  /** The next position of the union, or undefined when the lists are exhausted. */
  next(): number | undefined {
    let next = Infinity;
    for (let l = 0; l < this.lists.length; l++) {
      const list = this.lists[l] as readonly number[];
      let at = this.heads[l] as number;
      while (at < list.length && (list[at] as number) <= this.previous) at++;
      this.heads[l] = at;
      if (at < list.length && (list[at] as number) < next) next = list[at] as number;
    }
    if (next === Infinity) return undefined;
    this.previous = next;
    return next;
  }
}
