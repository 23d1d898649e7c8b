import { join } from 'node:path';
import { child as start } from 'factstore-test-support';

export { kill } from 'factstore-test-support';

/** Starts a child process from test/processes with IPC, collecting its messages. */
export const child = (script: string, args: string[]) => start(join(__dirname, 'processes'), script, args);
