import type { ConformanceCase } from '../conformance-case.js';
import { appendCases } from './append.js';
import { backwardReadCases } from './backward-reads.js';
import { closeCases } from './close.js';
import { conditionalAppendCases } from './conditional-append.js';
import { decideCases } from './decide.js';
import { durableStreamCases } from './durable-streams.js';
import { errorCases } from './errors.js';
import { idempotencyCases } from './idempotency.js';
import { inputRuleCases } from './input-rules.js';
import { iterateCases } from './iterate.js';
import { limitCases } from './limits.js';
import { liveStreamCases } from './live-streams.js';
import { maintenanceCases } from './maintenance.js';
import { payloadPredicateCases } from './payload-predicates.js';
import { queryCases } from './query.js';
import { randomMatchingCases } from './random-matching.js';
import { statusCases } from './status.js';
import { unsubscribeCases } from './unsubscribe.js';
import { waitForDurableCases } from './wait-for-durable.js';

/** Every case of the contract, grouped, in a stable order. */
export const conformanceCases: readonly ConformanceCase[] = Object.freeze([
  ...appendCases,
  ...queryCases,
  ...backwardReadCases,
  ...iterateCases,
  ...conditionalAppendCases,
  ...idempotencyCases,
  ...decideCases,
  ...payloadPredicateCases,
  ...randomMatchingCases,
  ...liveStreamCases,
  ...unsubscribeCases,
  ...durableStreamCases,
  ...waitForDurableCases,
  ...statusCases,
  ...errorCases,
  ...inputRuleCases,
  ...limitCases,
  ...closeCases,
  ...maintenanceCases,
]);
