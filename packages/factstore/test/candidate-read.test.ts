import { type EventRecord } from '../src/index.js';
import {
  answerFromNewest,
  CANDIDATE_PAGE,
  compileMatcher,
  readContextVersion,
  readMatching,
  readQuery,
  versionFromNewest,
  type CandidateRows,
  type ValidQuery,
} from '../src/backend.js';

const record = (seq: number, id: string): EventRecord => ({
  sequenceNumber: BigInt(seq),
  occurredAt: new Date(0),
  eventType: 'deposited',
  payload: { id },
});
const query: ValidQuery = { filters: [{ payloadPredicates: [{ id: 'a' }] }] };
const matcher = compileMatcher(query);

/** Candidate rows over an array (ascending), counting reads, as a store's index would give them. */
function rowsOf(log: EventRecord[], exact = false): CandidateRows & { reads: number } {
  const rows = {
    reads: 0,
    exact,
    async before(below: bigint | null, count: number) {
      rows.reads++;
      return log
        .filter((r) => below === null || r.sequenceNumber < below)
        .reverse()
        .slice(0, count);
    },
    async after(after: bigint, count: number) {
      rows.reads++;
      return log.filter((r) => r.sequenceNumber > after).slice(0, count);
    },
  };
  return rows;
}

// 600 candidates: a at 5, 300 and 301; everything else b (the index narrows loosely)
const log = Array.from({ length: 600 }, (_, i) => record(i + 1, [5, 300, 301].includes(i + 1) ? 'a' : 'b'));

describe('reading candidates', () => {
  it('finds the context version past pages of candidates that do not match', async () => {
    const rows = rowsOf(log);
    expect(await readContextVersion(rows, matcher)).toBe(301n);
    expect(rows.reads).toBe(2); // 600..345, then 344..89
    expect(await readContextVersion(rowsOf(log.filter((r) => r.payload && (r.payload as { id: string }).id === 'b')), matcher)).toBeNull();
  });

  it('reads the matching records after a position, ascending, up to a limit', async () => {
    expect((await readMatching(rowsOf(log), matcher, 0n, Infinity)).map((r) => r.sequenceNumber)).toEqual([5n, 300n, 301n]);
    expect((await readMatching(rowsOf(log), matcher, 5n, 1)).map((r) => r.sequenceNumber)).toEqual([300n]);
  });

  it('answers a query with the version of the whole context whatever the cursor and limit', async () => {
    const result = await readQuery(rowsOf(log), matcher, 5n, 1);
    expect(result.eventRecords.map((r) => r.sequenceNumber)).toEqual([300n]);
    expect(result.lastReturnedSequenceNumber).toBe(300n);
    expect(result.currentContextVersion).toBe(301n);
    const none = await readQuery(rowsOf(log), matcher, 301n, 10);
    expect(none).toEqual({ eventRecords: [], lastReturnedSequenceNumber: null, currentContextVersion: 301n });
  });

  it('uses the quicker highest() for exact candidates', async () => {
    const exact = { ...rowsOf([], true), highest: async () => 42n };
    expect(await readContextVersion(exact, () => true)).toBe(42n);
  });

  it('answers from one read of the newest candidates only when that read holds them all', async () => {
    const small = log.slice(0, 20).reverse();
    const answer = answerFromNewest(small, matcher, 0n, Infinity);
    expect(answer?.eventRecords.map((r) => r.sequenceNumber)).toEqual([5n]);
    expect(answer?.currentContextVersion).toBe(5n);
    expect(answerFromNewest(small, matcher, 5n, 10)).toEqual({
      eventRecords: [],
      lastReturnedSequenceNumber: null,
      currentContextVersion: 5n,
    });
    expect(answerFromNewest(log.slice(0, CANDIDATE_PAGE).reverse(), matcher, 0n, 10)).toBeUndefined();
    // limit counts from the cursor, ascending
    const three = [record(9, 'a'), record(8, 'a'), record(7, 'a')];
    expect(answerFromNewest(three, matcher, 7n, 1)?.eventRecords.map((r) => r.sequenceNumber)).toEqual([8n]);
  });

  it('decides a version from a short page, or says to read on', () => {
    const newest = [record(9, 'b'), record(8, 'a')];
    expect(versionFromNewest(newest, matcher, 16)).toBe(8n);
    expect(versionFromNewest([record(9, 'b')], matcher, 16)).toBeNull();
    expect(versionFromNewest([record(9, 'b'), record(8, 'b')], matcher, 2)).toBeUndefined();
  });
});
