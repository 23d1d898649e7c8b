import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileSystem } from '../src/file-system.js';
import { HeadFile } from '../src/head-file.js';
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
});
