import { GroupCommit, type CommittedBatch, type GroupOutcome } from '../src/backend.js';

const batch = (n: number): CommittedBatch => ({ firstSequenceNumber: BigInt(n), lastSequenceNumber: BigInt(n), records: [] });

describe('GroupCommit', () => {
  it('groups what waits while a commit runs, and settles in order with each outcome', async () => {
    const groups: number[][] = [];
    let next = 1;
    const commit = new GroupCommit<number>(async (group) => {
      groups.push([...group]);
      await new Promise((r) => setTimeout(r, 5));
      return group.map((item): GroupOutcome => (item < 0 ? new Error(`conflict ${item}`) : batch(next++)));
    });
    const settled: string[] = [];
    const calls = [1, 2, -3, 4].map((item) =>
      commit.submit(item).then(
        (b) => settled.push(`${item}:${b.firstSequenceNumber}`),
        (e: Error) => settled.push(`${item}:${e.message}`),
      ),
    );
    await Promise.all(calls);
    expect(groups).toEqual([[1], [2, -3, 4]]);
    expect(settled).toEqual(['1:1', '2:2', '-3:conflict -3', '4:3']);
  });

  it('retries each item alone when a group fails, so one failure does not take the others', async () => {
    const seen: number[][] = [];
    const commit = new GroupCommit<number>(async (group) => {
      seen.push([...group]);
      await new Promise((r) => setTimeout(r, 1));
      if (group.includes(13)) throw new Error('disk full');
      return group.map(batch);
    });
    const results = await Promise.allSettled([1, 2, 13, 4].map((item) => commit.submit(item)));
    expect(results.map((r) => (r.status === 'fulfilled' ? Number(r.value.firstSequenceNumber) : (r.reason as Error).message))).toEqual([
      1,
      2,
      'disk full',
      4,
    ]);
    expect(seen).toEqual([[1], [2, 13, 4], [2], [13], [4]]);
  });

  it('takes only as many as `take` allows', async () => {
    const seen: number[][] = [];
    const commit = new GroupCommit<number>(
      async (group) => {
        seen.push([...group]);
        await new Promise((r) => setTimeout(r, 1));
        return group.map(batch);
      },
      (waiting) => Math.min(waiting.length, 2),
    );
    await Promise.all([1, 2, 3, 4, 5, 6].map((item) => commit.submit(item)));
    expect(seen).toEqual([[1], [2, 3], [4, 5], [6]]);
  });
});
