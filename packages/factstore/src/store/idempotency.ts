import { randomBytes } from 'node:crypto';
import { IdempotencyKeyReusedError } from '../errors.js';
import { canonicalJson } from '../matching/canonical.js';
import type { ValidEvent } from '../validation/validate.js';
import type { CommittedBatch } from './backend.js';

/**
 * Whether two appends carry the same events: as many, each pair equal in `eventType` and in
 * `payload` as JSON values (object key order does not matter; array order does).
 */
export function sameEvents(
  a: readonly { readonly eventType: string; readonly payload: ValidEvent['payload'] }[],
  b: readonly { readonly eventType: string; readonly payload: ValidEvent['payload'] }[],
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ValidEvent;
    const y = b[i] as ValidEvent;
    if (x.eventType !== y.eventType || canonicalJson(x.payload) !== canonicalJson(y.payload)) return false;
  }
  return true;
}

/**
 * The answer to an append whose idempotency key already names `committed`: that batch again,
 * marked `replayed` (nothing written, nothing to publish), when the events are the same.
 * @throws IdempotencyKeyReusedError when they are not
 */
export function replayCommitted(committed: CommittedBatch, events: readonly ValidEvent[], key: string): CommittedBatch {
  if (!sameEvents(committed.records, events)) throw new IdempotencyKeyReusedError(key, committed);
  return { ...committed, replayed: true };
}

/**
 * What a store keeps with every batch so that a retry can ask whether it landed: the caller's
 * idempotency key (`k:` + key), or for an append without one an identity of this store instance
 * (`i:` + a random prefix + a counter: unique, and ordered within an instance, so an index on it
 * grows at its end).
 */
export class AppendIdentities {
  private readonly prefix = `i:${randomBytes(9).toString('base64url')}.`;
  private counter = 0;

  /** The identity of an append: from its key, or a new one. */
  of(idempotencyKey: string | undefined): string {
    return idempotencyKey === undefined ? `${this.prefix}${(this.counter++).toString(36)}` : keyIdentity(idempotencyKey);
  }
}

/** The stored identity of an idempotency key. */
export function keyIdentity(idempotencyKey: string): string {
  return `k:${idempotencyKey}`;
}

/** The idempotency key of a stored identity, or undefined for an identity the store made. */
export function identityKey(identity: string | null | undefined): string | undefined {
  return identity?.startsWith('k:') ? identity.slice(2) : undefined;
}
