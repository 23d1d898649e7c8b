// The fault worker's stream check: the live stream must have delivered the log's positions exactly,
// in order; past where it ended, only appends that failed with mayHaveCommitted may follow (a
// commit whose reply was cut lands on the server after the worker read the head).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kit from './kit.mjs';

const { streamCheck } = kit;
const rows = (...ids) => ids.map((id, i) => ({ seq: i + 1, id }));

describe('streamCheck', () => {
  it('the same positions in order: exact', () => {
    assert.deepEqual(streamCheck([1, 2, 3], rows('a', 'b', 'c'), new Set()), { streamExact: true, streamLate: 0 });
  });

  it('a tail of uncertain appends the stream did not reach: exact, counted as late', () => {
    assert.deepEqual(streamCheck([1, 2], rows('a', 'b', 'u1'), new Set(['u1'])), { streamExact: true, streamLate: 1 });
  });

  it('an acknowledged append past the stream: not exact', () => {
    const check = streamCheck([1, 2], rows('a', 'b', 'c'), new Set());
    assert.equal(check.streamExact, false);
    assert.match(
      check.streamMismatch,
      /streamed 2 positions, the log has 3; first difference at index 2 \(streamed nothing, log 3\); 1 missing \(3\)/,
    );
  });

  it('an uncertain append skipped in the middle: not exact', () => {
    assert.equal(streamCheck([1, 3], rows('a', 'u1', 'c'), new Set(['u1'])).streamExact, false);
  });

  it('a position delivered twice: not exact, and said so', () => {
    const check = streamCheck([1, 2, 2, 3], rows('a', 'b', 'c'), new Set());
    assert.equal(check.streamExact, false);
    assert.match(check.streamMismatch, /1 delivered more than once/);
  });
});
