/** The exit code of a process that the recorder ends after an uncaught exception (EX_SOFTWARE). */
export declare const UNCAUGHT_EXIT_CODE: 70;

/** An unhandled rejection or uncaught exception, as recorded. */
export interface UnhandledEvent {
  /** Which kind; `handledException`: an uncaught exception another listener of the process handled (not a crash). */
  kind: 'unhandledRejection' | 'uncaughtException' | 'handledException';
  /** The error's name (`Error`, `TypeError`, …), or the reason's `typeof` when it is not an Error. */
  name: string;
  /** The error's message, or the reason as a string. */
  message: string;
  /** The error's `code` (such as `CONNECTION_CLOSED`, `57P01`), when it has one. */
  code: string | undefined;
  /** The error's stack. */
  stack: string | undefined;
  /** When it happened (ms since the epoch). */
  at: number;
}

/** Options of {@link recordUnhandled}. */
export interface RecordUnhandledOptions {
  /** Called with each event as it happens. */
  onEvent?: (event: UnhandledEvent) => void;
  /**
   * After an uncaught exception, end the process with {@link UNCAUGHT_EXIT_CODE} (as Node would
   * crash), once the IPC reports before it are written. Default true; false keeps the process
   * running, for measurements that count crashes instead of stopping at the first.
   */
  exitOnException?: boolean;
}

/** A running recorder. */
export interface UnhandledRecorder {
  /** What was recorded so far, in order. */
  readonly events: UnhandledEvent[];
  /** Removes the listeners. */
  stop(): void;
}

/**
 * Records every `unhandledRejection` and `uncaughtException` of this process. Unhandled
 * rejections are recorded and the process goes on (no crash hides the next one); uncaught
 * exceptions are recorded and end the process unless `exitOnException` is false.
 */
export declare function recordUnhandled(options?: RecordUnhandledOptions): UnhandledRecorder;
