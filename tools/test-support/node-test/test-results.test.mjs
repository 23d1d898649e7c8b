// The reader of .test-results/ (tools/test-results.mjs): the counts of the CI summary line and the
// failed tests it lists next to them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readTestResults } from '../../test-results.mjs';

const tap = `TAP version 13
# Subtest: a suite
    # Subtest: passes
    ok 1 - passes
      ---
      duration_ms: 1
      ...
    # Subtest: compares two numbers
    not ok 2 - compares two numbers
      ---
      duration_ms: 12
      failureType: 'testCodeFailure'
      error: |-
        Expected values to be strictly equal:

        1 !== 2
      code: 'ERR_ASSERTION'
      ...
    1..2
not ok 1 - a suite
  ---
  duration_ms: 13
  type: 'suite'
  ...
1..1
# tests 2
# pass 1
# fail 1
# cancelled 0
`;

const jest = {
  numPassedTests: 3,
  numFailedTests: 1,
  numRuntimeErrorTestSuites: 1,
  testResults: [
    {
      name: '/repo/packages/p/test/a.test.ts',
      status: 'failed',
      assertionResults: [
        { fullName: 'a works', status: 'passed', failureMessages: [] },
        { fullName: 'a appends once', status: 'failed', failureMessages: ['\u001b[31mError: expected 1, got 2\u001b[39m\n    at x'] },
      ],
    },
    { name: '/repo/packages/p/test/b.test.ts', status: 'failed', message: 'Cannot find module x', assertionResults: [] },
    { name: '/repo/packages/p/test/c.test.ts', status: 'passed', assertionResults: [{ fullName: 'c', status: 'passed' }] },
  ],
};

function folderWith(files) {
  const folder = mkdtempSync(join(tmpdir(), 'test-results-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

describe('test results', () => {
  it('counts the passed and failed tests of Jest JSON and TAP, a suite that did not run as failed', () => {
    const folder = folderWith({ 'p.jest.json': JSON.stringify(jest), 'q.node.tap': tap, 'summary.txt': '9 passed, 9 failed\n' });
    try {
      const { passed, failed } = readTestResults(folder, '/repo');
      assert.deepEqual({ passed, failed }, { passed: 4, failed: 3 });
    } finally {
      rmSync(folder, { recursive: true });
    }
  });

  it('lists each failed test by package and name with the start of its message, and no suite of TAP', () => {
    const folder = folderWith({ 'p.jest.json': JSON.stringify(jest), 'q.node.tap': tap });
    try {
      const listed = readTestResults(folder, '/repo').failures;
      assert.equal(listed.length, 3);
      assert.match(listed[0], /^ {2}p: a appends once\n {6}Error: expected 1, got 2\n {6}at x$/);
      assert.match(listed[1], /^ {2}p: packages\/p\/test\/b\.test\.ts\n {6}Cannot find module x$/);
      assert.match(listed[2], /^ {2}q: compares two numbers\n {6}error: \|-\n {6}Expected values to be strictly equal:\n {6}1 !== 2/);
    } finally {
      rmSync(folder, { recursive: true });
    }
  });

  it('lists nothing when every test passed', () => {
    const folder = folderWith({ 'q.node.tap': tap.replace('not ok 2', 'ok 2').replace('not ok 1', 'ok 1') });
    try {
      assert.deepEqual(readTestResults(folder, '/repo').failures, []);
    } finally {
      rmSync(folder, { recursive: true });
    }
  });
});
