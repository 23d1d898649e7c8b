import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { child, kill } from '../children.js';
import type { StoreSpec } from './adapter.js';

/** The folder of the kit's child scripts (`tools/test-support/processes`). */
export const PROCESSES = fileURLToPath(new URL('../../processes', import.meta.url));

const running = new Set<ChildProcess>();

/**
 * Starts one of the kit's child scripts with IPC, on the store `spec` names; kill what is still
 * running after a test with {@link killChildren}.
 */
export function storeChild(script: string, spec: StoreSpec, args: (string | number)[] = []) {
  const started = child(PROCESSES, script, [JSON.stringify(spec), ...args.map(String)]);
  track(started.process);
  return started;
}

/** Keeps `process` among the children {@link killChildren} kills while it runs. */
export function track(process: ChildProcess): void {
  running.add(process);
  process.once('exit', () => running.delete(process));
}

/** Kills (SIGKILL) every child of the kit ({@link storeChild}, `smallDisk`) that is still running. */
export async function killChildren(): Promise<void> {
  await Promise.all([...running].map((p) => kill(p)));
}
