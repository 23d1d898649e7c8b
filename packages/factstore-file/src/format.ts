import { randomUUID } from 'node:crypto';
import { checkFormat } from 'factstore/backend';
import { errorCode, readIfExists, syncDirectory, type FileSystem } from './file-system.js';
import { join } from 'node:path';
import { temporary, temporaryOwner, type Layout } from './layout.js';
import { processRuns } from './lease.js';

/** The name in `format.json` that marks a folder as a file factstore. */
export const FORMAT_NAME = 'factstore-file';
/** The format this version writes and reads. A folder of a newer format is refused, never changed. */
export const FORMAT_VERSION = 1;

/** A folder (or file) that is not a file factstore. */
export class NotAStoreError extends Error {}

/** Temporary files of a `format.json` being created by another process (they do not make a folder "not empty"). */
const FORMAT_TEMPORARY = /^format\.json\..*\.tmp$/;

/**
 * Makes `layout.root` a store folder, or checks that it is one. A missing or empty folder gets a
 * `format.json` (written to a temporary file, synced, then linked into place, so two processes
 * creating a store at once agree and neither sees a half-written file), `segments/` and `cursors/`.
 * Refused, with the folder left exactly as it was: a path that is a file, a folder that has other
 * things in it but no `format.json`, a `format.json` of something else or of a newer version.
 */
export async function prepareFolder(files: FileSystem, layout: Layout, sync: boolean): Promise<void> {
  try {
    files.mkdirSync(layout.root);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') throw new NotAStoreError(`${layout.root} is not a folder`, { cause: error });
    throw error;
  }
  let text = readIfExists(files, layout.format);
  let created = false;
  if (text === undefined) {
    const others = files.readdirSync(layout.root).filter((entry) => !FORMAT_TEMPORARY.test(entry));
    if (others.length > 0) {
      throw new NotAStoreError(
        `${layout.root} is not a factstore folder: it has no format.json and is not empty (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''})`,
      );
    }
    await createFormatFile(files, layout, sync);
    text = files.readFileSync(layout.format);
    created = true;
  }
  checkFormatFile(text, layout.format);
  for (const folder of [layout.segments, layout.cursors]) {
    if (files.statSync(folder)) continue;
    files.mkdirSync(folder);
    created = true;
  }
  if (created && sync) await syncDirectory(files, layout.root);
  // a folder this process cannot write is refused now, not at the first append
  for (const folder of [layout.root, layout.segments, layout.cursors]) {
    const probe = temporary(join(folder, 'probe'), `${process.pid}:${PROBE_ID}`);
    files.closeSync(files.openSync(probe, 'wx'));
    files.unlinkSync(probe);
  }
}

const PROBE_ID = randomUUID();

async function createFormatFile(files: FileSystem, layout: Layout, sync: boolean): Promise<void> {
  const temporary = `${layout.format}.${randomUUID()}.tmp`;
  const content = Buffer.from(`${JSON.stringify({ format: FORMAT_NAME, version: FORMAT_VERSION })}\n`);
  const fd = files.openSync(temporary, 'wx');
  try {
    files.writeSync(fd, content, 0, content.length, 0);
    if (sync) await files.fsync(fd);
  } finally {
    files.closeSync(fd);
  }
  try {
    files.linkSync(temporary, layout.format);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error; // another process created it first: use theirs
  } finally {
    files.unlinkSync(temporary);
  }
}

function checkFormatFile(text: Buffer, path: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    throw new NotAStoreError(`${path} is not a factstore format file (not JSON)`);
  }
  const { format, version } = (parsed ?? {}) as { format?: unknown; version?: unknown };
  if (format !== FORMAT_NAME || typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new NotAStoreError(`${path} is not a factstore-file format file: ${text.toString('utf8').slice(0, 100)}`);
  }
  checkFormat(String(version), FORMAT_VERSION, 'the folder');
}

/**
 * Removes the temporary files (of lock, lease and cursor files being written) that processes of
 * this host left behind when they were killed: those whose pid no longer runs.
 */
export function removeLeftovers(files: FileSystem, layout: Layout): void {
  for (const dir of [layout.root, layout.cursors]) {
    for (const name of files.readdirSync(dir)) {
      const pid = temporaryOwner(name);
      if (pid === undefined || processRuns(pid)) continue;
      try {
        files.unlinkSync(join(dir, name));
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    }
  }
}
