import { InvalidInputError, type InvalidInputIssue } from '../src/index.js';
import { checkOptions, validateAll, validateAppendOptions, validateEvents, validateHandler, validateQuery } from '../src/backend.js';
import { AppendOptions } from '../src/event.js';

function issuesOf(fn: () => unknown): InvalidInputIssue[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('INVALID_INPUT');
    return (error as InvalidInputError).issues;
  }
  throw new Error('expected INVALID_INPUT');
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect((error as InvalidInputError).code).toBe('INVALID_INPUT');
    return (error as Error).message;
  }
  throw new Error('expected INVALID_INPUT');
}

/** No TypeBox wording ("Expected …") reaches a user, and no path is reported twice. */
function expectPlain(issues: InvalidInputIssue[]): void {
  for (const issue of issues) expect(issue.message).not.toMatch(/^Expected|Unexpected/);
  expect(new Set(issues.map((i) => i.path)).size).toBe(issues.length);
}

describe('the translation of TypeBox errors', () => {
  it('reports several bad fields of several events at once, one plain sentence each', () => {
    const issues = issuesOf(() =>
      validateEvents([
        { eventType: '', payload: 1 },
        { payload: undefined },
        { eventType: 5, payload: new Date(0), extra: 1 },
        { eventType: 'ok', payload: { n: NaN } },
      ]),
    );
    expect(issues).toEqual([
      { path: 'events[0].eventType', message: 'must be a non-empty string' },
      { path: 'events[1].eventType', message: 'is required (a non-empty string of at most 256 characters)' },
      { path: 'events[1].payload', message: 'is required (a JSON value)' },
      { path: 'events[2].extra', message: 'is not an accepted key (accepted: eventType, payload)' },
      { path: 'events[2].eventType', message: 'must be a non-empty string of at most 256 characters (got 5)' },
      { path: 'events[2].payload', message: 'must be a plain JSON object (got a Date)' },
      { path: 'events[3].payload.n', message: 'must be a finite number (got NaN)' },
    ]);
  });

  it('an undefined payload is a missing one, also when the rest of the batch is well formed', () => {
    expect(issuesOf(() => validateEvents([{ eventType: 'e', payload: undefined }]))).toEqual([
      { path: 'events[0].payload', message: 'is required (a JSON value)' },
    ]);
  });

  it('reports a missing field once, not as missing and as the wrong type', () => {
    const issues = issuesOf(() => validateEvents([{ payload: 1 }]));
    expect(issues).toEqual([{ path: 'events[0].eventType', message: 'is required (a non-empty string of at most 256 characters)' }]);
  });

  it('says how long a string may be and how long it was', () => {
    const issues = issuesOf(() => validateEvents([{ eventType: 'x'.repeat(300), payload: null }]));
    expect(issues).toEqual([{ path: 'events[0].eventType', message: 'must be at most 256 characters long (got 300)' }]);
  });

  it('names bad strings inside event types and payloads', () => {
    const issues = issuesOf(() => validateEvents([{ eventType: 'a\u0000', payload: { 'k\ud800': 'v' } }]));
    expect(issues.map((i) => i.path)).toEqual(['events[0].eventType', 'events[0].payload["k\\ud800"]']);
    expect(issues[0]?.message).toBe('must not contain \\u0000 or lone surrogates (it contains \\u0000)');
    expectPlain(issues);
  });

  it('writes paths as JavaScript reaches them: indexes, dotted keys, quoted odd keys', () => {
    const issues = issuesOf(() =>
      validateQuery({ filters: [{ eventTypes: ['ok', ''] }, { payloadPredicates: [{ 'a b': { c: [undefined] } }] }], limit: 0 }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'query.filters[0].eventTypes[1]',
      'query.limit',
      'query.filters[1].payloadPredicates[0]["a b"].c[0]',
    ]);
    expect(issues[1]?.message).toBe('must be a positive safe integer (got 0)');
    expectPlain(issues);
  });

  it('explains positions, misspelt keys and wrong types of a query', () => {
    const issues = issuesOf(() => validateQuery({ filters: [{ eventType: ['x'] }], minSequenceNumber: -1n }, 'contextQuery'));
    expect(issues).toEqual([
      { path: 'contextQuery.filters[0].eventType', message: 'is not an accepted key (accepted: eventTypes, payloadPredicates)' },
      {
        path: 'contextQuery.minSequenceNumber',
        message: 'must be a non-negative integer (a safe-integer number, or a bigint of at most 2^63 - 1) (got -1n)',
      },
    ]);
    expect(issuesOf(() => validateQuery(null))).toEqual([{ path: 'query', message: 'must be a plain object (got null)' }]);
    expect(issuesOf(() => validateQuery({ filters: 'x' }))).toEqual([{ path: 'query.filters', message: 'must be an array (got "x")' }]);
  });

  it('names unknown option keys and lists the accepted ones', () => {
    expect(issuesOf(() => validateAppendOptions({ idempotencyKey: '', idempotency: 'k' }))).toEqual([
      { path: 'options.idempotency', message: 'is not an accepted key (accepted: idempotencyKey)' },
      { path: 'options.idempotencyKey', message: 'must be a non-empty string' },
    ]);
    expect(issuesOf(() => validateHandler(() => {}, { onErorr: () => {} }))).toEqual([
      { path: 'options.onErorr', message: 'is not an accepted key (accepted: onError)' },
    ]);
    const found: InvalidInputIssue[] = [];
    checkOptions(AppendOptions, 'fast', found);
    expect(found).toEqual([{ path: 'options', message: 'must be a plain object (got "fast")' }]);
  });

  it('reports the problems of every argument of a call together', () => {
    const error = (() => {
      try {
        validateAll(
          () => validateEvents([{ eventType: '', payload: 1 }]),
          () => validateAppendOptions({ retries: 3 }),
        );
      } catch (e) {
        return e as InvalidInputError;
      }
      throw new Error('expected INVALID_INPUT');
    })();
    expect(error.issues.map((i) => i.path)).toEqual(['events[0].eventType', 'options.retries']);
    expect(error.message).toBe(
      'invalid input (2 problems): events[0].eventType: must be a non-empty string; options.retries: is not an accepted key (accepted: idempotencyKey)',
    );
    expect(
      validateAll(
        () => 1,
        () => 'two',
      ),
    ).toEqual([1, 'two']);
  });

  it('prints one problem as one sentence with its path', () => {
    expect(messageOf(() => validateEvents([{ eventType: '', payload: 1 }]))).toBe(
      'invalid input: events[0].eventType: must be a non-empty string',
    );
  });

  it('lists at most 20 problems in the message and keeps them all in issues', () => {
    const events = Array.from({ length: 30 }, () => ({ eventType: 'e', payload: [undefined] }));
    const issues = issuesOf(() => validateEvents(events));
    expect(issues).toHaveLength(30);
    expect(messageOf(() => validateEvents(events))).toMatch(
      /^invalid input \(30 problems\): events\[0\]\.payload\[0\]: .*; and 10 more \(see issues\)$/,
    );
  });
});
