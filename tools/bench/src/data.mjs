// The data every workload uses: N events over N/10 accounts, about 200 bytes of JSON each, so that
// a one-entity context (one event type plus { accountId }) holds about 10 events.

export const CONTEXT_TYPE = 'money-deposited';
const NOTE = 'x'.repeat(120);

/** The account of event i in a log of `total` events. */
export function accountOf(i, total) {
  return `acc-${i % Math.max(1, Math.floor(total / 10))}`;
}

/** Event i of a log of `total` events. */
export function event(i, total) {
  return { eventType: CONTEXT_TYPE, payload: { accountId: accountOf(i, total), amount: (i % 97) + 1, currency: 'EUR', note: NOTE } };
}

/** Events `from`..`from + count - 1` of a log of `total` events. */
export function events(from, count, total) {
  return Array.from({ length: count }, (_, k) => event(from + k, total));
}

/** The context query of one account. */
export function contextOf(accountId) {
  return { filters: [{ eventTypes: [CONTEXT_TYPE], payloadPredicates: [{ accountId }] }] };
}

/** Appends `total` events in batches of `batch` (default 1000), reporting progress. */
export async function fill(append, total, report, batch = 1000) {
  for (let i = 0; i < total; i += batch) {
    await append(events(i, Math.min(batch, total - i), total));
    if (report && i % (batch * 200) === 0 && i > 0) report(`loaded ${i.toLocaleString('en')} of ${total.toLocaleString('en')}`);
  }
}

/**
 * Data for a log that grows through `sizes` (ascending): the events of each stage (from the
 * previous size to the next) go to their own accounts, ten events each, spread over the stage, so
 * a one-entity context holds about 10 events at every size and a sample of contexts at size N is
 * drawn from everything up to N.
 */
export function staged(sizes) {
  const bounds = [0, ...sizes];
  const stageOf = (i) => {
    let s = 1;
    while (i >= bounds[s]) s++;
    return [bounds[s - 1], bounds[s]];
  };
  const accountAt = (i) => {
    const [lo, hi] = stageOf(i);
    return `acc-${lo / 10 + ((i - lo) % ((hi - lo) / 10))}`;
  };
  return {
    accountAt,
    /** Events `from`..`from + count - 1`. */
    events: (from, count) =>
      Array.from({ length: count }, (_, k) => ({
        eventType: CONTEXT_TYPE,
        payload: { accountId: accountAt(from + k), amount: ((from + k) % 97) + 1, currency: 'EUR', note: NOTE },
      })),
    /** `count` accounts whose events lie anywhere in the first `size` events. */
    sample: (size, count) => Array.from({ length: count }, (_, k) => accountAt((k * 7919 + 13) % size)),
  };
}
