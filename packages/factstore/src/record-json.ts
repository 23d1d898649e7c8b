import { InvalidInputError, type InvalidInputIssue } from './errors.js';
import type { EventRecord } from './event.js';
import type { JsonValue } from './json.js';
import { MAX_POSITION } from './query.js';
import { pathAt } from './validation/issues.js';
import { validateEvents } from './validation/validate.js';

/**
 * An {@link EventRecord} as plain JSON (what `JSON.stringify` can write and `JSON.parse` gives
 * back unchanged), for files, logs and other processes:
 *
 * ```json
 * {"sequenceNumber":"7","occurredAt":"2026-01-31T12:00:00.000Z","eventType":"account-opened","payload":{"accountId":"a1"}}
 * ```
 */
export interface EventRecordJson {
  /** The position as decimal digits (a `bigint` does not fit a JSON number beyond 2^53). */
  sequenceNumber: string;
  /** The commit time as `Date.prototype.toISOString()` writes it: UTC, with milliseconds. */
  occurredAt: string;
  /** The event type, as stored. */
  eventType: string;
  /** The payload, as stored. */
  payload: JsonValue;
}

const KEYS = new Set(['sequenceNumber', 'occurredAt', 'eventType', 'payload']);
const DIGITS = /^[1-9][0-9]*$/;

/**
 * The JSON form of a record: the position as decimal text, the commit time as an ISO 8601 string
 * (UTC, milliseconds), type and payload as they are. {@link recordFromJson} turns it back into an
 * equal record.
 *
 * @example
 * ```ts
 * import { recordToJson } from 'factstore';
 *
 * const json = recordToJson({ sequenceNumber: 7n, occurredAt: new Date(0), eventType: 'a', payload: { n: 1 } });
 * console.log(JSON.stringify(json)); // {"sequenceNumber":"7","occurredAt":"1970-01-01T00:00:00.000Z","eventType":"a","payload":{"n":1}}
 * ```
 */
export function recordToJson(record: EventRecord): EventRecordJson {
  return {
    sequenceNumber: record.sequenceNumber.toString(),
    occurredAt: record.occurredAt.toISOString(),
    eventType: record.eventType,
    payload: record.payload,
  };
}

/**
 * The record of a JSON form made by {@link recordToJson} (or parsed from its text), checked
 * strictly: exactly the four keys; `sequenceNumber` decimal digits of a position from 1 to
 * 2^63 − 1 without leading zeros; `occurredAt` an ISO string exactly as `toISOString()` writes it
 * (so that the round trip is exact); `eventType` and `payload` by the rules of `append`. The
 * record is frozen, its payload a frozen copy.
 * @param json the JSON form, e.g. `JSON.parse` of one line
 * @param path where the value sits, for the error's issues (default `record`)
 * @throws {@link InvalidInputError} (code `INVALID_INPUT`) listing what is wrong
 */
export function recordFromJson(json: unknown, path = 'record'): EventRecord {
  const issues: InvalidInputIssue[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidInputError([{ path, message: 'must be an object with sequenceNumber, occurredAt, eventType and payload' }]);
  }
  const value = json as Partial<Record<keyof EventRecordJson, unknown>>;
  for (const key of Object.keys(value)) if (!KEYS.has(key)) issues.push({ path: pathAt(path, key), message: 'is not a record key' });
  const { sequenceNumber, occurredAt } = value;
  let position = 0n;
  if (typeof sequenceNumber !== 'string' || !DIGITS.test(sequenceNumber) || BigInt(sequenceNumber) > MAX_POSITION) {
    issues.push({ path: pathAt(path, 'sequenceNumber'), message: 'must be the decimal digits of a position from 1 to 2^63 - 1' });
  } else position = BigInt(sequenceNumber);
  const time = typeof occurredAt === 'string' ? new Date(occurredAt) : undefined;
  if (time === undefined || Number.isNaN(time.getTime()) || time.toISOString() !== occurredAt) {
    issues.push({
      path: pathAt(path, 'occurredAt'),
      message: 'must be an ISO 8601 time as toISOString() writes it, e.g. 2026-01-31T12:00:00.000Z',
    });
  }
  let event: { eventType: string; payload: JsonValue } | undefined;
  try {
    [event] = validateEvents([{ eventType: value.eventType, payload: value.payload }], path);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    for (const issue of error.issues) issues.push({ path: path + issue.path.slice(`${path}[0]`.length), message: issue.message });
  }
  if (issues.length > 0 || !event) throw new InvalidInputError(issues);
  return Object.freeze({ sequenceNumber: position, occurredAt: time as Date, eventType: event.eventType, payload: event.payload });
}
