import { SqliteStore } from '../src/index.js';
import { checkLogInvariants } from './sqlite-file.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

/** The store's own write connection; max_page_count is a setting of the connection. */
function writeConnection(store: SqliteStore) {
  const backend = (
    store as unknown as { backend: { write: { exclusive<T>(w: () => Promise<T>): Promise<T>; run(s: string): Promise<number> } } }
  ).backend;
  return (statement: string) => backend.write.exclusive(() => backend.write.run(statement));
}

describe('SqliteStore when the disk is full', () => {
  it('SQLITE_FULL fails the append with BACKEND_FAILURE, nothing partial is visible, and the next append continues gapless', async () => {
    const path = tempDb();
    const store = await SqliteStore.open(path);
    const streamed: number[][] = [];
    await store.streamAll((batch) => void streamed.push(batch.map((r) => Number(r.sequenceNumber))));
    await store.query({ filters: [{ payloadPredicates: [{ accountId: 'a1' }] }] }); // the value index is in use too
    const pragma = writeConnection(store);
    await pragma('PRAGMA max_page_count = 40');
    const big = (n: number) =>
      Array.from({ length: 20 }, (_, i) => ({ eventType: 'filler', payload: { accountId: `a${n}`, i, text: 'x'.repeat(400) } }));
    let acknowledged = 0;
    let failure: (Error & { code?: string; cause?: { code?: string } }) | undefined;
    for (let n = 0; n < 200 && !failure; n++) {
      try {
        const result = await store.append(big(n));
        acknowledged = Number(result.lastSequenceNumber);
      } catch (error) {
        failure = error as typeof failure;
      }
    }
    expect(failure?.code).toBe('BACKEND_FAILURE');
    expect(failure?.cause?.code).toBe('SQLITE_FULL');
    const after = await store.query({});
    expect(Number(after.currentContextVersion)).toBe(acknowledged);
    expect(after.eventRecords.length).toBe(acknowledged);

    await pragma('PRAGMA max_page_count = 1000000');
    const next = await store.append([{ eventType: 'after', payload: { ok: true } }]);
    expect(Number(next.firstSequenceNumber)).toBe(acknowledged + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(streamed.flat()).toEqual(Array.from({ length: acknowledged + 1 }, (_, i) => i + 1));
    await store.close();
    await checkLogInvariants(path);
  });
});
