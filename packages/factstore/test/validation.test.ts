import { InvalidInputError, isFactStoreError } from '../src/index.js';
import { validateDurableName, validateEvents, validateExpectedVersion, validateHandler, validateQuery } from '../src/backend.js';

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(isFactStoreError(error, 'INVALID_INPUT')).toBe(true);
    return (error as InvalidInputError).issues;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('validateEvents', () => {
  it('returns deep-frozen copies with -0 as 0', () => {
    const payload = { a: { b: [-0, 'x'] } };
    const [event] = validateEvents([{ eventType: 'e', payload }]);
    expect(event?.payload).toEqual({ a: { b: [0, 'x'] } });
    expect(Object.is((event?.payload as { a: { b: number[] } }).a.b[0], 0)).toBe(true);
    expect(event?.payload).not.toBe(payload);
    expect(Object.isFrozen(event?.payload)).toBe(true);
    expect(Object.isFrozen((event?.payload as { a: object }).a)).toBe(true);
  });

  it('reports every problem with its path', () => {
    const issues = issuesOf(() =>
      validateEvents([
        { eventType: 'ok', payload: { n: NaN, d: new Date(0) } },
        { eventType: 'ok', payload: [undefined] },
      ]),
    );
    expect(issues.map((i) => i.path)).toEqual(['events[0].payload.n', 'events[0].payload.d', 'events[1].payload[0]']);
    expect(issues[0]?.message).toMatch(/finite/);
    expect(issues[1]?.message).toMatch(/Date/);
  });

  it('names unknown keys', () => {
    const issues = issuesOf(() => validateEvents([{ eventType: 'e', payload: 1, type: 'x' }]));
    expect(issues).toEqual([{ path: 'events[0].type', message: 'is not an accepted key (accepted: eventType, payload)' }]);
  });

  it('keeps a __proto__ key as data, not as a prototype', () => {
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const [event] = validateEvents([{ eventType: 'e', payload }]);
    const copy = event?.payload as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than the limit instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const issues = issuesOf(() => validateEvents([{ eventType: 'e', payload: deep as never }]));
    expect(issues[0]?.message).toMatch(/deeper/);
  });

  it('accepts an empty array (the caller decides EMPTY_APPEND)', () => {
    expect(validateEvents([])).toEqual([]);
  });
});

describe('validateQuery', () => {
  it('normalises positions to bigint and drops undefined keys', () => {
    expect(validateQuery({ minSequenceNumber: 3, limit: 2, filters: undefined })).toEqual({ minSequenceNumber: 3n, limit: 2 });
  });

  it('keeps absent and empty lists apart', () => {
    expect(validateQuery({ filters: [{ eventTypes: [] }, {}] })).toEqual({ filters: [{ eventTypes: [] }, {}] });
  });

  it('explains a bad position', () => {
    const issues = issuesOf(() => validateQuery({ minSequenceNumber: -1 }));
    expect(issues[0]?.path).toBe('query.minSequenceNumber');
    expect(issues[0]?.message).toMatch(/non-negative/);
  });

  it('refuses 2^63 but accepts 2^63 - 1', () => {
    issuesOf(() => validateQuery({ minSequenceNumber: 2n ** 63n }));
    expect(validateQuery({ minSequenceNumber: 2n ** 63n - 1n }).minSequenceNumber).toBe(2n ** 63n - 1n);
  });
});

describe('other inputs', () => {
  it('expected versions', () => {
    expect(validateExpectedVersion(null)).toBeNull();
    expect(validateExpectedVersion(5)).toBe(5n);
    expect(validateExpectedVersion(0n)).toBe(0n);
    issuesOf(() => validateExpectedVersion(undefined));
    issuesOf(() => validateExpectedVersion(Number.MAX_SAFE_INTEGER + 1));
  });

  it('durable names', () => {
    expect(validateDurableName('x'.repeat(200))).toHaveLength(200);
    issuesOf(() => validateDurableName('x'.repeat(201)));
    issuesOf(() => validateDurableName('\ud800'));
  });

  it('handlers and options', () => {
    const handler = () => {};
    const onError = () => {};
    expect(validateHandler(handler, { onError })).toEqual({ handler, onError });
    expect(validateHandler(handler, { onError: undefined })).toEqual({ handler, onError: undefined });
    issuesOf(() => validateHandler(handler, { onError: 1 }));
    issuesOf(() => validateHandler(null, undefined));
  });
});
