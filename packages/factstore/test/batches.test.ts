import { type EventRecord } from '../src/index.js';
import { assembleBatches, freezeJson } from '../src/backend.js';

const record = (n: number): EventRecord => ({ sequenceNumber: BigInt(n), occurredAt: new Date(0), eventType: 'e', payload: n });

describe('assembleBatches', () => {
  it('groups records into their batches', () => {
    const batches = assembleBatches(
      [
        { first: 4n, last: 5n },
        { first: 6n, last: 6n },
      ],
      [record(4), record(5), record(6)],
    );
    expect(batches.map((b) => [b.firstSequenceNumber, b.lastSequenceNumber, b.records.map((r) => r.sequenceNumber)])).toEqual([
      [4n, 5n, [4n, 5n]],
      [6n, 6n, [6n]],
    ]);
  });

  it('refuses a batch with a missing record', () => {
    expect(() => assembleBatches([{ first: 1n, last: 3n }], [record(1), record(3)])).toThrow(/not whole/);
    expect(() => assembleBatches([{ first: 1n, last: 1n }], [])).toThrow(/not whole/);
  });
});

describe('freezeJson', () => {
  it('freezes every level', () => {
    const value = freezeJson({ a: [{ b: 1 }], c: 'x' });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[0])).toBe(true);
  });
});
