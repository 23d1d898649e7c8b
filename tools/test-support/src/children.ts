import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A message a test's child process sends over IPC. */
export type Message = { type: string; [key: string]: unknown };

/** Starts `folder/script` as a child process with IPC, collecting its messages. */
export function child(folder: string, script: string, args: string[]) {
  const messages: Message[] = [];
  const process = fork(join(folder, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.on('message', (message) => messages.push(message as Message));
  const exited = new Promise<number | null>((resolve) => process.on('exit', (code) => resolve(code)));
  const waitFor = async (type: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find((m) => m.type === type);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${script} sent no ${type} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { process, messages, exited, waitFor };
}

/** Kills a child with SIGKILL and waits until it is gone. */
export function kill(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}
