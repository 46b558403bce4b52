/**
 * Property tests of the snapshot walk (src/persistence/snapshot-walk.ts):
 * random changes to a database, interleaved with slices of the walk, must
 * leave the file with every key exactly as it was when the walk started and
 * nothing else. The walk runs over a real Database; each change calls
 * `preserve` first, as dispatch does, and the database reports added keys.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { DatabaseWalk, type EntryWriter } from '../src/persistence/snapshot-walk';
import { Database } from '../src/store/database';
import { ListValue } from '../src/store/list';
import type { Value } from '../src/store/types';

/** List node size as Redis's default `list-max-listpack-size` of -2 sets it. */
const FILL = -2;

function list(items: string[]): ListValue {
  return ListValue.from(items, FILL);
}

/** A far-off expiry time, so that no key expires while a test runs. */
const LATER = Date.now() + 1e9;

function describeValue(value: Value, expiresAt: number): string {
  let text: string;
  if (typeof value === 'string') text = `string ${value}`;
  else if (value instanceof Buffer) text = `buffer ${value.toString('latin1')}`;
  else text = `list ${(value as ListValue).values().join(',')}`;
  return expiresAt < 0 ? text : `${text} expires ${expiresAt}`;
}

type Change =
  | { kind: 'set' | 'create' | 'readd'; key: number; value: string }
  | { kind: 'delete' | 'push' | 'expire' | 'persist' | 'buffer'; key: number }
  | { kind: 'rename'; key: number; target: number };

/** One step of a program: a slice of the walk that stops at its n-th check, or a change. */
type Step = { kind: 'slice'; checks: number } | Change;

/**
 * The walk checks whether to stop every 16 keys, so states of 40 keys and more
 * let the changes land before, between and after its slices.
 */
const KEY_COUNT = 160;

class Harness {
  readonly db = new Database(0, { expired: () => undefined });
  /** What the walk wrote per key, in order: more than one entry is a duplicate. */
  readonly written = new Map<string, string[]>();
  readonly expected = new Map<string, string>();
  readonly walk: DatabaseWalk;
  readonly #write: EntryWriter = (_walk, key, value, expiresAt) => {
    const list = this.written.get(key) ?? [];
    list.push(describeValue(value, expiresAt));
    this.written.set(key, list);
  };

  constructor(initial: [string, Value, number][], tracked = true) {
    for (const [key, value, expiresAt] of initial) {
      this.db.set(key, value);
      if (expiresAt >= 0) this.db.setExpire(key, expiresAt);
      this.expected.set(key, describeValue(value, expiresAt));
    }
    this.walk = new DatabaseWalk(0, this.db.data, this.db.expires, tracked);
    if (tracked) this.db.keyAdded = (_db, key) => this.walk.keyAdded(key);
  }

  /** Runs the walk until its `checks`-th stop check; returns true when it is done. */
  slice(checks: number): boolean {
    let checksMade = 0;
    return this.walk.advance(this.#write, () => ++checksMade >= checks);
  }

  finish(): void {
    while (!this.slice(Infinity));
  }

  /** Calls `preserve` for each key first when `disciplined`, as dispatch does for commands. */
  change(change: Change, disciplined = true): void {
    const key = change.kind === 'create' ? `new:${change.key}` : `key:${change.key}`;
    if (disciplined) this.walk.preserve(this.#write, key);
    if (change.kind === 'rename' && disciplined) {
      this.walk.preserve(this.#write, `key:${change.target}`);
    }
    applyChange(this.db, key, change);
  }
}

function applyChange(db: Database, key: string, change: Change): void {
  const value = db.data.get(key);
  switch (change.kind) {
    case 'set':
      if (value !== undefined) db.replace(key, change.value);
      return;
    case 'create':
      db.set(key, change.value);
      return;
    case 'readd':
      db.delete(key);
      db.set(key, change.value);
      return;
    case 'delete':
      db.delete(key);
      return;
    case 'push':
      if (value instanceof ListValue) value.pushTail('pushed', FILL);
      return;
    case 'buffer':
      if (value instanceof Buffer) value[0] = 0x21;
      return;
    case 'expire':
      if (value !== undefined) db.setExpire(key, LATER + 5);
      return;
    case 'persist':
      db.persist(key);
      return;
    case 'rename':
      if (value === undefined || change.target === change.key) return;
      db.delete(key);
      db.set(`key:${change.target}`, value);
      return;
  }
}

function initialArbitrary(): fc.Arbitrary<[string, Value, number][]> {
  const value = fc.oneof(
    fc.string({ maxLength: 4 }).map((text): Value => `v${text}`),
    fc.string({ maxLength: 4 }).map((text): Value => Buffer.from(`b${text}`, 'latin1')),
    fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }).map((items): Value => list(items)),
  );
  const expiry = fc.constantFrom(-1, -1, LATER);
  return fc
    .array(fc.tuple(value, expiry), { minLength: 40, maxLength: KEY_COUNT })
    .map((entries) => entries.map(([v, e], i): [string, Value, number] => [`key:${i}`, v, e]));
}

function stepArbitrary(): fc.Arbitrary<Step> {
  const key = fc.integer({ min: 0, max: KEY_COUNT });
  const value = fc.constantFrom('changed', 'again', '');
  return fc.oneof(
    {
      arbitrary: fc.integer({ min: 1, max: 4 }).map((checks): Step => ({ kind: 'slice', checks })),
      weight: 3,
    },
    fc.record({
      kind: fc.constantFrom('set', 'create', 'readd'),
      key,
      value,
    }) as fc.Arbitrary<Step>,
    fc.record({
      kind: fc.constantFrom('delete', 'push', 'expire', 'persist', 'buffer'),
      key,
    }) as fc.Arbitrary<Step>,
    fc.record({ kind: fc.constant('rename'), key, target: key }) as fc.Arbitrary<Step>,
  );
}

function run(harness: Harness, steps: Step[], disciplined: (index: number) => boolean): void {
  steps.forEach((step, index) => {
    if (step.kind === 'slice') harness.slice(step.checks);
    else harness.change(step, disciplined(index));
  });
  harness.finish();
}

describe('snapshot walk', () => {
  test('writes the start state under random changes', () => {
    fc.assert(
      fc.property(
        initialArbitrary(),
        fc.array(stepArbitrary(), { minLength: 20, maxLength: 80 }),
        (initial, steps) => {
          const harness = new Harness(initial);
          run(harness, steps, () => true);
          for (const [key, values] of harness.written) {
            assert.equal(values.length, 1, `${key} written ${values.length} times: ${values}`);
            assert.equal(values[0], harness.expected.get(key), `${key} has a changed value`);
          }
          for (const key of harness.expected.keys()) {
            assert.ok(harness.written.has(key), `${key} is missing`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test('never writes a key twice when changes skip preserve', () => {
    // Memcached commands and blocked-client wake-ups change keys without `preserve`:
    // the file may then hold newer values, but never a key twice or a key added later.
    // They write strings, delete keys, and change objects in place; RENAME always
    // calls `preserve`, as every command does.
    fc.assert(
      fc.property(
        initialArbitrary(),
        fc.array(stepArbitrary(), { minLength: 20, maxLength: 80 }),
        fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
        (initial, steps, flags) => {
          const harness = new Harness(initial);
          run(harness, steps, (index) => flags[index] || steps[index].kind === 'rename');
          for (const [key, values] of harness.written) {
            assert.equal(values.length, 1, `${key} written ${values.length} times: ${values}`);
            assert.ok(harness.expected.has(key), `${key} was added after the start`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test('keeps strings changed before and after the walk passed', () => {
    const initial: [string, Value, number][] = [];
    for (let i = 0; i < 100; i++) initial.push([`key:${i}`, `old ${i}`, -1]);
    const harness = new Harness(initial);
    harness.slice(3); // about 48 keys written
    for (let i = 0; i < 100; i += 10) harness.change({ kind: 'readd', key: i, value: 'new' });
    harness.change({ kind: 'delete', key: 95 });
    harness.change({ kind: 'create', key: 1, value: 'created' });
    harness.finish();
    assert.equal(harness.written.size, 100);
    for (let i = 0; i < 100; i++)
      assert.deepEqual(harness.written.get(`key:${i}`), [`string old ${i}`]);
  });

  test('SAVE mode writes every key once', () => {
    const initial: [string, Value, number][] = [];
    for (let i = 0; i < 5000; i++) initial.push([`key:${i}`, i % 3 ? `v${i}` : list([`${i}`]), -1]);
    const harness = new Harness(initial, false);
    let slices = 0;
    while (!harness.slice(7)) slices++;
    assert.ok(slices > 10, `the walk stopped only ${slices} times`);
    assert.equal(harness.written.size, 5000);
    for (const [key, values] of harness.written)
      assert.deepEqual(values, [harness.expected.get(key)]);
  });

  test('matches kept strings across list blocks', () => {
    // The walk lists written string keys in blocks of 8192: keys in later blocks must match too.
    const initial: [string, Value, number][] = [];
    for (let i = 0; i < 20000; i++) initial.push([`key:${i}`, `old ${i}`, -1]);
    const harness = new Harness(initial);
    harness.slice(1000); // 16000 keys written
    for (const i of [0, 8191, 8192, 15999, 16000, 19999]) {
      harness.change({ kind: 'set', key: i, value: 'new' });
    }
    harness.change({ kind: 'delete', key: 12000 });
    harness.change({ kind: 'delete', key: 18000 });
    harness.finish();
    assert.equal(harness.written.size, 20000);
    for (const i of [0, 8191, 8192, 12000, 15999, 16000, 18000, 19999]) {
      assert.deepEqual(harness.written.get(`key:${i}`), [`string old ${i}`]);
    }
  });
});
