import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SqliteStore } from '../src/index.js';
import { sql } from './sqlite-file.js';
import { removeTempFolders, tempDb, tempFolder } from './temp-files.js';

afterAll(removeTempFolders);

async function openError(path: unknown, options?: unknown) {
  const error = await SqliteStore.open(path as string, options as never).then(
    (store) => store.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { code: string; cause?: unknown; issues?: unknown[] };
}

describe('SqliteStore refuses bad states with clear errors', () => {
  it('an unknown option is INVALID_INPUT naming the key and the accepted ones; nothing is created', async () => {
    const path = join(tempFolder(), 'never.db');
    const error = await openError(path, { synchronous: 'FULL', journal: 'delete', leaseMs: 5 });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.issues).toEqual([
      {
        path: 'options.journal',
        message: 'is not an accepted key (accepted: synchronous, busyTimeoutMs, pollIntervalMs, leaseMs, telemetry)',
      },
      { path: 'options.leaseMs', message: 'must be an integer from 300 to 600000 (got 5)' },
    ]);
    expect(error.message).toMatch(/^invalid input \(2 problems\): options\.journal: is not an accepted key/);
    expect(existsSync(path)).toBe(false);
  });

  it('bad arguments: INVALID_INPUT before touching the disk', async () => {
    for (const [path, options] of [
      ['', undefined],
      [42, undefined],
      [undefined, undefined],
      ['a\u0000b.db', undefined],
      [join(tempFolder(), 'x.db'), { synchronous: 'OFF' }],
      [join(tempFolder(), 'x.db'), { busyTimeoutMs: -1 }],
      [join(tempFolder(), 'x.db'), { pollIntervalMs: 0 }],
      [join(tempFolder(), 'x.db'), { journal: 'delete' }],
      [join(tempFolder(), 'x.db'), 'fast'],
    ] as const) {
      const error = await openError(path, options);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.issues?.length).toBeGreaterThan(0);
    }
  });

  it('a path below a file (a folder that cannot be made): BACKEND_FAILURE with the cause', async () => {
    const file = join(tempFolder(), 'not-a-folder');
    writeFileSync(file, 'x');
    const error = await openError(join(file, 'sub', 'store.db'));
    expect(error.code).toBe('BACKEND_FAILURE');
    expect((error.cause as { code?: string }).code).toMatch(/ENOTDIR|EEXIST/);
  });

  it('a missing folder inside a read-only place: BACKEND_FAILURE with the cause, in a process without write permission', () => {
    const readOnly = join(tempFolder(), 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    chmodSync(dirname(readOnly), 0o755);
    // root may write anywhere, so the check runs as an unprivileged user when we are root
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const script = `
      const { SqliteStore } = require(${JSON.stringify(require.resolve('factstore-sqlite'))});
      SqliteStore.open(${JSON.stringify(join(readOnly, 'missing', 'store.db'))}).then(
        () => console.log('opened'),
        (error) => console.log(JSON.stringify({ code: error.code, cause: error.cause && error.cause.code, message: error.message })),
      );
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, ...asNobody });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout.trim());
    expect(result.code).toBe('BACKEND_FAILURE');
    expect(result.cause).toBe('EACCES');
    expect(result.message).toContain(`cannot open SQLite file ${join(readOnly, 'missing', 'store.db')}: `);
  });

  it('a file that is not SQLite: BACKEND_FAILURE, and the file is left as it was', async () => {
    const path = join(tempFolder(), 'notes.txt');
    const text = 'These are my notes, not a database. '.repeat(200);
    writeFileSync(path, text);
    const error = await openError(path);
    expect(error.code).toBe('BACKEND_FAILURE');
    expect(String((error.cause as Error).message)).toMatch(/not a database|SQLITE_NOTADB/i);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('another SQLite database without factstore tables gets them added, its own tables untouched', async () => {
    const path = tempDb();
    await sql(path, 'CREATE TABLE mine (id INTEGER PRIMARY KEY, note TEXT)');
    await sql(path, `INSERT INTO mine (note) VALUES ('kept')`);
    const store = await SqliteStore.open(path);
    await store.append([{ eventType: 'e', payload: 1 }]);
    await store.close();
    expect(await sql(path, 'SELECT note FROM mine')).toEqual([{ note: 'kept' }]);
  });
});
