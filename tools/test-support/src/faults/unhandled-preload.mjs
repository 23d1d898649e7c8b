// Loaded with `node --import` into a child process by unhandled.ts (watchedChild): records its
// unhandled rejections and uncaught exceptions and reports each one to the parent over IPC as
// { type: 'unhandled', kind, name, message, code, stack, at }; after an uncaught exception the
// child exits with UNCAUGHT_EXIT_CODE (70), as a crash.
import { recordUnhandled } from './unhandled-recorder.mjs';

recordUnhandled({ onEvent: (event) => process.send?.({ type: 'unhandled', ...event }) });
