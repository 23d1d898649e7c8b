// The fault-injection kit: network faults between a client and PostgreSQL, backend terminations,
// server stops, and the recording of what went unhandled in a child process.
export {
  startProxy,
  isLoopback,
  type FaultProxy,
  type ProxyMode,
  type ProxyOptions,
  type ProxyStats,
  type ProxyConnection,
  type DropReplies,
  type ServerChunkHook,
} from './tcp-proxy.js';
export { PgConversation, isCommitReply, type PgMessage } from './pg-wire.js';
export { terminateStorm, STORM_APPLICATION_NAME, type TerminateStormOptions, type TerminateStormResult } from './pg-terminate.js';
export { startThrowawayServer, type ThrowawayServer, type ThrowawayServerOptions, type StopMode } from './throwaway-server.js';
export {
  recordUnhandled,
  watchedChild,
  unhandledPreload,
  UNCAUGHT_EXIT_CODE,
  type UnhandledEvent,
  type UnhandledRecorder,
  type RecordUnhandledOptions,
  type WatchedChild,
  type ChildOutcome,
} from './unhandled.js';
export { runFaultWorker, streamCheck, type FaultRun, type FaultReport } from './worker-report.js';
export { random } from '../random.js';
export { startPgBouncer, type PgBouncer, type PgBouncerOptions } from './pgbouncer.js';
