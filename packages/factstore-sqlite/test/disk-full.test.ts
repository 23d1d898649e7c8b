import { join } from 'node:path';
import { checkLogInvariants, eventually, killChildren, range, smallDisk, type RemoteError } from 'factstore-test-support';
import { SqliteStore } from '../src/index.js';
import { sqliteAdapter } from './adapter.js';
import { removeTempFolders, tempFolder } from './temp-files.js';

afterEach(killChildren);
afterAll(removeTempFolders);

const MiB = 1024 * 1024;

/** A SQLite store in a child process whose folder is a real filesystem of 4 MiB. */
async function storeOnSmallDisk() {
  const folder = tempFolder();
  const disk = await smallDisk(folder, 4 * MiB, sqliteAdapter.child(join(folder, 'store.db')));
  /** Closes the store, copies its files out of the small filesystem and ends the child: the path of the copy. */
  const closeAndCopy = async () => {
    await disk.close();
    const copy = tempFolder();
    await disk.copyOut(copy);
    await disk.exit();
    return join(copy, 'store.db');
  };
  return { disk, closeAndCopy };
}

describe('SqliteStore when the disk is full', () => {
  it('a full filesystem fails the append with BACKEND_FAILURE (SQLITE_FULL), nothing partial is visible, and once there is room the next append continues gapless', async () => {
    const { disk, closeAndCopy } = await storeOnSmallDisk();
    await disk.streamAll();
    await disk.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }); // the value index is in use too
    await disk.fill(512 * 1024);
    const big = (n: number) =>
      Array.from({ length: 20 }, (_, i) => ({ eventType: 'filler', payload: { accountId: `a${n}`, i, text: 'x'.repeat(400) } }));
    let acknowledged = 0;
    let failure: RemoteError | undefined;
    for (let n = 0; n < 200 && !failure; n++) {
      try {
        acknowledged = Number((await disk.append(big(n))).lastSequenceNumber);
      } catch (error) {
        failure = error as RemoteError;
      }
    }
    expect(failure?.code).toBe('BACKEND_FAILURE');
    expect(failure?.cause?.code).toBe('SQLITE_FULL');
    expect(acknowledged).toBeGreaterThan(0);
    const after = await disk.query({});
    expect(Number(after.currentContextVersion)).toBe(acknowledged);
    expect(after.eventRecords.length).toBe(acknowledged);

    await disk.free();
    const next = await disk.append([{ eventType: 'after', payload: { ok: true } }]);
    expect(Number(next.firstSequenceNumber)).toBe(acknowledged + 1);
    await eventually('the stream delivered the next append', async () => (await disk.streamed()).flat().length > acknowledged);
    expect((await disk.streamed()).flat()).toEqual(Array.from({ length: acknowledged + 1 }, (_, i) => i + 1));
    const copy = await closeAndCopy();
    const { head } = await checkLogInvariants(sqliteAdapter, copy);
    expect(head).toBe(acknowledged + 1);
  }, 60_000);

  it('an append in a group that does not fit fails alone: the others of the group are committed', async () => {
    const { disk, closeAndCopy } = await storeOnSmallDisk();
    await disk.append([{ eventType: 'start', payload: {} }]);
    await disk.fill(1 * MiB);
    // a big append needs about 2 MiB, more than there is; 24 small ones need far less
    const big = (i: number) => Array.from({ length: 40 }, (_, k) => ({ eventType: 'big', payload: { i, k, text: 'x'.repeat(50_000) } }));
    const small = (i: number) => [{ eventType: 'small', payload: { i } }];
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => disk.append(i % 5 === 0 ? big(i) : small(i))));
    results.forEach((r, i) => {
      if (i % 5 === 0) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'BACKEND_FAILURE', cause: { code: 'SQLITE_FULL' } } });
      else expect(r.status).toBe('fulfilled'); // the small appends fit and were not lost with the big ones
    });
    const acked = results.flatMap((r) =>
      r.status === 'fulfilled' ? [range(r.value.firstSequenceNumber, r.value.lastSequenceNumber)] : [],
    );
    const copy = await closeAndCopy();
    const { head, batches } = await checkLogInvariants(sqliteAdapter, copy);
    expect(head).toBe(1 + 24);
    expect(
      batches
        .slice(1)
        .map((b) => range(b.first, b.last))
        .sort(),
    ).toEqual(acked.sort());
    const reopened = await SqliteStore.open(copy);
    expect((await reopened.append([{ eventType: 'after', payload: {} }])).firstSequenceNumber).toBe(26n);
    await reopened.close();
  }, 60_000);
});
