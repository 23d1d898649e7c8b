import { canonicalJson, canonicalQuery, validateQuery } from '../src/backend.js';

const canonical = (query: object) => canonicalQuery(validateQuery(query));

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});

describe('canonicalQuery', () => {
  it('treats filters, types and predicates as sets', () => {
    const one = canonical({ filters: [{ eventTypes: ['b', 'a'] }, { payloadPredicates: [{ y: 1, x: 2 }, { z: 1 }] }] });
    const two = canonical({ filters: [{ payloadPredicates: [{ z: 1 }, { x: 2, y: 1 }, { z: 1 }] }, { eventTypes: ['a', 'b', 'a'] }] });
    expect(one).toBe(two);
  });

  it('ignores cursor and limit, and treats absent filters as []', () => {
    expect(canonical({ minSequenceNumber: 4n, limit: 2 })).toBe(canonical({ filters: [] }));
  });

  it('keeps absent and empty lists apart', () => {
    expect(canonical({ filters: [{}] })).not.toBe(canonical({ filters: [{ eventTypes: [] }] }));
    expect(canonical({ filters: [{}] })).not.toBe(canonical({}));
  });

  it('distinguishes different predicates', () => {
    expect(canonical({ filters: [{ payloadPredicates: [{ a: 1 }] }] })).not.toBe(
      canonical({ filters: [{ payloadPredicates: [{ a: '1' }] }] }),
    );
  });
});
