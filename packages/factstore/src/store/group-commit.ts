import type { CommittedBatch } from './backend.js';

/** What one append in a group came to: its batch, or the error it alone fails with (a conflict). */
export type GroupOutcome = CommittedBatch | Error;

/**
 * Group commit for a store's writes: appends submitted while a commit runs wait, and the next
 * commit takes them together. `commit` writes a group in one transaction (or statement) in order
 * and returns one outcome per append: its batch, or an error that append alone fails with (a
 * conflicting `appendIf` that wrote nothing). When `commit` throws, nothing of the group was
 * committed, and each append of a larger group is committed alone, so one failure never takes
 * another append with it. Outcomes are settled in submission order.
 */
export class GroupCommit<T> {
  private readonly waiting: { item: T; resolve(batch: CommittedBatch): void; reject(error: unknown): void }[] = [];
  private committing = false;

  /**
   * @param commit writes a group, returning one outcome per item, in order
   * @param take how many of the waiting items (at least 1) the next group takes; default: up to 256
   */
  constructor(
    private readonly commit: (group: readonly T[]) => Promise<GroupOutcome[]>,
    private readonly take: (waiting: readonly T[]) => number = (waiting) => Math.min(waiting.length, 256),
  ) {}

  /** Queues one append; resolves with its batch once its group has committed. */
  submit(item: T): Promise<CommittedBatch> {
    return new Promise<CommittedBatch>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.committing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.committing = true;
    try {
      while (this.waiting.length > 0) {
        const count = Math.max(1, Math.min(this.waiting.length, this.take(this.waiting.map((w) => w.item))));
        const group = this.waiting.splice(0, count);
        try {
          const outcomes = await this.commit(group.map((w) => w.item));
          group.forEach((w, i) => settle(w, outcomes[i]));
        } catch (error) {
          if (group.length === 1) (group[0] as (typeof group)[number]).reject(error);
          else for (const w of group) await this.commit([w.item]).then((outcomes) => settle(w, outcomes[0]), w.reject);
        }
      }
    } finally {
      this.committing = false;
    }
  }
}

function settle(waiter: { resolve(batch: CommittedBatch): void; reject(error: unknown): void }, outcome: GroupOutcome | undefined): void {
  if (outcome instanceof Error) waiter.reject(outcome);
  else if (outcome === undefined) waiter.reject(new Error('group commit returned no outcome for an append'));
  else waiter.resolve(outcome);
}
