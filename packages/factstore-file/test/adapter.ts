import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JsonValue } from 'factstore';
import type { RawCursor, RawLog, StoreAdapter } from 'factstore-test-support';
import { FileStore } from '../src/index.js';
import { checkLog, cursorFiles, segmentFiles, snapshot } from './store-files.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

/** The holder named in a cursor's lease file, `null` when there is none. */
function leaseHolder(folder: string, cursorFile: string): string | null {
  const lease = join(folder, 'cursors', `${cursorFile.slice(0, -'.json'.length)}.lease`);
  if (!existsSync(lease)) return null;
  return (JSON.parse(readFileSync(lease, 'utf8')) as { holder: string }).holder;
}

/** Rewrites every line of every segment with `change`, keeping the segment names. */
function rewriteLines(folder: string, change: (line: Record<string, unknown>) => Record<string, unknown>): void {
  for (const { path } of segmentFiles(folder)) {
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    writeFileSync(path, lines.map((line) => `${JSON.stringify(change(JSON.parse(line) as Record<string, unknown>))}\n`).join(''));
  }
}

/** The file store for the store test kit: a location is the path of a store folder (not created yet) in a fresh temp folder. */
export const fileAdapter: StoreAdapter = {
  name: 'FileStore',
  create: async (tag) => tempStore(tag),
  open: (path) => FileStore.open(path),
  child: (path) => ({
    module: pathToFileURL(join(__dirname, '..', 'dist', 'index.mjs')).href,
    exportName: 'FileStore',
    open: 'open',
    args: [path],
  }),
  raw: {
    read: async (path): Promise<RawLog> => {
      const problems: string[] = [];
      let log: ReturnType<typeof checkLog> = { head: 0, batches: [], lines: [], tornBytes: 0 };
      try {
        log = checkLog(path, { torn: true }); // a torn tail is reported as tornBytes, for checkLogInvariants to judge
      } catch (error) {
        problems.push((error as Error).message);
      }
      const cursors: RawCursor[] = cursorFiles(path)
        .map((c) => ({ name: c.name, position: c.position, holder: leaseHolder(path, c.file) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return {
        events: log.lines.map((line) => ({ position: line.seq, eventType: line.eventType, payload: line.payload as JsonValue })),
        batches: log.batches,
        cursors,
        problems,
        tornBytes: log.tornBytes,
      };
    },
    removeBatchHistory: async (path) => {
      // the batch history of the file store is the `last` of every line: without it, no batch ends
      const lasts = new Map<number, number>();
      rewriteLines(path, ({ last, ...rest }) => {
        lasts.set(rest.seq as number, last as number);
        return rest;
      });
      return async () => rewriteLines(path, (line) => ({ seq: line.seq, last: lasts.get(line.seq as number), ...line }));
    },
    markNewerFormat: async (path, version) => {
      writeFileSync(join(path, 'format.json'), `${JSON.stringify({ format: 'factstore-file', version })}\n`);
      // an open that forgot to check the format first would create this folder again
      rmSync(join(path, 'cursors'), { recursive: true, force: true });
    },
    fingerprint: async (path) => snapshot(path),
  },
  cleanup: async () => removeTempFolders(),
};
