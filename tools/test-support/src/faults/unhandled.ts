import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Message } from '../children.js';
import { UNCAUGHT_EXIT_CODE, type UnhandledEvent } from './unhandled-recorder.mjs';

export { recordUnhandled, UNCAUGHT_EXIT_CODE } from './unhandled-recorder.mjs';
export type { RecordUnhandledOptions, UnhandledEvent, UnhandledRecorder } from './unhandled-recorder.mjs';

/** The `file:` URL of the preload that records a child's unhandled rejections and uncaught exceptions: pass `--import=<it>`. */
export const unhandledPreload: string = new URL('./unhandled-preload.mjs', import.meta.url).href;

/** How a watched child ended. */
export interface ChildOutcome {
  /** Its exit code (null when a signal ended it). */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Its unhandled rejections, in order. */
  unhandledRejections: UnhandledEvent[];
  /** Its uncaught exceptions (the first one ends it). */
  uncaughtExceptions: UnhandledEvent[];
  /** Uncaught exceptions that another listener of the child handled (the process went on, as under Node's defaults it would with that listener). */
  handledExceptions: UnhandledEvent[];
  /** True when it crashed: an uncaught exception, or an exit with a nonzero code or by a signal that {@link WatchedChild.kill} did not send. */
  crashed: boolean;
  /** True when it did not exit in time and was killed. */
  timedOut: boolean;
}

/** A child process whose unhandled rejections and uncaught exceptions are recorded: see {@link watchedChild}. */
export interface WatchedChild {
  /** The child process. */
  readonly process: ChildProcess;
  /** Every IPC message it sent (reports of type `unhandled` included). */
  readonly messages: Message[];
  /** Waits for the first message of `type` (throws after `timeoutMs`, default 30 s, or when the child exits without it). */
  waitFor(type: string, timeoutMs?: number): Promise<Message>;
  /** Its unhandled rejections and uncaught exceptions so far. */
  unhandled(): UnhandledEvent[];
  /** Waits until it exits (killing it with SIGKILL after `timeoutMs`, default 30 s) and answers how it ended. */
  outcome(timeoutMs?: number): Promise<ChildOutcome>;
  /** Sends it a signal (default SIGKILL) that does not count as a crash. */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `folder/script` as a child process with IPC (like `child` of children.ts), with a preload
 * that reports each of its unhandled rejections and uncaught exceptions to this process, so that a
 * test can run a store in the child and assert that nothing went unhandled and nothing crashed.
 * The child gets `env` (default this process's environment) and no other `execArgv`.
 */
export function watchedChild(folder: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): WatchedChild {
  const messages: Message[] = [];
  const child = fork(join(folder, script), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [`--import=${unhandledPreload}`],
    env,
  });
  child.on('message', (message) => messages.push(message as Message));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  let ourSignal: NodeJS.Signals | undefined;
  const unhandled = () => messages.filter((m) => m.type === 'unhandled') as unknown as UnhandledEvent[];
  return {
    process: child,
    messages,
    async waitFor(type, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.type === type);
        if (found) return found;
        if (exit) throw new Error(`${script} exited (code ${exit.code}, signal ${exit.signal}) without sending ${type}`);
        if (Date.now() > deadline) throw new Error(`${script} sent no ${type} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    unhandled,
    kill(signal = 'SIGKILL') {
      ourSignal = signal;
      child.kill(signal);
    },
    async outcome(timeoutMs = 30_000) {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            timedOut = true;
            resolve();
          }, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        ourSignal = 'SIGKILL';
        child.kill('SIGKILL');
        await exited;
      }
      const { code, signal } = exit ?? { code: null, signal: null };
      const events = unhandled();
      const uncaughtExceptions = events.filter((e) => e.kind === 'uncaughtException');
      const crashed =
        uncaughtExceptions.length > 0 ||
        code === UNCAUGHT_EXIT_CODE ||
        (code !== null && code !== 0) ||
        (signal !== null && signal !== ourSignal);
      return {
        code,
        signal,
        unhandledRejections: events.filter((e) => e.kind === 'unhandledRejection'),
        handledExceptions: events.filter((e) => e.kind === 'handledException'),
        uncaughtExceptions,
        crashed,
        timedOut,
      };
    },
  };
}
