import { InvalidInputError, MAX_POSITION, recordFromJson, recordToJson, type EventRecord } from '../src/index.js';

const record: EventRecord = Object.freeze({
  sequenceNumber: 42n,
  occurredAt: new Date('2026-01-31T12:00:00.123Z'),
  eventType: 'account-opened',
  payload: { accountId: 'a1', amounts: [1, 2.5, -3], nested: { ok: true, none: null } },
});

function issuesOf(json: unknown): string[] {
  try {
    recordFromJson(json);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('INVALID_INPUT');
    return (error as InvalidInputError).issues.map((issue) => issue.path);
  }
  throw new Error('expected INVALID_INPUT');
}

describe('record JSON form', () => {
  it('writes positions as decimal text and the time as an ISO string', () => {
    expect(recordToJson(record)).toEqual({
      sequenceNumber: '42',
      occurredAt: '2026-01-31T12:00:00.123Z',
      eventType: 'account-opened',
      payload: record.payload,
    });
  });

  it('round-trips exactly, through JSON text too, up to position 2^63 - 1', () => {
    for (const r of [
      record,
      { ...record, sequenceNumber: MAX_POSITION, payload: 'text' },
      { ...record, sequenceNumber: 1n, payload: null },
    ]) {
      const back = recordFromJson(JSON.parse(JSON.stringify(recordToJson(r))));
      expect(back).toEqual(r);
      expect(back.occurredAt.getTime()).toBe(r.occurredAt.getTime());
      expect(Object.isFrozen(back)).toBe(true);
      expect(recordToJson(back)).toEqual(recordToJson(r));
    }
  });

  it('refuses anything that is not a record form, listing where', () => {
    const json = recordToJson(record);
    expect(issuesOf(null)).toEqual(['record']);
    expect(issuesOf([json])).toEqual(['record']);
    expect(issuesOf({ ...json, extra: 1 })).toEqual(['record.extra']);
    for (const sequenceNumber of [42, '042', '0', '-1', '1.5', '', (MAX_POSITION + 1n).toString()]) {
      expect(issuesOf({ ...json, sequenceNumber })).toEqual(['record.sequenceNumber']);
    }
    for (const occurredAt of ['2026-01-31', '2026-01-31T12:00:00Z', 'yesterday', 0]) {
      expect(issuesOf({ ...json, occurredAt })).toEqual(['record.occurredAt']);
    }
    expect(issuesOf({ ...json, eventType: '' })).toEqual(['record.eventType']);
    expect(issuesOf({ ...json, payload: undefined })).toContain('record.payload');
    expect(issuesOf({ ...json, payload: { bad: '\u0000' } })).toEqual(['record.payload.bad']);
    expect(issuesOf({ sequenceNumber: 1 })).toEqual(expect.arrayContaining(['record.sequenceNumber', 'record.occurredAt']));
  });
});
