import { CommitFeed, FEED_CACHE_EVENTS } from '../src/delivery/commit-feed.js';
import type { CommittedBatch, StoreBackend } from '../src/store/backend.js';

const batch = (first: number, size: number): CommittedBatch => ({
  firstSequenceNumber: BigInt(first),
  lastSequenceNumber: BigInt(first + size - 1),
  records: Array.from({ length: size }, (_, i) =>
    Object.freeze({ sequenceNumber: BigInt(first + i), occurredAt: new Date(0), eventType: 't', payload: { i: first + i } }),
  ),
});

/** A backend whose log is `head` events in batches of 100, counting its reads. */
function backend(head: number): { backend: StoreBackend; reads: bigint[] } {
  const reads: bigint[] = [];
  const fake = {
    head: async () => BigInt(head),
    readBatches: async (after: bigint, maxEvents: number) => {
      reads.push(after);
      const out: CommittedBatch[] = [];
      for (let first = Number(after) + 1; first <= head && out.length * 100 < maxEvents; first += 100) out.push(batch(first, 100));
      return out;
    },
  };
  return { backend: fake as unknown as StoreBackend, reads };
}

describe('CommitFeed', () => {
  it('serves a batch this process committed from memory, without a read', async () => {
    const { backend: b, reads } = backend(0);
    const feed = new CommitFeed(b);
    feed.publish(batch(1, 100));
    expect((await feed.readAfter(0n, 1024)).map((x) => x.firstSequenceNumber)).toEqual([1n]);
    expect(reads).toEqual([]);
  });

  it('learns the head a wake-up told it without reading it, and wakes the waiting loops; without one it reads the head', async () => {
    let headReads = 0;
    const { backend: b } = backend(300);
    const counting = { ...b, head: async () => (headReads++, 300n) } as unknown as StoreBackend;
    const feed = new CommitFeed(counting);
    const waiting = feed.wait(0n, feed.epoch);
    let woken = false;
    void waiting.done.then(() => (woken = true));
    expect(feed.told(200n)).toBe(true);
    await Promise.resolve();
    expect(woken).toBe(true);
    expect(feed.head).toBe(200n);
    expect(headReads).toBe(0);
    expect(feed.told(100n)).toBe(false); // an older signal never moves the head back
    expect(feed.told(200n)).toBe(false); // nor does one already known wake anybody
    expect(feed.head).toBe(200n);
    expect(headReads).toBe(0);
    await feed.refresh();
    expect(headReads).toBe(1);
    expect(feed.head).toBe(300n);
  });

  it('keeps a page read near the head, and not one read far behind it (a replay): that one is read again', async () => {
    const head = 100 * 1000;
    const { backend: b, reads } = backend(head);
    const feed = new CommitFeed(b);
    await feed.currentHead();
    const far = await feed.readAfter(0n, 1024);
    expect(far).toHaveLength(11);
    expect(await feed.readAfter(0n, 1024)).toEqual(far);
    expect(reads).toEqual([0n, 0n]);

    const near = BigInt(head - FEED_CACHE_EVENTS / 2);
    const tail = await feed.readAfter(near, 1024);
    expect(tail[0]?.firstSequenceNumber).toBe(near + 1n);
    expect(await feed.readAfter(near, 1024)).toEqual(tail);
    expect(reads).toEqual([0n, 0n, near]);
  });
});
