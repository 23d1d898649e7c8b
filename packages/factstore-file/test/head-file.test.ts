import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, opened, positions } from 'factstore-test-support';
import { openFileStore } from '../src/file-store.js';
import { nodeFileSystem, type FileSystem } from '../src/file-system.js';
import { HeadFile } from '../src/head-file.js';
import { openedFiles } from './store-files.js';
import { removeTempFolders, tempFolder } from './temp-folders.js';

afterAll(removeTempFolders);

describe('the head file (what the writer publishes for other processes)', () => {
  it('holds the same fixed-width line twice; a read that sees the copies differ (a write racing it) is ignored', () => {
    const path = join(tempFolder(), 'head');
    const writer = new HeadFile(nodeFileSystem, path);
    const reader = new HeadFile(nodeFileSystem, path);
    expect(reader.read()).toBeUndefined(); // none yet
    writer.write({ head: 12, segment: 7, bytes: 3456 });
    const text = readFileSync(path, 'latin1');
    const [first, second, rest] = text.split('\n');
    expect(first).toBe(second);
    expect(rest).toBe('');
    expect(first).toHaveLength(100);
    expect(JSON.parse(first as string)).toEqual({ head: 12, segment: 7, bytes: 3456 });
    expect(reader.read()).toEqual({ head: 12, segment: 7, bytes: 3456 });

    // a torn read: the first copy new, the second old
    writer.write({ head: 15, segment: 7, bytes: 4000 });
    const next = readFileSync(path, 'latin1');
    writeFileSync(path, next.slice(0, 101) + text.slice(101), 'latin1');
    expect(reader.read()).toBeUndefined();
    writeFileSync(path, next, 'latin1');
    expect(reader.read()).toEqual({ head: 15, segment: 7, bytes: 4000 });
    writeFileSync(path, 'garbage');
    expect(reader.read()).toBeUndefined();
    writer.close();
    reader.close();
  });

  it('is polled from the first stream on: a store that only appends and reads does not look at it between calls', async () => {
    const heads = openedFiles((path) => path.endsWith('/head'));
    let headReads = 0;
    const files: FileSystem = {
      ...nodeFileSystem,
      openSync: heads.openSync,
      readSync: (fd, buffer, offset, length, position) => {
        if (heads.has(fd)) headReads++;
        return nodeFileSystem.readSync(fd, buffer, offset, length, position);
      },
    };
    const folder = tempFolder();
    const store = await openFileStore(folder, { pollIntervalMs: 5 }, files);
    const other = await openFileStore(folder, { pollIntervalMs: 5 });
    try {
      await store.append([opened('a1')]);
      headReads = 0; // the open and the append read it
      await new Promise((resolve) => setTimeout(resolve, 100)); // 20 poll intervals
      expect(headReads).toBe(0);
      const seen: number[] = [];
      const stream = await store.streamAll(async (batch) => void seen.push(...positions(batch)));
      await other.append([opened('a2')]);
      await eventually('the other instance’s commit streamed', () => seen.length > 0);
      expect(seen).toEqual([2]);
      expect(headReads).toBeGreaterThan(0);
      await stream.unsubscribe();
    } finally {
      await other.close();
      await store.close();
    }
  });
});
