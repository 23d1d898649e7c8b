import type { EventRecord } from 'factstore';
import { encodeLine } from '../src/lines.js';
import { RecentRecords } from '../src/log-reader.js';

const AT = '2026-01-31T12:00:00.000Z';
const line = (seq: number, payload: object) => encodeLine(seq, seq, AT, 'e', payload as never).slice(0, -1);
const record = (seq: number): EventRecord =>
  Object.freeze({ sequenceNumber: BigInt(seq), occurredAt: new Date(AT), eventType: 'e', payload: Object.freeze({ own: seq }) });

describe('RecentRecords: the newest records, kept as line texts until first read', () => {
  it('parses a kept line on its first read into a frozen record, and keeps that record', () => {
    const recent = new RecentRecords(8);
    recent.add(1, line(1, { n: 1, nested: { list: [1, 2] } }));
    const first = recent.get(1) as EventRecord;
    expect(first).toEqual({ sequenceNumber: 1n, occurredAt: new Date(AT), eventType: 'e', payload: { n: 1, nested: { list: [1, 2] } } });
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen((first.payload as { nested: object }).nested)).toBe(true);
    expect(recent.get(1)).toBe(first); // parsed once
  });

  it('serves a slice of texts and records alike, one Date for a run of one commit time, and forgets the oldest', () => {
    const recent = new RecentRecords(4);
    recent.add(1, line(1, { n: 1 }));
    recent.add(2, record(2));
    recent.add(3, line(3, { n: 3 }));
    recent.add(4, line(4, { n: 4 }));
    const [one, two, three, four] = recent.slice(1, 4);
    expect(one?.payload).toEqual({ n: 1 });
    expect(two?.payload).toEqual({ own: 2 });
    expect(three?.occurredAt).toBe(four?.occurredAt);
    recent.add(5, line(5, { n: 5 }));
    expect(recent.oldest).toBe(2);
    expect(recent.get(1)).toBeUndefined();
    expect(recent.get(5)?.sequenceNumber).toBe(5n);
  });

  it('refuses a kept text that is not the line of its position', () => {
    const recent = new RecentRecords(4);
    recent.add(1, line(2, { n: 2 }));
    expect(() => recent.get(1)).toThrow('the kept line of position 1 no longer parses');
  });

  it('forgets everything when cleared (a closed store lets its memory go)', () => {
    const recent = new RecentRecords(4);
    recent.add(1, line(1, { n: 1 }));
    recent.clear();
    expect(recent.get(1)).toBeUndefined();
    expect(recent.newest).toBe(0);
  });
});
