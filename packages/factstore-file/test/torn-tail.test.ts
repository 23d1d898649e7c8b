import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore } from '../src/index.js';
import { checkLog, segmentFiles } from './store-files.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

const positions = (records: readonly { sequenceNumber: bigint }[]) => records.map((r) => Number(r.sequenceNumber));
const event = (i: number, text = 'plain') => ({ eventType: 'noted', payload: { i, text } });

/**
 * A store of three batches (positions 1–3, 4, 5–8; the last with multi-byte characters), with the
 * bytes of its newest segment and its head file before and after the last batch.
 */
async function threeBatches(options: { segmentBytes?: number } = {}) {
  const path = tempStore('torn');
  const store = await FileStore.open(path, options);
  await store.append([event(1), event(2), event(3)]);
  await store.append([event(4)]);
  const headBefore = readFileSync(join(path, 'head'));
  const segment = segmentFiles(path).at(-1)!.path;
  const start = statSync(segment).size; // where the last batch begins (in a new segment: maybe 0)
  await store.append([event(5, 'ünïcödé ✓ 𝄞'), event(6, 'quote " and \\ back'), event(7, 'x'.repeat(50)), event(8)]);
  await store.close();
  const newest = segmentFiles(path).at(-1)!.path;
  return {
    path,
    newest,
    whole: readFileSync(newest),
    start: newest === segment ? start : 0,
    headBefore,
    headAfter: readFileSync(join(path, 'head')),
  };
}

let checks = 0;

/** Opens the cut store and checks: the log ends at position 4, the tail is gone, the next append is gapless. */
async function expectEndsAtPreviousBatch(path: string, newest: string, start: number) {
  const store = await FileStore.open(path);
  const all = await store.query({});
  expect(positions(all.eventRecords)).toEqual([1, 2, 3, 4]);
  expect(all.currentContextVersion).toBe(4n);
  expect(statSync(newest).size).toBe(start); // the torn tail was cut off at open
  const next = await store.append([event(9)]);
  expect(next.firstSequenceNumber).toBe(5n);
  const batches: number[][] = [];
  await store.streamAllDurable(`check-${++checks}`, (batch) => void batches.push(positions(batch)));
  expect(batches).toEqual([[1, 2, 3], [4], [5]]);
  await store.close();
  expect(checkLog(path).head).toBe(5);
}

describe('FileStore with a torn tail (a write cut short by a crash)', () => {
  it('cut at every byte offset of the last batch, as a crash leaves it (head not yet published): the log ends at the batch before, the next append is gapless', async () => {
    const { path, newest, whole, start, headBefore } = await threeBatches();
    expect(whole.length - start).toBeGreaterThan(200);
    for (let cut = start; cut < whole.length; cut++) {
      writeFileSync(newest, whole.subarray(0, cut));
      writeFileSync(join(path, 'head'), headBefore);
      await expectEndsAtPreviousBatch(path, newest, start);
    }
  }, 120_000);

  it('cut at every byte offset of the last batch after the head was published (a damaged file): the same, and the head is published again', async () => {
    const { path, newest, whole, start, headAfter } = await threeBatches();
    for (let cut = start; cut < whole.length; cut++) {
      writeFileSync(newest, whole.subarray(0, cut));
      writeFileSync(join(path, 'head'), headAfter);
      await expectEndsAtPreviousBatch(path, newest, start);
      expect(JSON.parse(readFileSync(join(path, 'head'), 'latin1').split('\n')[0] as string).head).toBe(5);
    }
  }, 120_000);

  it('a torn first batch of a new segment (cut at every offset, the empty file included) is cut off; the empty segment is written next', async () => {
    const rolled = await batchInNewSegment();
    expect(rolled.whole.length).toBeGreaterThan(100);
    for (let cut = 0; cut < rolled.whole.length; cut++) {
      writeFileSync(rolled.newest, rolled.whole.subarray(0, cut));
      writeFileSync(join(rolled.path, 'head'), rolled.headBefore);
      const store = await FileStore.open(rolled.path, { segmentBytes: 1024 });
      expect((await store.query({})).currentContextVersion).toBe(5n);
      expect(statSync(rolled.newest).size).toBe(0);
      expect((await store.append([event(0)])).firstSequenceNumber).toBe(6n);
      await store.close();
      expect(segmentFiles(rolled.path).at(-1)!.path).toBe(rolled.newest);
      expect(checkLog(rolled.path).head).toBe(6);
    }
  }, 120_000);

  it('garbage after the last batch (zeros, as a power loss can leave) is cut off', async () => {
    const { path, newest, whole } = await threeBatches();
    appendFileSync(newest, Buffer.alloc(300));
    const store = await FileStore.open(path);
    expect((await store.query({})).currentContextVersion).toBe(8n);
    expect(statSync(newest).size).toBe(whole.length);
    expect((await store.append([event(9)])).firstSequenceNumber).toBe(9n);
    await store.close();
    expect(checkLog(path).head).toBe(9);
  });

  it('an open store ignores bytes written after the published head (a writer mid-write, then dead); its next write cuts them off', async () => {
    const path = tempStore('reader');
    const store = await FileStore.open(path, { pollIntervalMs: 2 });
    await store.append([event(1)]);
    const seen: number[][] = [];
    await store.streamAll((batch) => void seen.push(positions(batch)));
    const segment = segmentFiles(path)[0]!.path;
    const size = statSync(segment).size;
    // what another process would write for a batch 2..3, whole lines but never published, then a torn third
    const at = new Date().toISOString();
    appendFileSync(segment, `{"seq":2,"last":3,"occurredAt":"${at}","eventType":"noted","payload":{}}\n{"seq":3,"last":3,"occ`);
    await new Promise((r) => setTimeout(r, 30));
    expect((await store.query({})).currentContextVersion).toBe(1n);
    expect(seen).toEqual([]);
    const next = await store.append([event(2)]);
    expect(next.firstSequenceNumber).toBe(2n);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([[2]]);
    expect((await store.query({})).eventRecords.map((r) => r.payload)).toEqual([
      { i: 1, text: 'plain' },
      { i: 2, text: 'plain' },
    ]);
    expect(statSync(segment).size).toBeGreaterThan(size);
    await store.close();
    expect(checkLog(path).head).toBe(2);
  });

  it('whole batches a dead writer synced but did not publish are kept by the next writer', async () => {
    const path = tempStore('unpublished');
    const store = await FileStore.open(path);
    await store.append([event(1)]);
    await store.close();
    const headBefore = readFileSync(join(path, 'head'));
    const writer = await FileStore.open(path);
    await writer.append([event(2), event(3)]);
    await writer.close();
    writeFileSync(join(path, 'head'), headBefore); // as if it died after the sync, before publishing
    const again = await FileStore.open(path);
    expect(positions((await again.query({})).eventRecords)).toEqual([1, 2, 3]);
    expect((await again.append([event(4)])).firstSequenceNumber).toBe(4n);
    await again.close();
    expect(checkLog(path).batches).toEqual([
      { first: 1, last: 1 },
      { first: 2, last: 3 },
      { first: 4, last: 4 },
    ]);
  });
});

/** A store whose last batch (positions 6..9, after five single events) starts a new segment. */
async function batchInNewSegment() {
  const path = tempStore('rolled');
  const store = await FileStore.open(path, { segmentBytes: 1024 });
  for (let i = 1; i <= 5; i++) await store.append([event(i, 'y'.repeat(1100))]);
  const headBefore = readFileSync(join(path, 'head'));
  const count = segmentFiles(path).length;
  await store.append([event(6, 'ünï'), event(7), event(8), event(9)]);
  await store.close();
  const segments = segmentFiles(path);
  expect(segments.length).toBe(count + 1);
  const newest = segments.at(-1)!;
  expect(newest.first).toBe(6);
  return { path, newest: newest.path, whole: readFileSync(newest.path), headBefore };
}
