import { SqliteStore } from '../src/index.js';
import { checkLogInvariants } from './sqlite-file.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slot = (n: number) => ({ filters: [{ eventTypes: ['booked'], payloadPredicates: [{ slot: n }] }] });

describe('SqliteStore group commit', () => {
  it('concurrent appends and appendIfs: each keeps its range and batch, conflicts fail alone, one delivery per call', async () => {
    const path = tempDb('group');
    const store = await SqliteStore.open(path);
    const delivered: string[] = [];
    await store.streamAll((batch) => void delivered.push(`${batch[0]!.sequenceNumber}-${batch[batch.length - 1]!.sequenceNumber}`));
    await store.append([{ eventType: 'booked', payload: { slot: 0 } }]);
    // 60 calls at once: plain appends of 1–3 events, and appendIfs that all expect slot 1 to be empty
    const calls = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0
        ? store.appendIf([{ eventType: 'booked', payload: { slot: 1, i } }], slot(1), null)
        : store.append(Array.from({ length: 1 + (i % 3) }, (_, k) => ({ eventType: 'noise', payload: { i, k } }))),
    );
    const results = await Promise.allSettled(calls);
    const won = results.filter((r, i) => i % 3 === 0 && r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') {
        expect(i % 3).toBe(0);
        expect(r.reason).toMatchObject({ code: 'CONDITIONAL_APPEND_CONFLICT', expected: null });
      } else {
        expect(r.value.lastSequenceNumber - r.value.firstSequenceNumber + 1n).toBe(BigInt(r.value.committedCount));
      }
    }
    const ranges = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => `${r.value.firstSequenceNumber}-${r.value.lastSequenceNumber}`);
    await sleep(100);
    expect(delivered.slice(1).sort()).toEqual([...ranges].sort());
    const { head, batches } = await checkLogInvariants(path);
    expect(batches).toBe(ranges.length + 1);
    expect(head).toBe(1 + results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.committedCount : 0), 0));
    await store.close();
  });

  it('a failing append in a group (disk full) does not take the others with it', async () => {
    const path = tempDb('group-full');
    const store = await SqliteStore.open(path);
    const backend = (
      store as unknown as { backend: { write: { exclusive<T>(w: () => Promise<T>): Promise<T>; run(s: string): Promise<number> } } }
    ).backend;
    await store.append([{ eventType: 'start', payload: {} }]);
    await backend.write.exclusive(() => backend.write.run('PRAGMA max_page_count = 30'));
    const big = (i: number) => Array.from({ length: 40 }, (_, k) => ({ eventType: 'big', payload: { i, k, text: 'x'.repeat(300) } }));
    const small = (i: number) => [{ eventType: 'small', payload: { i } }];
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => store.append(i % 5 === 0 ? big(i) : small(i))));
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'BACKEND_FAILURE' });
    const smallOnes = results.filter((_, i) => i % 5 !== 0);
    expect(smallOnes.every((r) => r.status === 'fulfilled')).toBe(true); // the small appends fit and were not lost with the big ones
    const acked = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const { eventRecords } = await store.query({});
    const present = new Set(eventRecords.map((r) => Number(r.sequenceNumber)));
    for (const a of acked)
      for (let p = Number(a.firstSequenceNumber); p <= Number(a.lastSequenceNumber); p++) expect(present.has(p)).toBe(true);
    await store.close();
    await checkLogInvariants(path);
  });
});
