import type { ConformanceCase } from '../conformance-case.js';
import { appendCases } from './append.js';
import { closeCases } from './close.js';
import { conditionalAppendCases } from './conditional-append.js';
import { durableStreamCases } from './durable-streams.js';
import { errorCases } from './errors.js';
import { idempotencyCases } from './idempotency.js';
import { inputRuleCases } from './input-rules.js';
import { liveStreamCases } from './live-streams.js';
import { maintenanceCases } from './maintenance.js';
import { payloadPredicateCases } from './payload-predicates.js';
import { queryCases } from './query.js';
import { unsubscribeCases } from './unsubscribe.js';

/** Every case of the contract, grouped, in a stable order. */
export const conformanceCases: readonly ConformanceCase[] = Object.freeze([
  ...appendCases,
  ...queryCases,
  ...conditionalAppendCases,
  ...idempotencyCases,
  ...payloadPredicateCases,
  ...liveStreamCases,
  ...unsubscribeCases,
  ...durableStreamCases,
  ...errorCases,
  ...inputRuleCases,
  ...closeCases,
  ...maintenanceCases,
]);
