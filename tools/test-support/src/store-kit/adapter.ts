import type { EventStore, JsonValue } from 'factstore';

/**
 * Where a store keeps one log, as the store names it: a file path (SQLite, the file store) or a
 * schema name (PostgreSQL). Made by {@link StoreAdapter.create}.
 */
export type Location = string;

/** One stored event as the log holds it, read without the store. */
export interface RawEvent {
  position: number;
  eventType: string;
  payload: JsonValue;
}

/** One stored batch: the positions of one committed append, `first..last`. */
export interface RawBatch {
  first: number;
  last: number;
}

/** One stored durable cursor: the position its stream has handled, and who holds the name. */
export interface RawCursor {
  name: string;
  position: number;
  /** The holder of the name's lease, `null` when nobody holds it. */
  holder: string | null;
}

/** A consistent snapshot of a stored log, read without the store. */
export interface RawLog {
  /** Every event, by position. */
  events: RawEvent[];
  /** Every batch, by first position. */
  batches: RawBatch[];
  /** Every durable cursor, by name. */
  cursors: RawCursor[];
  /**
   * What the store's own consistency checks found wrong, empty when nothing (SQLite:
   * `PRAGMA integrity_check`; PostgreSQL: the head counter against the last position).
   */
  problems: string[];
  /**
   * Bytes after the last whole batch that a writer killed in the middle of a write left behind and
   * that the next writer cuts off (the file store's torn tail); never committed. 0 or absent elsewhere.
   */
  tornBytes?: number;
}

/** How a child process opens the store: `(await import(module))[exportName][open](...args)`. */
export interface StoreSpec {
  /** The `file:` URL of the store package's built ESM entry (`dist/index.mjs`). */
  module: string;
  /** The store class exported there, e.g. `SqliteStore`. */
  exportName: string;
  /** Its static method that opens a store, e.g. `open` or `connect`. */
  open: string;
  /** The JSON arguments of that call: the location, the connection, the options. */
  args: JsonValue[];
}

/**
 * What the store test kit needs to know of a persistent store: how to open it at a fresh
 * location, how to read (and, for the bad-state tests, break) what it stored without it, and how
 * a child process opens it. One adapter per store, in the store's `test/adapter.ts`.
 */
export interface StoreAdapter {
  /** The store's name in test titles, e.g. `SqliteStore`. */
  readonly name: string;
  /** A fresh, empty location, removed by {@link StoreAdapter.cleanup}; `tag` names it for a reader. */
  create(tag: string): Promise<Location>;
  /** Opens (or reopens) the store at `location` with its default options, creating what is missing. */
  open(location: Location): Promise<EventStore>;
  /** The arguments a child process opens the store at `location` with. */
  child(location: Location): StoreSpec;
  /** Reads and breaks a stored log without the store; no store may have it open for the changes. */
  readonly raw: {
    /** The stored log, in one consistent snapshot. */
    read(location: Location): Promise<RawLog>;
    /** Removes the whole batch history (events stay); resolves with a function that puts it back. */
    removeBatchHistory(location: Location): Promise<() => Promise<void>>;
    /**
     * Marks the stored log as written by a newer format `version`, and removes one thing that
     * opening would create if it forgot to check the format first (SQLite a trigger, PostgreSQL an
     * index), so that a store that changes a newer log shows in {@link fingerprint}.
     */
    markNewerFormat(location: Location, version: number): Promise<void>;
    /** Everything stored at `location` (structure and content), to compare before and after. */
    fingerprint(location: Location): Promise<unknown>;
  };
  /** Removes every location {@link StoreAdapter.create} made so far. */
  cleanup(): Promise<void>;
}
