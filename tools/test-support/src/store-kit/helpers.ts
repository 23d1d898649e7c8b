import type { NewEvent } from 'factstore';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The positions of records, as numbers. */
export const positions = (records: readonly { sequenceNumber: bigint }[]) => records.map((r) => Number(r.sequenceNumber));

/** An `account-opened` event of `accountId`, with more payload fields. */
export const opened = (accountId: string, extra: object = {}): NewEvent => ({
  eventType: 'account-opened',
  payload: { accountId, ...extra },
});

/** An `account-credited` event of `accountId`, with more payload fields. */
export const credited = (accountId: string, extra: object = {}): NewEvent => ({
  eventType: 'account-credited',
  payload: { accountId, ...extra },
});

/** Waits until `done()` holds, checking every few ms; throws naming `what` after `timeoutMs`. */
export async function eventually(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(5);
  }
}
