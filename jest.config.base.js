/**
 * Shared Jest settings for every package: TypeScript through @swc/jest (CommonJS mode),
 * NodeNext-style "./x.js" imports mapped back to the .ts sources.
 * @param {string} name the package name, used for the results file read by tools/run.mjs
 */
export function jestConfig(name) {
  return {
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest'] },
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testTimeout: 30000,
    displayName: name,
  };
}
