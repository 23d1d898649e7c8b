import type { JsonValue } from 'factstore';
import { validateQuery } from 'factstore/backend';
import { EventLog } from '../src/event-log.js';

// that queries agree with the contract's matcher on random logs is proven for every store by the
// conformance suite (random-matching); here, what the memory log's index holds
describe('the memory log index', () => {
  it('gives a value index to every payload key asked about, the 40th as the 1st: its candidates are the events with that value, not a whole type list', () => {
    const log = new EventLog();
    const events = Array.from({ length: 400 }, (_, i) => ({
      eventType: 'keyed',
      payload: { [`k${(i % 40) + 1}`]: `v${i % 7}` } as JsonValue,
    }));
    log.append(events);
    const candidates = (k: number) => {
      const query = validateQuery({ filters: [{ eventTypes: ['keyed'], payloadPredicates: [{ [`k${k}`]: 'v3' }] }] });
      log.indexKeys(query);
      return log.index.candidates(query);
    };
    for (let k = 1; k <= 39; k++) candidates(k);
    const expected = events.flatMap((e, i) => ((e.payload as Record<string, string>)[`k40`] === 'v3' ? [i + 1] : []));
    expect(expected.length).toBeGreaterThan(0);
    const forty = candidates(40);
    expect(forty?.lists.flat()).toEqual(expected);
    // one key with a scalar value: the lists decide, only the event type is checked
    expect(forty?.exact).toBe(true);
  });
});
