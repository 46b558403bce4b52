/**
 * Golden tests of the RDB format. `redis-7.0-all-types.rdb` was written by
 * redis-server 7.0.15 (listpack, intset, quicklist, LZF and integer strings,
 * an expiry, two databases); `damselfly-all-types.rdb` pins the bytes
 * Damselfly writes for the same data, so any change to the writer shows up
 * here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { dumpPayload } from '../src/commands/persistence';
import { lzfCompress, lzfDecompress } from '../src/persistence/lzf';
import { buildRdb, RdbReader, type LoadedEntry } from '../src/persistence/rdb-file';
import type { PlainValue } from '../src/persistence/rdb-values';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures');
const EXPIRY = 4102444800000;

function readAll(file: Buffer): Map<string, LoadedEntry> {
  const reader = new RdbReader(file);
  const entries = new Map<string, LoadedEntry>();
  for (let entry = reader.next(); entry !== null; entry = reader.next())
    entries.set(entry.key, entry);
  return entries;
}

function range(count: number, map: (i: number) => string): string[] {
  return Array.from({ length: count }, (_, i) => map(i + 1));
}

/** The data the Redis fixture holds, as plain values. */
function expectedData(): [string, PlainValue, number][] {
  const hashBig: [string, string][] = range(600, (i) => String(i)).map((i) => [
    `field-${i}`,
    `value-${i}`,
  ]);
  const zsetBig: [string, number][] = range(200, (i) => String(i)).map((i) => [
    `m-${i}`,
    Number(i),
  ]);
  return [
    ['str:short', { type: 'string', value: 'hello' }, -1],
    ['str:int', { type: 'string', value: '12345' }, -1],
    ['str:lzf', { type: 'string', value: 'abcdefghij'.repeat(20) }, -1],
    ['str:expiring', { type: 'string', value: 'v' }, EXPIRY],
    ['list:small', { type: 'list', elements: ['a', 'b', '3'] }, -1],
    ['list:big', { type: 'list', elements: range(300, (i) => `element-${i}`) }, -1],
    [
      'hash:small',
      {
        type: 'hash',
        entries: [
          ['f1', 'v1'],
          ['f2', '2'],
        ],
      },
      -1,
    ],
    ['hash:big', { type: 'hash', entries: hashBig }, -1],
    ['set:ints', { type: 'set', members: ['1', '2', '300000'] }, -1],
    ['set:strs', { type: 'set', members: ['x', 'y'] }, -1],
    [
      'zset:small',
      {
        type: 'zset',
        entries: [
          ['two', -2],
          ['one', 1.5],
          ['top', Infinity],
        ],
      },
      -1,
    ],
    ['zset:big', { type: 'zset', entries: zsetBig }, -1],
  ];
}

function sortedMembers(value: PlainValue): unknown {
  if (value.type === 'set') return [...value.members].sort();
  if (value.type === 'hash') return [...value.entries].sort();
  if (value.type === 'zset') {
    return [...value.entries].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  }
  return value;
}

describe('RDB written by Redis 7.0', () => {
  const entries = readAll(fs.readFileSync(path.join(FIXTURES, 'redis-7.0-all-types.rdb')));

  for (const [key, value, expiresAt] of expectedData()) {
    test(`reads ${key}`, () => {
      const entry = entries.get(key);
      assert.ok(entry, `${key} is missing`);
      assert.equal(entry.dbIndex, 0);
      assert.equal(entry.expiresAt, expiresAt);
      assert.deepEqual(sortedMembers(entry.value), sortedMembers(value));
    });
  }

  test('reads keys of other databases', () => {
    const entry = entries.get('other-db');
    assert.ok(entry);
    assert.equal(entry.dbIndex, 2);
  });

  test('a damaged file names the byte offset', () => {
    const file = fs.readFileSync(path.join(FIXTURES, 'redis-7.0-all-types.rdb'));
    assert.throws(() => readAll(file.subarray(0, file.length - 100)), /at byte offset \d+/);
  });
});

describe('RDB written by Damselfly', () => {
  const golden = path.join(FIXTURES, 'damselfly-all-types.rdb');
  const built = buildRdb(
    [
      ['redis-ver', '7.0.15'],
      ['redis-bits', '64'],
    ],
    [
      { index: 0, entries: expectedData() },
      { index: 2, entries: [['other-db', { type: 'string', value: 'yes' }, -1]] },
    ],
  );

  test('matches the golden file byte for byte', () => {
    assert.ok(built.equals(fs.readFileSync(golden)), 'the writer changed the format');
  });

  test('reads back what it wrote', () => {
    const entries = readAll(built);
    for (const [key, value] of expectedData()) {
      assert.deepEqual(
        sortedMembers((entries.get(key) as LoadedEntry).value),
        sortedMembers(value),
      );
    }
  });

  test("DUMP of a string is Redis 7.0's payload", () => {
    // redis-server 7.0.15 replies this to DUMP of a key holding "hello".
    const redis = Buffer.from('\x00\x05hello\n\x00cr\xdfve4 \n', 'latin1');
    assert.deepEqual(dumpPayload({ type: 'string', value: 'hello' }), redis);
  });
});

describe('LZF', () => {
  test('round trips compressible data', () => {
    const input = Buffer.from('abcabcabcabd'.repeat(500) + 'tail', 'latin1');
    const compressed = lzfCompress(input);
    assert.ok(compressed !== null && compressed.length < input.length / 10);
    assert.deepEqual(lzfDecompress(compressed, input.length), input);
  });

  test('earlier inputs do not leak into later ones', () => {
    const inputs = [0, 1, 2, 3].map((seed) =>
      Buffer.from(`${seed}:abcdefgh`.repeat(40 + seed), 'latin1'),
    );
    const first = inputs.map((input) => lzfCompress(input));
    for (const [i, input] of inputs.entries()) {
      const again = lzfCompress(input);
      assert.ok(again !== null);
      assert.deepEqual(again, first[i]);
      assert.deepEqual(lzfDecompress(again, input.length), input);
    }
  });

  test('rejects a back reference before the start', () => {
    assert.equal(lzfDecompress(Buffer.from([0x20, 0x10]), 4), null);
  });
});
