import type { JsonValue } from '../json.js';

/**
 * Whether `payload` contains `predicate` (the contract's recursive subset match):
 * - object predicate: every key present in an object payload, each value matching
 *   (`{}` matches any object, never an array);
 * - array predicate: every element matches some element of an array payload, in any order
 *   (`[]` matches any array);
 * - scalars and null: equal value and JSON type (`1` equals `1.0`).
 * A scalar predicate never matches an array, nor an array predicate a scalar.
 */
export function payloadMatches(predicate: JsonValue, payload: JsonValue): boolean {
  if (predicate === null || typeof predicate !== 'object') return predicate === payload;
  if (payload === null || typeof payload !== 'object') return false;
  if (Array.isArray(predicate)) {
    if (!Array.isArray(payload)) return false;
    for (const wanted of predicate) {
      if (!payload.some((item) => payloadMatches(wanted, item))) return false;
    }
    return true;
  }
  if (Array.isArray(payload)) return false;
  for (const key in predicate) {
    if (!Object.hasOwn(predicate, key)) continue;
    if (!Object.hasOwn(payload, key)) return false;
    if (!payloadMatches(predicate[key] as JsonValue, payload[key] as JsonValue)) return false;
  }
  return true;
}
