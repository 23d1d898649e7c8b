import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nodeFileSystem, type FileSystem } from '../src/file-system.js';

/**
 * The descriptors the store opens on files whose path `matches`, for a test's file system
 * wrapper: use its `openSync` in the wrapper and ask `has(fd)` in the calls it watches (a
 * descriptor number reused for another file no longer counts).
 */
export function openedFiles(matches: (path: string) => boolean): { openSync: FileSystem['openSync']; has(fd: number): boolean } {
  const fds = new Set<number>();
  return {
    openSync: (path, flags) => {
      const fd = nodeFileSystem.openSync(path, flags);
      if (matches(path)) fds.add(fd);
      else fds.delete(fd);
      return fd;
    },
    has: (fd) => fds.has(fd),
  };
}

/** One event line as read straight from a segment file (not through the store). */
export interface Line {
  seq: number;
  last: number;
  occurredAt: string;
  eventType: string;
  payload: unknown;
}

/** The segment files of a store folder, in order of their first position. */
export function segmentFiles(folder: string): { first: number; path: string }[] {
  const dir = join(folder, 'segments');
  return readdirSync(dir)
    .filter((name) => /^\d+\.jsonl$/.test(name))
    .map((name) => ({ first: Number(name.slice(0, -'.jsonl'.length)), path: join(dir, name) }))
    .sort((a, b) => a.first - b.first);
}

/**
 * Reads every segment of a store folder straight from disk and checks the log's invariants:
 * segments named by their first position and chained from 1, every line an event line, positions
 * 1..N without a gap, every batch whole (from the line after the previous batch to the line whose
 * seq is its `last`), one occurredAt per batch, durable cursors at batch ends. With `torn`, bytes
 * after the last whole batch of the newest segment are allowed (a writer killed mid-write; the next
 * writer cuts them off); their length is returned.
 */
export function checkLog(
  folder: string,
  { torn = false } = {},
): { head: number; batches: { first: number; last: number }[]; lines: Line[]; tornBytes: number } {
  const lines: Line[] = [];
  const batches: { first: number; last: number }[] = [];
  let tornBytes = 0;
  const segments = segmentFiles(folder);
  segments.forEach(({ first, path }, s) => {
    if (first !== lines.length + 1) throw new Error(`segment ${first} does not follow position ${lines.length}`);
    const bytes = readFileSync(path);
    const tail = (from: number, why: string) => {
      if (!torn || s !== segments.length - 1) throw new Error(`${path}: ${why} at byte ${from}`);
      tornBytes = bytes.length - from;
    };
    let at = 0;
    let batchStart = 0;
    let batchFirst = lines.length + 1;
    while (at < bytes.length) {
      const newline = bytes.indexOf(0x0a, at);
      if (newline === -1) return tail(batchStart, 'a line without its newline');
      let line: Line;
      try {
        line = JSON.parse(bytes.toString('utf8', at, newline)) as Line;
      } catch {
        return tail(batchStart, 'a line that is not JSON');
      }
      if (line.seq !== lines.length + 1) throw new Error(`${path}: seq ${line.seq} where ${lines.length + 1} was expected`);
      const previous = lines[lines.length - 1];
      if (previous !== undefined && previous.seq < previous.last) {
        if (line.last !== previous.last || line.occurredAt !== previous.occurredAt)
          throw new Error(`${path}: the batch of ${line.seq} is inconsistent`);
      } else {
        batchStart = at;
        batchFirst = line.seq;
      }
      lines.push(line);
      if (line.seq === line.last) batches.push({ first: batchFirst, last: line.last });
      at = newline + 1;
    }
    const last = lines[lines.length - 1];
    if (last !== undefined && last.seq < last.last) tail(batchStart, 'a batch that is not whole');
  });
  const head = batches.at(-1)?.last ?? 0;
  lines.length = head; // the lines of a torn batch are no part of the log
  const ends = new Set([0, ...batches.map((b) => b.last)]);
  for (const cursor of cursorFiles(folder)) {
    if (!ends.has(cursor.position)) throw new Error(`cursor ${cursor.name} at ${cursor.position} is not at a batch end`);
  }
  return { head, batches, lines, tornBytes };
}

/** The durable cursor files of a store folder. */
export function cursorFiles(folder: string): { name: string; query: string; position: number; file: string }[] {
  const dir = join(folder, 'cursors');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({
      ...(JSON.parse(readFileSync(join(dir, name), 'utf8')) as { name: string; query: string; position: number }),
      file: name,
    }));
}

/** The cursor of one durable name, read from its file (undefined when there is none). */
export function cursorOf(folder: string, name: string): number | undefined {
  return cursorFiles(folder).find((c) => c.name === name)?.position;
}

/** Every file under `folder` with its size and a hash of its content: to tell that nothing changed. */
export function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        out[`${relative(folder, path)}/`] = 'dir';
        walk(path);
      } else {
        out[relative(folder, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
      }
    }
  };
  walk(folder);
  return out;
}
