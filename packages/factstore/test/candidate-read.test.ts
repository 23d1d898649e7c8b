import { type EventRecord } from '../src/index.js';
import {
  answerFromNewest,
  answerQuickly,
  CANDIDATE_PAGE,
  compileMatcher,
  readContextVersion,
  readMatching,
  readQuery,
  versionFromNewest,
  type CandidateRows,
  type ReadRange,
  type ValidQuery,
} from '../src/backend.js';

/** A forward range after `after`, at most `limit`; `more` overrides. */
const fwd = (after: bigint, limit: number, more: Partial<ReadRange> = {}): ReadRange => ({
  after,
  before: null,
  limit,
  backward: false,
  ...more,
});
/** A backward range below `before`, at most `limit`. */
const back = (before: bigint | null, limit: number, after = 0n): ReadRange => ({ after, before, limit, backward: true });
const seqs = (records: readonly EventRecord[] | undefined) => records?.map((r) => r.sequenceNumber);

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
    async before(below: bigint | null, count: number, above = 0n) {
      rows.reads++;
      return log
        .filter((r) => (below === null || r.sequenceNumber < below) && r.sequenceNumber > above)
        .reverse()
        .slice(0, count);
    },
    async after(after: bigint, count: number, below: bigint | null = null) {
      rows.reads++;
      return log.filter((r) => r.sequenceNumber > after && (below === null || r.sequenceNumber < below)).slice(0, count);
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
    expect(seqs(await readMatching(rowsOf(log), matcher, fwd(0n, Infinity)))).toEqual([5n, 300n, 301n]);
    expect(seqs(await readMatching(rowsOf(log), matcher, fwd(5n, 1)))).toEqual([300n]);
    expect(seqs(await readMatching(rowsOf(log), matcher, fwd(0n, Infinity, { before: 301n })))).toEqual([5n, 300n]);
  });

  it('reads the matching records newest first, below a position and above another, up to a limit', async () => {
    expect(seqs(await readMatching(rowsOf(log), matcher, back(null, Infinity)))).toEqual([301n, 300n, 5n]);
    expect(seqs(await readMatching(rowsOf(log), matcher, back(null, 2)))).toEqual([301n, 300n]);
    expect(seqs(await readMatching(rowsOf(log), matcher, back(300n, 10)))).toEqual([5n]);
    expect(seqs(await readMatching(rowsOf(log), matcher, back(null, 10, 5n)))).toEqual([301n, 300n]);
    const rows = rowsOf(log);
    expect(await readMatching(rows, matcher, back(6n, 10, 5n))).toEqual([]);
    expect(rows.reads).toBe(0); // nothing lies strictly between 5 and 6
  });

  it('answers a query with the version of the whole context whatever the cursor and limit', async () => {
    const result = await readQuery(rowsOf(log), matcher, fwd(5n, 1));
    expect(seqs(result.eventRecords)).toEqual([300n]);
    expect(result.lastReturnedSequenceNumber).toBe(300n);
    expect(result.currentContextVersion).toBe(301n);
    const none = await readQuery(rowsOf(log), matcher, fwd(301n, 10));
    expect(none).toEqual({ eventRecords: [], lastReturnedSequenceNumber: null, currentContextVersion: 301n });
    const backward = await readQuery(rowsOf(log), matcher, back(301n, 10));
    expect(seqs(backward.eventRecords)).toEqual([300n, 5n]);
    expect(backward.lastReturnedSequenceNumber).toBe(5n);
    expect(backward.currentContextVersion).toBe(301n);
  });

  it('uses the quicker highest() for exact candidates', async () => {
    const exact = { ...rowsOf([], true), highest: async () => 42n };
    expect(await readContextVersion(exact, () => true)).toBe(42n);
  });

  it('answers from one read of the newest candidates only when that read holds them all', async () => {
    const small = log.slice(0, 20).reverse();
    const answer = answerFromNewest(small, matcher, fwd(0n, Infinity));
    expect(seqs(answer?.eventRecords)).toEqual([5n]);
    expect(answer?.currentContextVersion).toBe(5n);
    expect(answerFromNewest(small, matcher, fwd(5n, 10))).toEqual({
      eventRecords: [],
      lastReturnedSequenceNumber: null,
      currentContextVersion: 5n,
    });
    expect(answerFromNewest(log.slice(0, CANDIDATE_PAGE).reverse(), matcher, fwd(0n, 10))).toBeUndefined();
    // limit counts from the cursor, ascending
    const three = [record(9, 'a'), record(8, 'a'), record(7, 'a')];
    expect(seqs(answerFromNewest(three, matcher, fwd(7n, 1))?.eventRecords)).toEqual([8n]);
    expect(seqs(answerFromNewest(three, matcher, fwd(0n, 5, { before: 9n }))?.eventRecords)).toEqual([7n, 8n]);
    // backward: newest first, below the bound
    const backward = answerFromNewest(three, matcher, back(9n, 5));
    expect(seqs(backward?.eventRecords)).toEqual([8n, 7n]);
    expect(backward?.lastReturnedSequenceNumber).toBe(7n);
    expect(backward?.currentContextVersion).toBe(9n);
  });

  it('answers "the newest N" from a full read of N newest candidates when they match', () => {
    const newest = [record(9, 'a'), record(8, 'a')];
    expect(seqs(answerFromNewest(newest, matcher, back(null, 2), 2)?.eventRecords)).toEqual([9n, 8n]);
    // one of them does not match: the read did not decide
    expect(answerFromNewest([record(9, 'a'), record(8, 'b')], matcher, back(null, 2), 2)).toBeUndefined();
    // forward, a full read never decides
    expect(answerFromNewest(newest, matcher, fwd(0n, 2), 2)).toBeUndefined();
  });

  it('answerQuickly reads only the newest N for a backward limit, and leaves other exact reads to the snapshot', async () => {
    const all = Array.from({ length: 600 }, (_, i) => record(i + 1, 'a'));
    const rows = rowsOf(all, true);
    expect(seqs((await answerQuickly(rows, matcher, back(null, 3)))?.eventRecords)).toEqual([600n, 599n, 598n]);
    expect(rows.reads).toBe(1);
    expect(await answerQuickly(rows, matcher, fwd(0n, 3))).toBeUndefined();
    expect(rows.reads).toBe(1);
    const loose = rowsOf(log);
    expect(seqs((await answerQuickly(loose, matcher, back(null, 1)))?.eventRecords)).toBeUndefined();
    expect((await answerQuickly(rowsOf(log.slice(0, 20)), matcher, fwd(0n, 10)))?.currentContextVersion).toBe(5n);
  });

  it('decides a version from a short page, or says to read on', () => {
    const newest = [record(9, 'b'), record(8, 'a')];
    expect(versionFromNewest(newest, matcher, 16)).toBe(8n);
    expect(versionFromNewest([record(9, 'b')], matcher, 16)).toBeNull();
    expect(versionFromNewest([record(9, 'b'), record(8, 'b')], matcher, 2)).toBeUndefined();
  });
});
