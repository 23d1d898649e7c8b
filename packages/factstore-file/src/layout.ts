import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** How many digits a segment's name has at least (its first position, zero-padded). */
const SEGMENT_DIGITS = 12;
const SEGMENT_NAME = /^(\d+)\.jsonl$/;

/**
 * Where everything of one store lives inside its folder:
 *
 * ```text
 * <folder>/
 *   format.json            {"format":"factstore-file","version":1}
 *   head                   the last published commit (head, newest segment, its size), written twice
 *   write.lock             while a process writes: its pid, host, holder id and heartbeat
 *   indexed-keys.json      payload keys with a value index (a hint for the next open)
 *   segments/000000000001.jsonl, …   the log: JSON Lines, one event per line
 *   cursors/<name>.json    a durable stream's cursor: name, canonical query, position
 *   cursors/<name>.lease   while a durable stream runs: its holder and heartbeat
 * ```
 */
export class Layout {
  /** `format.json`: the format name and version. */
  readonly format: string;
  /** `head`: the published head. */
  readonly head: string;
  /** `write.lock`: the cross-process write lock. */
  readonly writeLock: string;
  /** `indexed-keys.json`: the payload keys with a value index. */
  readonly indexedKeys: string;
  /** `segments/`. */
  readonly segments: string;
  /** `cursors/`. */
  readonly cursors: string;

  /** @param root the store's folder, absolute */
  constructor(readonly root: string) {
    this.format = join(root, 'format.json');
    this.head = join(root, 'head');
    this.writeLock = join(root, 'write.lock');
    this.indexedKeys = join(root, 'indexed-keys.json');
    this.segments = join(root, 'segments');
    this.cursors = join(root, 'cursors');
  }

  /** The path of the segment whose first event has position `first`. */
  segment(first: number): string {
    return join(this.segments, segmentName(first));
  }

  /**
   * The file name (without extension) of a durable stream's cursor: a readable part of the name
   * (letters, digits, `-`, `_`; at most 60 characters) and 16 hex digits of its SHA-256, so that
   * any name (slashes, dots, any script, 200 characters) gives a short, safe, distinct file name.
   */
  cursorBase(name: string): string {
    const readable = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60);
    const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
    return join(this.cursors, `${readable}~${hash}`);
  }
}

/** A segment's file name: its first position, zero-padded to at least 12 digits, `.jsonl`. */
export function segmentName(first: number): string {
  return `${String(first).padStart(SEGMENT_DIGITS, '0')}.jsonl`;
}

/** The first position a segment file name stands for, or undefined for other names. */
export function segmentFirst(fileName: string): number | undefined {
  const match = SEGMENT_NAME.exec(fileName);
  return match ? Number(match[1]) : undefined;
}

/**
 * A temporary file name beside `path`, unique to this holder and call:
 * `<path>.<pid>-<uuid>-<n>.tmp` (the holder is `<pid>:<uuid>`).
 */
export function temporary(path: string, holder: string): string {
  return `${path}.${holder.replace(/[^A-Za-z0-9-]/g, '-')}-${++temporaries}.tmp`;
}
let temporaries = 0;

const TEMPORARY = /\.(\d+)-[0-9a-f-]{36}-\d+\.tmp$/;

/** The pid in a name made by {@link temporary}, or undefined for other names. */
export function temporaryOwner(fileName: string): number | undefined {
  const match = TEMPORARY.exec(fileName);
  return match ? Number(match[1]) : undefined;
}
