import { PostgresStore } from '../src/index.js';
import { databaseUrl, dropSchemas, freshSchema } from './database.js';
import { checkLogInvariants } from './invariants.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slot = (n: number) => ({ filters: [{ eventTypes: ['booked'], payloadPredicates: [{ slot: n }] }] });

describe('PostgresStore group commit', () => {
  it('concurrent appends and appendIfs: each keeps its range and batch, conflicts fail alone, one delivery per call', async () => {
    const schema = freshSchema('group');
    schemas.push(schema);
    const store = await PostgresStore.connect(databaseUrl(), { schema });
    const delivered: string[] = [];
    await store.streamAll((batch) => void delivered.push(`${batch[0]!.sequenceNumber}-${batch[batch.length - 1]!.sequenceNumber}`));
    await store.append([{ eventType: 'booked', payload: { slot: 0 } }]);
    const calls = Array.from({ length: 90 }, (_, i) =>
      i % 3 === 0
        ? store.appendIf([{ eventType: 'booked', payload: { slot: 1 + (i % 2), i } }], slot(1 + (i % 2)), null)
        : store.append(Array.from({ length: 1 + (i % 3) }, (_, k) => ({ eventType: 'noise', payload: { i, k } }))),
    );
    const results = await Promise.allSettled(calls);
    const won = results.filter((r, i) => i % 3 === 0 && r.status === 'fulfilled');
    expect(won).toHaveLength(2); // one booking per slot
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
    await sleep(200);
    expect(delivered.slice(1).sort()).toEqual([...ranges].sort());
    const { head, batches } = await checkLogInvariants(schema);
    expect(batches.length).toBe(ranges.length + 1);
    expect(head).toBe(1 + results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.committedCount : 0), 0));
    await store.close();
  });
});
