import { Type, type TSchema } from '@sinclair/typebox';
import { JsonValue } from './json.js';

/** The longest event type, in UTF-16 code units. */
export const MAX_EVENT_TYPE_LENGTH = 256;

/** TypeBox schema of an event type: a non-empty string of at most 256 characters. */
export const EventType = Type.String({ minLength: 1, maxLength: MAX_EVENT_TYPE_LENGTH });

/** A fact to append: its type and its JSON payload. */
export interface NewEvent {
  /** What happened, e.g. `account-opened`. Non-empty, at most 256 characters, case-sensitive. */
  eventType: string;
  /** The facts of this event as JSON; any JSON value, usually an object. */
  payload: JsonValue;
}

/** Builds the {@link NewEvent} schema around a payload schema (the validator uses `Unknown`). */
export function newEventSchema(payload: TSchema) {
  return Type.Object({ eventType: EventType, payload }, { additionalProperties: false });
}

/** TypeBox schema of {@link NewEvent}. */
export const NewEvent = newEventSchema(JsonValue);

/** A committed fact as the store returns it. Records are frozen; do not mutate them. */
export interface EventRecord {
  /** The global position: starts at 1, gapless, one consecutive range per append. */
  sequenceNumber: bigint;
  /** When the store committed the event; not the ordering key (that is `sequenceNumber`). */
  occurredAt: Date;
  /** The event type given at append. */
  eventType: string;
  /** The payload given at append (`-0` is stored as `0`). */
  payload: JsonValue;
}

/** TypeBox schema of {@link EventRecord}. */
export const EventRecord = Type.Object({
  sequenceNumber: Type.BigInt({ minimum: 1n }),
  occurredAt: Type.Date(),
  eventType: EventType,
  payload: JsonValue,
});

/** What a successful `append` or `appendIf` committed: one consecutive range. */
export interface AppendResult {
  /** The sequence number of the first appended event. */
  firstSequenceNumber: bigint;
  /** The sequence number of the last appended event. */
  lastSequenceNumber: bigint;
  /** How many events were committed (the batch length). */
  committedCount: number;
}

/** TypeBox schema of {@link AppendResult}. */
export const AppendResult = Type.Object({
  firstSequenceNumber: Type.BigInt({ minimum: 1n }),
  lastSequenceNumber: Type.BigInt({ minimum: 1n }),
  committedCount: Type.Integer({ minimum: 1 }),
});

/** The longest idempotency key, in UTF-16 code units. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** Options of `append` and `appendIf`. */
export interface AppendOptions {
  /**
   * Names the batch this call commits, for the life of the store: a retry with the same key and
   * the same events writes nothing and resolves with the first commit's result (also for
   * `appendIf`, whatever the context is now); the same key with other events fails with
   * `IDEMPOTENCY_KEY_REUSED`. 1–200 characters, no `\u0000` or lone surrogates.
   */
  idempotencyKey?: string;
}

/** TypeBox schema of {@link AppendOptions}. */
export const AppendOptions = Type.Object(
  { idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH })) },
  { additionalProperties: false },
);
