/**
 * factstore/backend: the building blocks of a factstore store, so that no store writes them
 * again. A store extends {@link EventStoreBase} with a {@link StoreBackend} that adds storage and
 * nothing else; validation, matching, the delivery loop, group commit, durable leases, candidate
 * reads and the batch checks are here.
 *
 * Applications import from `factstore`; this entry point is for store authors.
 * @packageDocumentation
 */
export type { AppendCondition, CommittedBatch, StoreBackend } from './store/backend.js';
export { EventStoreBase } from './store/event-store-base.js';
export {
  CHUNK_EVENTS,
  MAX_PROBLEMS,
  storeMaintenance,
  StoreMaintenance,
  type CursorState,
  type MaintenanceBackend,
  type StorageFacts,
  type StoreInspection,
  type StoredBatch,
  type StoredBatchRow,
  type StoredCursor,
  type VerifyReport,
} from './store/maintenance.js';
export { TelemetryOnlyOptions } from './observability/options.js';
export { assembleBatches, freezeJson } from './store/batches.js';
export { readCommittedBatches, readWholeBatches, type BatchRange, type BatchSource, type IdentifiedRange } from './store/whole-batches.js';
export { rowToRecord, type EventRow } from './store/rows.js';
export { firstAfter, PostingUnion, type PostingRange } from './store/posting-lists.js';
export {
  indexValue,
  MAX_INDEXED_STRING,
  PostingIndex,
  predicateKeys,
  type IndexedScalar,
  type PostingCandidates,
} from './store/posting-index.js';
export { answerIndexed, indexedContextVersion, type IndexedLog } from './store/indexed-query.js';
export { DurableWaits, WAIT_POLL_MS } from './store/durable-waits.js';
export { DurableLeases, HEARTBEAT_MS, LEASE_MS } from './store/durable-leases.js';
export { checkFormat, NewerFormatError, upgradeFormat } from './store/format.js';
export { DeadlineExceededError, withDeadline } from './store/deadline.js';
export { AppendIdentities, identityKey, keyIdentity, replayCommitted, sameEvents } from './store/idempotency.js';
export { ALL_ROWS, NO_ROWS, planWhere, seqBounds, type Bind, type SqlNarrowing } from './store/sql-plan.js';
export {
  decideGroup,
  GroupCommit,
  type GroupAppend,
  type GroupContext,
  type GroupOutcome,
  type GroupVerdicts,
  type LockedRead,
  DecidedNothing,
  type FollowUp,
} from './store/group-commit.js';
export {
  answerFromNewest,
  answerQuickly,
  CANDIDATE_PAGE,
  emptyRange,
  readRange,
  type ReadRange,
  readContextVersion,
  readContextVersions,
  readMatching,
  readQuery,
  VERSION_PAGE,
  versionFromNewest,
  type Candidate,
  type CandidateRows,
} from './store/candidate-read.js';
export { payloadMatches } from './matching/payload-match.js';
export { compileMatcher, filterMatches, queryMatches, type EventMatcher, type Matchable } from './matching/query-match.js';
export { canonicalJson, canonicalQuery } from './matching/canonical.js';
export {
  checkOptions,
  NoOptions,
  validateAppendOptions,
  validateDurableName,
  validateEvents,
  validateExpectedVersion,
  validateAll,
  validateHandler,
  validateIterateOptions,
  validatePosition,
  validateQuery,
  validateWaitOptions,
  type ValidEvent,
  type ValidFilter,
  type ValidHandler,
  type ValidQuery,
  type ValidWaitOptions,
} from './validation/validate.js';
export { badStringReason, copyJsonValue, MAX_JSON_DEPTH } from './validation/json-input.js';
