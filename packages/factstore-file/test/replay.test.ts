import { FileStore } from '../src/index.js';
import { cursorOf } from './store-files.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

describe('FileStore durable replay from the segments', () => {
  it('a long replay lets timers and I/O run meanwhile (heartbeats keep its lease), with the original batches, and saves its cursor', async () => {
    const path = tempStore('replay');
    const writer = await FileStore.open(path, { durability: 'none' });
    for (let b = 0; b < 100; b++) {
      await writer.append(Array.from({ length: 500 }, (_, k) => ({ eventType: 'e', payload: { b, k, text: 'x'.repeat(150) } })));
    }
    await writer.close();
    const store = await FileStore.open(path, { cachedEvents: 0 }); // every record parsed from the files
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const sizes: number[] = [];
    const started = Date.now();
    const stream = await store.streamAllDurable('slow-replay', (batch) => {
      sizes.push(batch.length);
      const until = Date.now() + 1; // a handler that takes its time, synchronously
      while (Date.now() < until);
    });
    const took = Date.now() - started;
    clearInterval(timer);
    expect(sizes).toEqual(Array.from({ length: 100 }, () => 500));
    expect(took).toBeGreaterThan(100);
    expect(ticks).toBeGreaterThan(took / 50); // without yielding, not a single tick until the replay ends
    await stream.unsubscribe();
    expect(cursorOf(path, 'slow-replay')).toBe(50_000);
    await store.close();
  });
});
