/**
 * The sorted set value and its two orderings, checked against a plain sorted
 * array: random insert and remove sequences (fast-check), rank lookups, range
 * bounds and the listpack-to-skiplist conversion.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { OrderTree } from '../src/store/order-tree';
import { PackedEntries, compareEntries, type RankedEntries } from '../src/store/ranked-entries';
import { SortedSet, type ListpackLimits } from '../src/store/zset';

const LIMITS: ListpackLimits = { maxEntries: 128, maxValue: 64 };

type Entry = [score: number, member: string];

/** Sorts entries as a sorted set orders them; the model the structures are checked against. */
function sortEntries(entries: Entry[]): Entry[] {
  return [...entries].sort((a, b) => compareEntries(a[0], a[1], b[0], b[1]));
}

function contents(entries: RankedEntries): Entry[] {
  const result: Entry[] = [];
  entries.walk(0, false, (member, score) => {
    result.push([score, member]);
    return true;
  });
  return result;
}

/**
 * Operations: insert (score, member), remove the entry at a rank, or remove
 * the entry at a rank by its key (both ranks modulo the size). Inserts are
 * weighted up so that sets grow deep enough to split and merge nodes.
 */
const operation = fc.oneof(
  {
    arbitrary: fc.tuple(
      fc.constant('insert' as const),
      fc.integer({ min: -20, max: 20 }),
      fc.string(),
    ),
    weight: 4,
  },
  { arbitrary: fc.tuple(fc.constant('remove' as const), fc.nat(), fc.constant('')), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('removeKey' as const), fc.nat(), fc.constant('')), weight: 1 },
);

function applyOperations(
  entries: RankedEntries,
  operations: typeof operation extends fc.Arbitrary<infer T> ? T[] : never,
): Entry[] {
  let model: Entry[] = [];
  for (const [kind, value, member] of operations) {
    if (kind === 'insert') {
      if (model.some((entry) => entry[1] === member)) continue;
      entries.insert(value, member);
      model = sortEntries([...model, [value, member]]);
    } else if (model.length > 0) {
      const rank = value % model.length;
      if (kind === 'remove') entries.removeAt(rank);
      else removeByKey(entries, model[rank]);
      model.splice(rank, 1);
    }
  }
  return model;
}

/** Removes a present entry by its key, after checking that a wrong score removes nothing. */
function removeByKey(entries: RankedEntries, [score, member]: Entry): void {
  assert.equal(entries.remove(score + 0.5, member), false);
  assert.equal(entries.remove(score, member), true);
}

function checkAgainstModel(entries: RankedEntries, model: Entry[]): void {
  assert.equal(entries.length, model.length);
  assert.deepEqual(contents(entries), model);
  model.forEach(([score, member], rank) => {
    assert.equal(entries.rankOf(score, member), rank);
    assert.equal(entries.rankOf(score - 0.5, member), -1);
    assert.equal(entries.memberAt(rank), member);
    assert.equal(entries.scoreAt(rank), score);
  });
}

for (const [name, create] of [
  ['OrderTree', () => new OrderTree()],
  ['OrderTree of 4-item nodes', () => new OrderTree(4)],
  ['OrderTree of 8-item nodes', () => new OrderTree(8)],
  ['PackedEntries', () => new PackedEntries()],
] as const) {
  describe(name, () => {
    test('matches a sorted array under random operations', () => {
      fc.assert(
        fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
          const entries = create();
          const model = applyOperations(entries, operations);
          checkAgainstModel(entries, model);
        }),
        { numRuns: 200 },
      );
    });

    test('finds score bounds like a linear scan', () => {
      fc.assert(
        fc.property(
          fc.array(operation, { maxLength: 300 }),
          fc.integer({ min: -21, max: 21 }),
          (operations, bound) => {
            const entries = create();
            const model = applyOperations(entries, operations);
            const first = model.findIndex(([score]) => score >= bound);
            const last = model.map(([score]) => score <= bound).lastIndexOf(true);
            const expectedFirst = first < 0 ? model.length : first;
            assert.equal(
              entries.findFirst((score) => score >= bound),
              expectedFirst,
            );
            assert.equal(
              entries.findLast((score) => score <= bound),
              last,
            );
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}

describe('OrderTree at scale', () => {
  test('keeps ranks through mass inserts and removals', () => {
    const tree = new OrderTree();
    const count = 20_000;
    for (let i = 0; i < count; i++) tree.insert((i * 7919) % count, `m${i}`);
    assert.equal(tree.length, count);
    for (let rank = 0; rank < count; rank += 997) assert.equal(tree.scoreAt(rank), rank);
    for (let i = 0; i < count / 2; i++) tree.removeAt((i * 31) % tree.length);
    let previous = -Infinity;
    let seen = 0;
    tree.walk(0, false, (_, score) => {
      assert.ok(score >= previous);
      previous = score;
      seen++;
      return true;
    });
    assert.equal(seen, count / 2);
    const reversed: number[] = [];
    tree.walk(tree.length - 1, true, (_, score) => reversed.push(score) > 0);
    assert.equal(reversed.length, count / 2);
    assert.equal(reversed[0], previous);
  });

  test('removes by key among tied scores', () => {
    const tree = new OrderTree(8);
    const count = 5000;
    for (let i = 0; i < count; i++) tree.insert(i % 7, `m${(i * 7919) % count}`);
    const order: [number, string][] = [];
    tree.walk(0, false, (member, score) => order.push([score, member]) > 0);
    // 2741 is coprime with the count, so the steps visit every rank once, out of order.
    for (let step = 0; step < count; step++) {
      const rank = (step * 2741) % count;
      const [score, member] = order[rank];
      if (rank % 3 !== 0) assert.equal(tree.remove(score, member), true);
    }
    const remaining = order.filter((_, rank) => rank % 3 === 0);
    assert.equal(tree.length, remaining.length);
    remaining.forEach(([score, member], rank) => assert.equal(tree.rankOf(score, member), rank));
    assert.equal(tree.remove(0, 'missing'), false);
  });

  test('empties completely and refills', () => {
    const tree = new OrderTree();
    for (let i = 0; i < 5000; i++) tree.insert(i, `m${i}`);
    while (tree.length > 0) tree.removeAt(tree.length >> 1);
    assert.equal(
      tree.findFirst(() => true),
      0,
    );
    for (let i = 0; i < 300; i++) tree.insert(-i, `n${i}`);
    assert.equal(tree.memberAt(0), 'n299');
    assert.equal(tree.rankOf(0, 'n0'), 299);
  });
});

describe('SortedSet', () => {
  test('converts to skiplist past the entry limit', () => {
    const zset = new SortedSet();
    const limits = { maxEntries: 4, maxValue: 64 };
    for (let i = 0; i < 4; i++) zset.set(`m${i}`, i, limits);
    assert.equal(zset.encoding(), 'listpack');
    zset.set('m0', 10, limits);
    assert.equal(zset.encoding(), 'listpack');
    zset.set('m4', 4, limits);
    assert.equal(zset.encoding(), 'skiplist');
    assert.equal(zset.rank('m0'), 4);
    zset.delete('m0');
    zset.delete('m1');
    assert.equal(zset.encoding(), 'skiplist');
  });

  test('converts to skiplist for a long member', () => {
    const zset = new SortedSet();
    zset.set('short', 1, LIMITS);
    zset.set('x'.repeat(65), 2, LIMITS);
    assert.equal(zset.encoding(), 'skiplist');
    assert.equal(zset.score('short'), 1);
  });

  test('chooses the first encoding from the first member', () => {
    assert.equal(SortedSet.forFirstMember('x'.repeat(64), LIMITS).encoding(), 'listpack');
    assert.equal(SortedSet.forFirstMember('x'.repeat(65), LIMITS).encoding(), 'skiplist');
    const disabled = { maxEntries: 0, maxValue: 64 };
    assert.equal(SortedSet.forFirstMember('a', disabled).encoding(), 'skiplist');
  });

  test('stores -0 as 0 only in the listpack encoding', () => {
    const packed = new SortedSet();
    packed.set('a', -0, LIMITS);
    assert.ok(Object.is(packed.score('a'), 0));
    const indexed = new SortedSet(true);
    indexed.set('a', -0, LIMITS);
    assert.ok(Object.is(indexed.score('a'), -0));
  });

  test('removes rank ranges in both encodings', () => {
    for (const skiplist of [false, true]) {
      const zset = new SortedSet(skiplist);
      for (let i = 0; i < 10; i++) zset.set(`m${i}`, i, LIMITS);
      assert.equal(zset.removeRanks(2, 5), 4);
      assert.deepEqual(
        zset.entriesFrom(0, 10, false).map((entry) => entry.member),
        ['m0', 'm1', 'm6', 'm7', 'm8', 'm9'],
      );
      assert.equal(zset.score('m3'), undefined);
      assert.equal(zset.rank('m6'), 2);
    }
  });

  test('removes most of a skiplist by rebuilding it', () => {
    for (const [start, end] of [
      [1, 8],
      [0, 6],
      [3, 9],
    ]) {
      const zset = new SortedSet(true);
      for (let i = 0; i < 10; i++) zset.set(`m${i}`, i, LIMITS);
      assert.equal(zset.removeRanks(start, end), end - start + 1);
      const kept = Array.from({ length: 10 }, (_, i) => i).filter((i) => i < start || i > end);
      const members = zset.entriesFrom(0, 10, false).map((entry) => entry.member);
      assert.deepEqual(
        members,
        kept.map((i) => `m${i}`),
      );
      assert.equal(zset.score(`m${start}`), undefined);
      assert.equal(zset.score(`m${kept[kept.length - 1]}`), kept[kept.length - 1]);
      assert.equal(zset.rank(`m${kept[kept.length - 1]}`), kept.length - 1);
      assert.equal(zset.encoding(), 'skiplist');
    }
  });

  test('clone is independent', () => {
    const zset = new SortedSet(true);
    zset.set('a', 1, LIMITS);
    const copy = zset.clone();
    copy.set('b', 2, LIMITS);
    assert.equal(zset.size(), 1);
    assert.equal(copy.size(), 2);
    assert.equal(copy.encoding(), 'skiplist');
  });
});
