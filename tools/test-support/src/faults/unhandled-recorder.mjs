// Records unhandled rejections and uncaught exceptions of the current process. Plain JavaScript,
// so that unhandled-preload.mjs can load it into any child process (`node --import`); typed by
// unhandled-recorder.d.mts and re-exported by unhandled.ts.
import { writeSync } from 'node:fs';

/** The exit code of a process that the recorder ends after an uncaught exception (EX_SOFTWARE). */
export const UNCAUGHT_EXIT_CODE = 70;

function describe(kind, error) {
  const e = error instanceof Error ? error : undefined;
  return {
    kind,
    name: e?.name ?? typeof error,
    message: e ? e.message : String(error),
    code: e && 'code' in e ? String(e.code) : undefined,
    stack: e?.stack,
    at: Date.now(),
  };
}

export function recordUnhandled(options = {}) {
  const { onEvent, exitOnException = true } = options;
  const events = [];
  const record = (kind, error) => {
    const event = describe(kind, error);
    events.push(event);
    try {
      onEvent?.(event);
    } catch {
      // a reporter that fails must not hide the event
    }
    return event;
  };
  const onRejection = (reason) => record('unhandledRejection', reason);
  const onException = (error) => {
    // another listener handles it (the process would not end under Node's defaults): recorded, not a crash
    if (process.listenerCount('uncaughtException') > 1) return void record('handledException', error);
    const event = record('uncaughtException', error);
    if (!exitOnException) return;
    writeSync(2, `uncaught exception, exiting with ${UNCAUGHT_EXIT_CODE}: ${event.stack ?? event.message}\n`);
    process.exitCode = UNCAUGHT_EXIT_CODE;
    const exit = () => process.exit(UNCAUGHT_EXIT_CODE);
    setTimeout(exit, 1000).unref();
    // messages go in order: once this one is written, every report before it is too
    if (process.connected && process.send) process.send({ type: 'unhandled-flush' }, exit);
    else exit();
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    events,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
