import { DurableWaits } from '../src/backend.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stored cursor that counts its reads. */
function storedCursor(initial: bigint | null = null) {
  const state = { position: initial, reads: 0 };
  const read = async () => {
    state.reads++;
    return state.position;
  };
  return { state, read };
}

describe('DurableWaits', () => {
  it('reads once per poll for a name however many wait for it, and settles them all', async () => {
    const cursor = storedCursor(0n);
    const waits = new DurableWaits(cursor.read, 20);
    const all = Array.from({ length: 50 }, (_, i) => waits.wait('p', BigInt(i % 5) + 1n, 5000));
    await sleep(70);
    // the joins ask for reads, then one read per poll: far fewer than one per waiter per poll
    expect(cursor.state.reads).toBeLessThan(12);
    cursor.state.position = 5n;
    await Promise.all(all);
    waits.close();
  });

  it('a local save ends the waits at or below it without a read', async () => {
    const cursor = storedCursor(null);
    const waits = new DurableWaits(cursor.read, 60_000);
    const low = waits.wait('p', 3n, 5000);
    const high = waits.wait('p', 9n, 200);
    await sleep(10);
    const reads = cursor.state.reads;
    waits.saved('p', 4n);
    await low;
    expect(cursor.state.reads).toBe(reads);
    waits.saved('other', 100n);
    await expect(high).rejects.toMatchObject({ code: 'WAIT_TIMEOUT', position: 9n, streamName: 'p', timeoutMs: 200 });
  });

  it('timeout 0 reads once, after the call, then decides', async () => {
    const cursor = storedCursor(2n);
    const waits = new DurableWaits(cursor.read);
    await waits.wait('p', 2n, 0);
    await expect(waits.wait('p', 3n, 0)).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' });
    expect(cursor.state.reads).toBe(2);
  });

  it('an abort rejects with the reason, close with STORE_CLOSED, and a failed read with its error', async () => {
    const cursor = storedCursor(null);
    const waits = new DurableWaits(cursor.read, 5);
    const controller = new AbortController();
    const aborted = waits.wait('p', 1n, 5000, controller.signal);
    controller.abort('stop');
    await expect(aborted).rejects.toBe('stop');
    const failing = new DurableWaits(async () => {
      throw new Error('disk gone');
    });
    await expect(failing.wait('p', 1n, 5000)).rejects.toMatchObject({ message: 'disk gone' });
    const open = waits.wait('p', 1n, 5000);
    waits.close();
    await expect(open).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(waits.wait('p', 0n, 5000)).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
