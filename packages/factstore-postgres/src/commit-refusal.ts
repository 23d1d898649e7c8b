import { REFUSED } from './connect-failure.js';

/** Codes of a connection that was never made: a commit queued on it was never sent. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'CONNECT_TIMEOUT']);

/**
 * Whether the error a commit failed with proves that it wrote nothing: the server answered it
 * with an `ERROR` (the statement and its transaction rolled back; an error after the commit
 * record is written is a `PANIC`), or the connection it was queued on was never made (refused,
 * not found, timed out, or turned away at login). Anything else leaves the outcome open, above all
 * a connection lost or ended (`FATAL`) while the commit was on its way or its reply was:
 * PostgreSQL commits first and replies second. The group commit then settles it (`GroupCommit`'s
 * `refused`).
 */
export function refusedCommit(error: unknown): boolean {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  if (severity === 'ERROR') return true;
  return typeof code === 'string' && (NEVER_CONNECTED.has(code) || (severity === 'FATAL' && REFUSED.test(code)));
}
