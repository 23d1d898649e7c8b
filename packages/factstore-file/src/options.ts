import { Type } from '@sinclair/typebox';
import { InvalidInputError, TelemetryOptions, type InvalidInputIssue } from 'factstore';
import { checkOptions, LEASE_MS } from 'factstore/backend';

/** Options of {@link FileStore.open}. */
export interface FileStoreOptions {
  /**
   * `'fsync'` (default): an append resolves only once its bytes are on disk (`fdatasync` of the
   * segment, and of the folder when a segment was created); nothing acknowledged is lost, even on
   * power loss. `'none'`: no syncs; the OS writes the bytes in its own time. Still never torn
   * (a torn tail is cut off at the next write) and safe across process crashes, but the last
   * appends (and cursor saves) can be lost on power loss or an OS crash. Much faster for small
   * appends.
   */
  durability?: 'fsync' | 'none';
  /**
   * A new segment file is started once the newest one has reached this many bytes (default
   * 64 MiB; at least 1024). A batch is never split: a segment may exceed this by one group of
   * appends.
   */
  segmentBytes?: number;
  /** How often streams look for commits of other processes, in ms (default 10): one 202-byte read of the `head` file. */
  pollIntervalMs?: number;
  /**
   * How long a write waits for another process's write lock, in ms (default 10000), before
   * failing with `BACKEND_FAILURE`. The lock is held only while a group of appends is written
   * and synced.
   */
  lockTimeoutMs?: number;
  /**
   * How many of the newest events are kept in memory (default 1,048,576), so that queries,
   * replays and streams over them read nothing from disk: about 300 bytes per event of 200 bytes of
   * JSON (some 300 MB when full). Events this process appends are kept as records; events read
   * from the segments (at open, or written by another process) are kept as their line's text and
   * parsed on their first read, then kept parsed: an open does not parse a window nobody may read,
   * and the first replay after an open parses each line once (about as fast as `JSON.parse`).
   * Older events are read from the segments when asked for (one `pread` per run of nearby lines,
   * parsed each time). `0` keeps only where each event is (8 bytes an event) and the index.
   */
  cachedEvents?: number;
  /**
   * How long a durable stream's name stays held by a process that stopped renewing it, in ms
   * (default 3000). The holder renews every third of it, and stops starting handler calls two
   * thirds into it when it could not renew; a name whose holder died on this host is free at once,
   * one whose holder is paused or on another host after this long.
   */
  leaseMs?: number;
  /**
   * Where the store's spans and metrics go: `{ tracerProvider, meterProvider }` of OpenTelemetry
   * (docs/operations.md). Default: the global providers of `@opentelemetry/api` when it is
   * installed; without it, no telemetry.
   */
  telemetry?: TelemetryOptions;
}

/** TypeBox schema of {@link FileStoreOptions}. */
export const FileStoreOptions = Type.Object(
  {
    durability: Type.Optional(Type.Union([Type.Literal('fsync'), Type.Literal('none')])),
    segmentBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 2 ** 40 })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
    lockTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    cachedEvents: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 30 })),
    leaseMs: Type.Optional(Type.Integer({ minimum: 300, maximum: 600_000 })),
    telemetry: Type.Optional(TelemetryOptions),
  },
  { additionalProperties: false },
);

/** Default of `cachedEvents`: 2^20. */
export const DEFAULT_CACHED_EVENTS = 1_048_576;

/** Default segment size: 64 MiB. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** Validates the arguments of `open`, with defaults filled in. */
export function validateOpen(path: unknown, options: unknown): { path: string; options: Required<FileStoreOptions> } {
  const issues: InvalidInputIssue[] = [];
  if (typeof path !== 'string' || path.length === 0) issues.push({ path: 'path', message: 'must be a non-empty string (a folder path)' });
  else if (path.includes('\u0000')) issues.push({ path: 'path', message: 'contains \\u0000' });
  const o = checkOptions<FileStoreOptions>(FileStoreOptions, options, issues);
  if (issues.length > 0) throw new InvalidInputError(issues);
  return {
    path: path as string,
    options: {
      durability: o.durability ?? 'fsync',
      segmentBytes: o.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      pollIntervalMs: o.pollIntervalMs ?? 10,
      lockTimeoutMs: o.lockTimeoutMs ?? 10_000,
      cachedEvents: o.cachedEvents ?? DEFAULT_CACHED_EVENTS,
      leaseMs: o.leaseMs ?? LEASE_MS,
      telemetry: o.telemetry ?? {},
    },
  };
}
