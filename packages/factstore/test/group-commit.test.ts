import { GroupCommit, type CommittedBatch, type GroupOutcome } from '../src/backend.js';
import { ConditionalAppendConflictError } from '../src/index.js';

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
      { take: (waiting) => Math.min(waiting.length, 2) },
    );
    await Promise.all([1, 2, 3, 4, 5, 6].map((item) => commit.submit(item)));
    expect(seen).toEqual([[1], [2, 3], [4, 5], [6]]);
  });

  it('after a failed commit, resolves what landed and commits only the rest again: nothing twice', async () => {
    const log: number[] = [];
    let cut = true;
    const commit = new GroupCommit<number>(
      async (group) => {
        log.push(...group); // the group commits…
        if (cut) {
          cut = false;
          throw new Error('connection lost before the reply'); // …but its reply is lost
        }
        return group.map(batch);
      },
      { landed: async (items) => items.map((item) => (log.includes(item) ? batch(item) : undefined)) },
    );
    const results = await Promise.all([1, 2, 3].map((item) => commit.submit(item)));
    expect(results.map((r) => Number(r.firstSequenceNumber))).toEqual([1, 2, 3]);
    expect(log).toEqual([1, 2, 3]); // [1] and [2, 3]: no append was written a second time
  });

  it('when even the check fails, every append of the group rejects with BACKEND_FAILURE saying its outcome is unknown', async () => {
    const commit = new GroupCommit<number>(
      async () => {
        throw new Error('connection lost');
      },
      {
        landed: async () => {
          throw new Error('server unreachable');
        },
      },
    );
    const results = await Promise.allSettled([1, 2].map((item) => commit.submit(item)));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as Error & { code: string };
      expect(reason.code).toBe('BACKEND_FAILURE');
      expect(reason.message).toMatch(/may or may not have committed/);
      expect(reason.message).toMatch(/connection lost/);
      expect(reason.message).toMatch(/server unreachable/);
    }
  });

  describe('with timeoutMs', () => {
    const never = new Promise<never>(() => {});

    it('gives up on a commit that never answers: its appends reject within the bound saying they may have committed', async () => {
      const commit = new GroupCommit<number>(() => never, { timeoutMs: 200, landed: async (items) => items.map(() => undefined) });
      const started = performance.now();
      const error = await commit.submit(1).catch((e: unknown) => e);
      const took = performance.now() - started;
      expect(error).toMatchObject({ code: 'BACKEND_FAILURE', mayHaveCommitted: true });
      expect(took).toBeGreaterThanOrEqual(150);
      expect(took).toBeLessThan(1000);
    });

    it('resolves an append given up on when the check finds it landed', async () => {
      const commit = new GroupCommit<number>(() => never, { timeoutMs: 200, landed: async (items) => items.map((n) => batch(n)) });
      await expect(commit.submit(7)).resolves.toMatchObject({ firstSequenceNumber: 7n });
    });

    it('an append still queued when its time is up rejects having written nothing, and is never sent', async () => {
      const sent: number[] = [];
      const hanging = (group: readonly number[]) => {
        sent.push(...group);
        return never;
      };
      // the first commit and its check never answer: the first append takes its whole bound, and the
      // second, queued 10 ms later, has only 10 ms left when its turn comes (less than a commit needs)
      const commit = new GroupCommit<number>(hanging, { timeoutMs: 1000, landed: () => never });
      const first = commit.submit(1).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 10));
      const second = await commit.submit(2).catch((e: unknown) => e);
      expect(await first).toMatchObject({ code: 'BACKEND_FAILURE', mayHaveCommitted: true });
      expect(second).toMatchObject({ code: 'BACKEND_FAILURE', mayHaveCommitted: false });
      expect((second as Error).message).toMatch(/nothing was written/);
      expect(sent).toEqual([1]);
    });

    it('an append committed again alone after a commit given up on is committed with mayHaveLanded, and that answer (a conflict) is its outcome', async () => {
      const calls: [number[], boolean][] = [];
      const commit = new GroupCommit<number>(
        async (group, mayHaveLanded) => {
          calls.push([[...group], mayHaveLanded]);
          if (calls.length === 1) {
            await new Promise((r) => setTimeout(r, 300)); // a slow first group, so that 1 and 2 queue up together
            return group.map(batch);
          }
          // the group of 1 and 2 hangs (it may still land); committed again alone, looking for it
          // under the lock, 2 conflicts: the store found that nothing of it landed
          return calls.length === 2 ? never : group.map(() => new ConditionalAppendConflictError(1n, 2n, {}));
        },
        { timeoutMs: 1000, landed: async (items) => items.map(() => undefined) },
      );
      const first = commit.submit(0);
      const one = commit.submit(1).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      const two = commit.submit(2).catch((e: unknown) => e); // its bound ends 200 ms after 1's
      await first;
      const [error1, error2] = await Promise.all([one, two]);
      expect(calls.slice(0, 2)).toEqual([
        [[0], false],
        [[1, 2], false],
      ]);
      // 2 is committed again alone (1 too when its bound has a moment left), saying it may have landed
      expect(calls.slice(2)).toContainEqual([[2], true]);
      expect(error2).toBeInstanceOf(ConditionalAppendConflictError);
      // 1, with no time left for a second commit, cannot know; with one, that commit's conflict is its answer
      if (calls.some(([group]) => group.length === 1 && group[0] === 1)) expect(error1).toBeInstanceOf(ConditionalAppendConflictError);
      else expect(error1).toMatchObject({ code: 'BACKEND_FAILURE', mayHaveCommitted: true });
    });
  });

  describe('after a commit whose answer was lost (not refused)', () => {
    it('a lone append the check does not find is committed again with mayHaveLanded, and that answer is its outcome', async () => {
      const calls: [number[], boolean][] = [];
      const commit = new GroupCommit<number>(
        async (group, mayHaveLanded) => {
          calls.push([[...group], mayHaveLanded]);
          if (calls.length === 1) throw new Error('connection reset');
          return group.map(batch);
        },
        { landed: async (items) => items.map(() => undefined) },
      );
      await expect(commit.submit(5)).resolves.toMatchObject({ firstSequenceNumber: 5n });
      expect(calls).toEqual([
        [[5], false],
        [[5], true],
      ]);
    });

    it('writes nothing twice when the lost commit lands after the check: the second commit finds it', async () => {
      const log: number[] = [];
      let first = true;
      const commit = new GroupCommit<number>(
        async (group, mayHaveLanded) => {
          if (first) {
            first = false;
            setTimeout(() => log.push(...group), 5); // still on its way to the server when the check reads
            throw new Error('connection reset');
          }
          await new Promise((r) => setTimeout(r, 10)); // the lock: the late commit has gone through
          // what a store does with mayHaveLanded: the identities looked up under the lock
          return group.map((item) => {
            if (!(mayHaveLanded && log.includes(item))) log.push(item);
            return batch(item);
          });
        },
        { landed: async (items) => items.map((item) => (log.includes(item) ? batch(item) : undefined)) },
      );
      const results = await Promise.all([commit.submit(1), commit.submit(2), commit.submit(3)]);
      expect(results.map((r) => Number(r.firstSequenceNumber))).toEqual([1, 2, 3]);
      expect([...log].sort()).toEqual([1, 2, 3]); // each once
    });

    it('rejects with mayHaveCommitted when the second commit fails too', async () => {
      const commit = new GroupCommit<number>(
        async () => {
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        },
        { landed: async (items) => items.map(() => undefined) },
      );
      const error = await commit.submit(1).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'BACKEND_FAILURE', mayHaveCommitted: true });
      expect((error as Error).message).toMatch(/failed without an answer \(connection reset\) and may have committed/);
      expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
    });

    it('a commit the store says was refused fails with its error, nothing written, and is not sent again', async () => {
      const calls: number[][] = [];
      const refusal = Object.assign(new Error('value too long'), { severity: 'ERROR' });
      const commit = new GroupCommit<number>(
        async (group) => {
          calls.push([...group]);
          throw refusal;
        },
        { landed: async (items) => items.map(() => undefined), refused: (error) => (error as { severity?: string }).severity === 'ERROR' },
      );
      await expect(commit.submit(1)).rejects.toBe(refusal);
      expect(calls).toEqual([[1]]);
    });
  });
});
