#!/usr/bin/env node
// The `factstore` command: see docs/cli.md, or `factstore --help`.
import { main } from './main.js';

let stopping: Promise<void> | undefined;
const stopped = () =>
  (stopping ??= new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  }));

// a stream that is read by nobody any more (`| head`) is not an error of ours
process.stdout.on('error', () => {});
void main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, stopped }).then((code) => {
  process.exitCode = code;
  // nothing else to wait for: the store is closed, and the signal listeners must not keep the process
  process.exit(code);
});
