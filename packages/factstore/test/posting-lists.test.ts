import { firstAfter, PostingUnion } from '../src/backend.js';

describe('posting lists', () => {
  it('firstAfter finds the first entry above a position', () => {
    const list = [2, 4, 4, 9];
    expect([0, 1, 2, 3, 4, 8, 9, 10].map((p) => firstAfter(list, p))).toEqual([0, 0, 1, 1, 3, 3, 4, 4]);
    expect(firstAfter([], 5)).toBe(0);
  });

  it('PostingUnion walks the union ascending, once each, after the given position', () => {
    const union = new PostingUnion([[1, 3, 7, 9], [2, 3, 8], [], [9, 12]], 2);
    const seen: number[] = [];
    for (let next = union.next(); next !== undefined; next = union.next()) seen.push(next);
    expect(seen).toEqual([3, 7, 8, 9, 12]);
    expect(union.next()).toBeUndefined();
  });

  const walk = (union: PostingUnion) => {
    const seen: number[] = [];
    for (let next = union.next(); next !== undefined; next = union.next()) seen.push(next);
    return seen;
  };

  it('PostingUnion stops before an upper bound', () => {
    expect(walk(new PostingUnion([[1, 3, 7, 9], [2, 3, 8], [], [9, 12]], { after: 2, before: 9 }))).toEqual([3, 7, 8]);
  });

  it('PostingUnion walks backward, newest first, once each, strictly between the bounds', () => {
    const lists = [[1, 3, 7, 9], [2, 3, 8], [], [9, 12]];
    expect(walk(new PostingUnion(lists, { backward: true }))).toEqual([12, 9, 8, 7, 3, 2, 1]);
    expect(walk(new PostingUnion(lists, { backward: true, before: 9 }))).toEqual([8, 7, 3, 2, 1]);
    expect(walk(new PostingUnion(lists, { backward: true, before: 9, after: 2 }))).toEqual([8, 7, 3]);
    expect(walk(new PostingUnion(lists, { backward: true, before: 100, after: 11 }))).toEqual([12]);
    expect(walk(new PostingUnion(lists, { backward: true, before: 1 }))).toEqual([]);
  });
});
