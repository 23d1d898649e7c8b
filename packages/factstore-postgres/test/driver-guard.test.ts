import { isDriverNullWrite } from '../src/driver-guard.js';

/** The error postgres.js 3.4.x throws from a deferred write on a dropped socket, with a stack like the real one's. */
function nullWrite(path: string, frame = 'Immediate.nextWrite'): TypeError {
  const error = new TypeError("Cannot read properties of null (reading 'write')");
  error.stack = `TypeError: Cannot read properties of null (reading 'write')\n    at ${frame} (${path}:255:22)\n    at process.processImmediate (node:internal/timers:483:21)`;
  return error;
}

describe('the guard against the driver’s deferred write on a dropped socket', () => {
  it('recognizes that error from the ESM and the CommonJS build of postgres.js, on any platform', () => {
    expect(isDriverNullWrite(nullWrite('file:///app/node_modules/postgres/src/connection.js'))).toBe(true);
    expect(isDriverNullWrite(nullWrite('/app/node_modules/postgres/cjs/src/connection.js'))).toBe(true);
    expect(isDriverNullWrite(nullWrite('C:\\app\\node_modules\\postgres\\cjs\\src\\connection.js'))).toBe(true);
  });

  it('leaves every other error alone', () => {
    expect(isDriverNullWrite(nullWrite('/app/src/mine.js'))).toBe(false); // the same message from elsewhere
    expect(isDriverNullWrite(nullWrite('/app/node_modules/postgres/src/connection.js', 'Socket.data'))).toBe(false);
    expect(isDriverNullWrite(new TypeError("Cannot read properties of null (reading 'end')"))).toBe(false);
    expect(isDriverNullWrite(new Error("Cannot read properties of null (reading 'write')"))).toBe(false);
    expect(isDriverNullWrite('a string')).toBe(false);
  });
});
