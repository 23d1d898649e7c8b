import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileStore } from '../src/index.js';
import { segmentFiles, snapshot } from './store-files.js';
import { removeTempFolders, tempFolder, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

async function openError(path: unknown, options?: unknown) {
  const error = await FileStore.open(path as string, options as never).then(
    (store) => store.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { code: string; cause?: unknown; issues?: unknown[] };
}

/** A closed store of a few batches, over two segments. */
async function someStore() {
  const path = tempStore('bad');
  const store = await FileStore.open(path, { segmentBytes: 1024 });
  for (let i = 0; i < 18; i++) await store.append([{ eventType: 'e', payload: { i, text: 'z'.repeat(100) } }]);
  await (await store.streamAllDurable('d', () => {})).unsubscribe();
  await store.close();
  expect(segmentFiles(path).length).toBeGreaterThan(2);
  return path;
}

describe('FileStore refuses bad states with clear errors, changing nothing', () => {
  it('an unknown option is INVALID_INPUT naming the key and the accepted ones; nothing is created', async () => {
    const path = join(tempFolder(), 'never');
    const error = await openError(path, { durabilty: 'none' });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.issues).toEqual([
      {
        path: 'options.durabilty',
        message:
          'is not an accepted key (accepted: durability, segmentBytes, pollIntervalMs, lockTimeoutMs, cachedEvents, leaseMs, telemetry)',
      },
    ]);
    expect(existsSync(path)).toBe(false);
  });

  it('bad arguments: INVALID_INPUT before touching the disk', async () => {
    const folder = tempFolder();
    for (const [path, options] of [
      ['', undefined],
      [42, undefined],
      [undefined, undefined],
      ['a\u0000b', undefined],
      [join(folder, 'x'), { durability: 'sometimes' }],
      [join(folder, 'x'), { segmentBytes: 100 }],
      [join(folder, 'x'), { segmentBytes: 1.5e6 + 0.5 }],
      [join(folder, 'x'), { pollIntervalMs: 0 }],
      [join(folder, 'x'), { lockTimeoutMs: -1 }],
      [join(folder, 'x'), { synchronous: 'FULL' }],
      [join(folder, 'x'), 'fast'],
    ] as const) {
      const error = await openError(path, options);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.issues?.length).toBeGreaterThan(0);
    }
    expect(existsSync(join(folder, 'x'))).toBe(false);
  });

  it('a path that is a file: BACKEND_FAILURE, the file left as it was', async () => {
    const file = join(tempFolder(), 'notes.txt');
    writeFileSync(file, 'my notes');
    const error = await openError(file);
    expect(error.code).toBe('BACKEND_FAILURE');
    expect(error.message).toMatch(/not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('my notes');
    const below = await openError(join(file, 'sub', 'store'));
    expect(below.code).toBe('BACKEND_FAILURE');
    expect((below.cause as { code?: string }).code).toMatch(/ENOTDIR|EEXIST/);
  });

  it('a folder with other things in it and no format.json: BACKEND_FAILURE, nothing changed', async () => {
    const folder = join(tempFolder(), 'photos');
    mkdirSync(join(folder, 'holiday'), { recursive: true });
    writeFileSync(join(folder, 'holiday', 'beach.jpg'), 'jpeg');
    writeFileSync(join(folder, 'list.txt'), 'a, b');
    const before = snapshot(folder);
    const error = await openError(folder);
    expect(error.code).toBe('BACKEND_FAILURE');
    expect(error.message).toMatch(/not a factstore folder/);
    expect(snapshot(folder)).toEqual(before);
  });

  it('a format.json of something else: BACKEND_FAILURE, nothing changed', async () => {
    for (const content of ['{"format":"other-tool","version":1}', 'not json', '{"format":"factstore-file","version":"1"}']) {
      const folder = join(tempFolder(), 'other');
      mkdirSync(folder);
      writeFileSync(join(folder, 'format.json'), content);
      const before = snapshot(folder);
      const error = await openError(folder);
      expect(error.code).toBe('BACKEND_FAILURE');
      expect(error.message).toMatch(/format file/);
      expect(snapshot(folder)).toEqual(before);
    }
  });

  it('a store of a newer format: BACKEND_FAILURE naming both formats, not a byte changed (not even its torn tail cut off)', async () => {
    const path = await someStore();
    writeFileSync(join(path, 'format.json'), '{"format":"factstore-file","version":99}\n');
    appendFileSync(segmentFiles(path).at(-1)!.path, '{"seq":13,"last":14,"occu');
    writeFileSync(join(path, 'write.lock.1-00000000-0000-0000-0000-000000000000-1.tmp'), ''); // a leftover of a dead process
    const before = snapshot(path);
    const error = await openError(path);
    expect(error.code).toBe('BACKEND_FAILURE');
    expect(error.message).toMatch(/format 99.*format 1/);
    expect(snapshot(path)).toEqual(before);
  });

  it('a damaged log: a broken line with whole lines after it, or a missing segment: BACKEND_FAILURE, nothing changed', async () => {
    const path = await someStore();
    const [first, second] = segmentFiles(path);
    const original = readFileSync(first!.path, 'utf8');
    writeFileSync(first!.path, original.replace('"seq":2,', '"seq":2,,'));
    const before = snapshot(path);
    const broken = await openError(path);
    expect(broken.code).toBe('BACKEND_FAILURE');
    expect(broken.message).toMatch(/damaged/);
    expect(snapshot(path)).toEqual(before);

    writeFileSync(first!.path, original);
    for (const missing of [second!.path, segmentFiles(path).at(-1)!.path]) {
      renameSync(missing, `${missing}.away`);
      const withGap = snapshot(path);
      const gap = await openError(path);
      expect(gap.code).toBe('BACKEND_FAILURE');
      expect(gap.message).toMatch(/segments are missing or damaged/);
      expect(snapshot(path)).toEqual(withGap);
      renameSync(`${missing}.away`, missing);
    }
    await (await FileStore.open(path)).close(); // whole again
  });

  it('a folder this process cannot write (a read-only store, a missing folder in a read-only place): BACKEND_FAILURE with EACCES', async () => {
    const path = await someStore();
    const readOnly = join(tempFolder(), 'read-only');
    mkdirSync(readOnly);
    for (const dir of [dirname(readOnly), dirname(path)]) chmodSync(dir, 0o755);
    for (const dir of [path, join(path, 'segments'), join(path, 'cursors'), readOnly]) chmodSync(dir, 0o555);
    // root may write anywhere, so the check runs as an unprivileged user when we are root
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    for (const target of [path, join(readOnly, 'missing', 'store')]) {
      const script = `
        const { FileStore } = require(${JSON.stringify(require.resolve('factstore-file'))});
        FileStore.open(${JSON.stringify(target)}).then(
          () => console.log('opened'),
          (error) => console.log(JSON.stringify({ code: error.code, cause: error.cause && error.cause.code, message: error.message })),
        );
      `;
      const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, ...asNobody });
      expect(run.stderr).toBe('');
      const result = JSON.parse(run.stdout.trim());
      expect(result.code).toBe('BACKEND_FAILURE');
      expect(result.cause).toBe('EACCES');
      expect(result.message).toContain(`cannot open file store folder ${target}: `);
    }
    for (const dir of [path, join(path, 'segments'), join(path, 'cursors')]) chmodSync(dir, 0o755);
  });
});
