// Reads the results the test runners leave in .test-results/: Jest JSON (tools/jest-run.mjs) and
// node:test TAP (tools/node-test-run.mjs). Used by tools/run.mjs for the summary line of CI and
// the list of failed tests printed above it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The first lines of a failure message, without colour codes. */
function excerpt(message, lines = 4) {
  return (
    String(message)
      // eslint-disable-next-line no-control-regex -- colour codes start with ESC
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line.trim() !== '')
      .slice(0, lines)
      .map((line) => `      ${line.trim()}`)
      .join('\n')
  );
}

/**
 * What the Jest JSON and node:test TAP files in `folder` hold, each file read once: how many tests
 * passed and failed (a Jest suite that did not run, and a cancelled node:test test, count as
 * failed), and the failed tests by package and name with the start of their message (`root`: the
 * repository, cut from the paths of suites that failed on their own). CI shows only the end of the
 * output, so the failures are listed again next to the summary.
 */
export function readTestResults(folder, root) {
  let passed = 0;
  let failed = 0;
  const failures = [];
  for (const file of existsSync(folder) ? readdirSync(folder) : []) {
    const name = file.replace(/\.(jest\.json|node\.tap)$/, '');
    if (file.endsWith('.jest.json')) {
      const result = JSON.parse(readFileSync(join(folder, file), 'utf8'));
      passed += result.numPassedTests;
      failed += result.numFailedTests + result.numRuntimeErrorTestSuites;
      for (const suite of result.testResults ?? []) {
        const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
        for (const test of failedTests) {
          failures.push(`  ${name}: ${test.fullName}\n${excerpt((test.failureMessages ?? []).join('\n'))}`);
        }
        if (failedTests.length === 0 && suite.status === 'failed') {
          failures.push(`  ${name}: ${suite.name.slice(root.length + 1)}\n${excerpt(suite.message ?? '')}`);
        }
      }
    } else if (file.endsWith('.tap')) {
      const text = readFileSync(join(folder, file), 'utf8');
      passed += Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
      failed += Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0);
      const lines = text.split('\n');
      lines.forEach((line, index) => {
        const match = /^(\s*)not ok \d+ - (.*)$/.exec(line);
        if (match === null) return;
        const block = [];
        for (let next = index + 1; next < lines.length && !/^\s*\.\.\.$/.test(lines[next]); next++) {
          block.push(lines[next]);
        }
        const error = block.findIndex((entry) => /^\s*error: /.test(entry));
        // a suite fails with its tests (listed themselves) or on its own, as when a hook throws
        const suite = block.some((entry) => /^\s*type: 'suite'/.test(entry));
        if (suite && (error < 0 || /subtests? failed/.test(block[error]))) return;
        failures.push(`  ${name}: ${match[2]}\n${error < 0 ? '' : excerpt(block.slice(error).join('\n'))}`);
      });
    }
  }
  return { passed, failed, failures };
}
