import type { EventQuery, JsonValue, NewEvent } from 'factstore';

/**
 * Seeded random data for checking a store against the contract's matcher: payloads, predicates
 * and queries that meet at the edges of matching. The `random-matching` cases use them; a store's
 * own tests may too.
 */

/** A small deterministic generator of numbers in [0, 1) (mulberry32), so that a failing random check reproduces from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element of `list`, chosen by `rnd`. */
export function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

/** The event types of {@link randomEvent}. */
export const RANDOM_TYPES: readonly string[] = ['opened', 'credited', 'debited', 'closed'];
/** Values with dots, quotes, letters outside ASCII, and one longer than stores tend to index. */
const IDS = ['a1', 'a2', 'a3', 'a.b', 'a"q', 'ünï', `long-${'x'.repeat(200)}`];
/** Keys with dots (one of them the path of a nested field), quotes, `$` and letters outside ASCII. */
const KEYS = ['a.b', 'owner.id', 'a"q', "it's", '$', 'ünï'];
/** Numbers that are easy to get wrong: binary fractions, huge and tiny ones, -0, and look-alikes of other types. */
const NUMBERS: JsonValue[] = [1, 2, 1.5, 0.1 + 0.2, 0.3, 1e21, -0, 100, 1e-7, '1', false];

/** A random payload: objects with tricky numbers, flags, tags, nested owners and odd keys; now and then a scalar or a list. */
export function randomPayload(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return pick(rnd, ['x', 1, null, true]);
  if (r < 0.1) return [pick(rnd, IDS), pick(rnd, NUMBERS)];
  const out: Record<string, JsonValue> = { accountId: rnd() < 0.05 ? [pick(rnd, IDS)] : pick(rnd, IDS) };
  if (rnd() < 0.5) out.amount = pick(rnd, NUMBERS);
  if (rnd() < 0.3) out.flag = pick(rnd, [true, false, null, 0, 1, 'true']);
  if (rnd() < 0.2) out.tags = [pick(rnd, ['vip', 'beta'])];
  if (rnd() < 0.1) out.owner = { id: pick(rnd, IDS) };
  if (rnd() < 0.1) out[pick(rnd, KEYS)] = pick(rnd, IDS);
  return out;
}

/** A random event: one of {@link RANDOM_TYPES} with a {@link randomPayload}. */
export function randomEvent(rnd: () => number): NewEvent {
  return { eventType: pick(rnd, RANDOM_TYPES), payload: randomPayload(rnd) };
}

/** A random payload predicate over the payloads of {@link randomPayload}, nested and scalar ones among them. */
export function randomPredicate(rnd: () => number): JsonValue {
  const r = rnd();
  if (r < 0.05) return {};
  if (r < 0.1) return pick(rnd, ['x', 1, null]);
  if (r < 0.15) return [pick(rnd, IDS)];
  if (r < 0.2) return { tags: ['vip'] };
  if (r < 0.25) return { owner: { id: pick(rnd, IDS) } };
  const out: Record<string, JsonValue> = {};
  if (rnd() < 0.8) out.accountId = pick(rnd, [...IDS, 'none']);
  if (rnd() < 0.3) out.amount = pick(rnd, NUMBERS);
  if (rnd() < 0.3) out.flag = pick(rnd, [true, false, null, 0, 1, 'true']);
  if (rnd() < 0.1) out[pick(rnd, KEYS)] = pick(rnd, IDS);
  return out;
}

/** A random query: up to two filters of event types and predicates, now and then a minimum position, an upper bound, a limit or the backward direction. */
export function randomQuery(rnd: () => number, head: number): EventQuery {
  const filters = Array.from({ length: Math.floor(rnd() * 3) }, () => {
    const filter: { eventTypes?: string[]; payloadPredicates?: JsonValue[] } = {};
    if (rnd() < 0.5) filter.eventTypes = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, [...RANDOM_TYPES, 'unknown']));
    if (rnd() < 0.8) filter.payloadPredicates = Array.from({ length: Math.floor(rnd() * 3) }, () => randomPredicate(rnd));
    return filter;
  });
  const q: { -readonly [K in keyof EventQuery]: EventQuery[K] } = rnd() < 0.9 ? { filters } : {};
  if (rnd() < 0.3) q.minSequenceNumber = Math.floor(rnd() * (head + 2));
  if (rnd() < 0.3) q.limit = 1 + Math.floor(rnd() * 5);
  if (rnd() < 0.3) q.beforeSequenceNumber = Math.floor(rnd() * (head + 2));
  if (rnd() < 0.4) q.direction = 'backward';
  return q;
}
