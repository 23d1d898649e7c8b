// The file store (durability fsync) and its baseline: raw node:fs doing the same work with no
// factstore code: the same JSON lines appended to one file with one pwrite and one fdatasync per
// append (appends one at a time), context reads through a plain Map of accountId → line offsets
// with one pread per line, and replay by reading the file in 1 MiB chunks.
import { closeSync, fdatasync, mkdtempSync, openSync, readSync, rmSync, write } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { FileStore } from 'factstore-file';

export const name = 'file';

const folders = [];
function freshFolder() {
  const folder = mkdtempSync(join(tmpdir(), 'factstore-bench-'));
  folders.push(folder);
  return folder;
}
process.on('exit', () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The store's `cachedEvents` option for this run (`--cached-events N`), its default when not set. */
let cachedEvents;

/** Takes this run's options that concern the file store: `cachedEvents` (a number or undefined). */
export function configure(options) {
  cachedEvents = options.cachedEvents;
}

/** A fresh store in a new folder, durability fsync (the default). */
export async function open() {
  return FileStore.open(join(freshFolder(), 'facts'), cachedEvents === undefined ? {} : { cachedEvents });
}

/** Where a store is, for another process to open the same one. */
export const locate = (store) => store.path;

/** Opens the store at a location from {@link locate} (in another process). */
export const openAt = (path) => FileStore.open(path, { pollIntervalMs: 1 });

const pwrite = promisify(write);
const sync = promisify(fdatasync);

/** The folders of the store's files and of its baseline's, which the scaling workload reads first and sizes. */
export const filesOf = (store, baseline) => [store.path, dirname(baseline.path)];

/** The same work with raw node:fs. */
export async function openBaseline() {
  const path = join(freshFolder(), 'log.jsonl');
  const fd = openSync(path, 'w+');
  let size = 0;
  let head = 0;
  const byAccount = new Map(); // accountId → [offset, length][]
  let queue = Promise.resolve();
  const exclusive = (work) => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };
  const readLine = (offset, length) => {
    const buffer = Buffer.allocUnsafe(length);
    readSync(fd, buffer, 0, length, offset);
    return JSON.parse(buffer.toString('utf8', 0, length - 1));
  };
  return {
    path,
    append: (events) =>
      exclusive(async () => {
        const first = head + 1;
        const last = head + events.length;
        const at = new Date().toISOString();
        let text = '';
        let offset = size;
        for (let i = 0; i < events.length; i++) {
          const e = events[i];
          const line = `{"seq":${first + i},"last":${last},"occurredAt":"${at}","eventType":${JSON.stringify(e.eventType)},"payload":${JSON.stringify(e.payload)}}\n`;
          text += line;
          const length = Buffer.byteLength(line);
          const account = e.payload?.accountId;
          if (account !== undefined) {
            let list = byAccount.get(account);
            if (!list) byAccount.set(account, (list = []));
            list.push([offset, length]);
          }
          offset += length;
        }
        const bytes = Buffer.from(text);
        for (let done = 0; done < bytes.length;) done += await pwrite(fd, bytes, done, bytes.length - done, size + done);
        await sync(fd);
        size += bytes.length;
        head = last;
      }),
    async contextQuery(eventType, accountId) {
      const out = [];
      for (const [offset, length] of byAccount.get(accountId) ?? []) {
        const line = readLine(offset, length);
        if (line.eventType === eventType) out.push(line);
      }
      return out;
    },
    async newest(eventType, accountId, count) {
      const out = [];
      const lines = byAccount.get(accountId) ?? [];
      for (let i = lines.length - 1; i >= 0 && out.length < count; i--) {
        const line = readLine(...lines[i]);
        if (line.eventType === eventType) out.push(line);
      }
      return out;
    },
    async replay(onBatch) {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      let carry = '';
      let batch = [];
      for (let position = 0; position < size;) {
        const read = readSync(fd, chunk, 0, chunk.length, position);
        position += read;
        const lines = (carry + chunk.toString('utf8', 0, read)).split('\n');
        carry = lines.pop();
        for (const line of lines) {
          batch.push(JSON.parse(line));
          if (batch.length === 100) {
            onBatch(batch);
            batch = [];
          }
        }
      }
      if (batch.length > 0) onBatch(batch);
    },
    close: () => exclusive(async () => closeSync(fd)),
  };
}
