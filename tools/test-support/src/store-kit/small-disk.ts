import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AppendResult, EventQuery, NewEvent, QueryResult } from 'factstore';
import type { StoreSpec } from './adapter.js';
import { PROCESSES, track } from './processes.js';

/** An error a store threw in the child, with its code and the code of its cause (e.g. `SQLITE_FULL`). */
export type RemoteError = Error & { code?: string; cause?: { code?: string; message: string } };

/** A store in a child process on a small filesystem of its own, and the filesystem's controls. */
export interface SmallDisk {
  append(events: readonly NewEvent[]): Promise<AppendResult>;
  query(query: EventQuery): Promise<QueryResult>;
  /** Starts a live stream in the child, which keeps every batch's positions. */
  streamAll(): Promise<void>;
  /** The positions of every batch the stream of {@link streamAll} delivered so far. */
  streamed(): Promise<number[][]>;
  close(): Promise<void>;
  /** Fills the filesystem with a file, up to `leave` bytes free; resolves with the bytes then free. */
  fill(leave: number): Promise<number>;
  /** Removes the file of {@link fill}: its room is free again. */
  free(): Promise<void>;
  /** Copies what the filesystem holds (but the filler) into `to`, a folder the parent sees. */
  copyOut(to: string): Promise<void>;
  /** Ends the child; its filesystem goes with it. */
  exit(): Promise<void>;
}

/**
 * Opens a store in a child process in which `folder` is a tmpfs of `bytes` bytes: a real small
 * filesystem whose writes fail with ENOSPC once it is full. The child has a private mount
 * namespace (`unshare --mount` as root, else `unshare --user --map-root-user --mount`), so the
 * mount is the child's alone and ends with it; the parent sees `folder` as it was. `spec` says how
 * the child opens the store, at a location inside `folder`.
 */
export async function smallDisk(folder: string, bytes: number, spec: StoreSpec): Promise<SmallDisk> {
  const namespace = process.getuid?.() === 0 ? ['--mount'] : ['--user', '--map-root-user', '--mount'];
  const mountAndRun = 'mount -t tmpfs -o size="$1" tmpfs "$2" && exec "$3" "$4" "$5" "$6"';
  const script = join(PROCESSES, 'remote-store.mjs');
  const child = spawn(
    'unshare',
    [...namespace, 'sh', '-c', mountAndRun, 'sh', String(bytes), folder, process.execPath, script, JSON.stringify(spec), folder],
    { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' },
  );
  track(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      for (const waiter of waiting.values()) waiter.reject(new Error(`the small disk's child ended (exit ${code}): ${stderr.trim()}`));
      resolve(code);
    }),
  );
  child.on('message', (message: { id?: number; value?: unknown; error?: { code?: string; message: string; cause?: unknown } }) => {
    const waiter = message.id === undefined ? undefined : waiting.get(message.id);
    if (!waiter) return;
    waiting.delete(message.id!);
    if (message.error) waiter.reject(Object.assign(new Error(message.error.message), message.error));
    else waiter.resolve(message.value);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exited.then((code) => reject(new Error(`the small disk's child ended before it was ready (exit ${code}): ${stderr.trim()}`)));
  });
  let next = 0;
  const call = <T>(op: string, ...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, op, args });
    });
  await call('open');
  return {
    append: (events) => call('append', events),
    query: (query) => call('query', query),
    streamAll: () => call('streamAll'),
    streamed: () => call('streamed'),
    close: () => call('close'),
    fill: (leave) => call('fill', leave),
    free: () => call('free'),
    copyOut: (to) => call('copyOut', to),
    exit: async () => {
      child.disconnect();
      await exited;
    },
  };
}
