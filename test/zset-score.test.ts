/**
 * Score parsing (a strtod look-alike) and score formatting (%.17g): unit
 * cases, and thousands of random doubles checked against redis-server 7.0,
 * which prints with glibc's printf.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';

import { parseLexRange, parseScore, parseScoreRange, strtod } from '../src/commands/score';
import { formatDouble } from '../src/protocol/resp/reply';
import { decodeBulkArray } from './collection-support';
import { RawClient } from './support/raw-client';
import { redisServerSkipReason, startRedisServer, stopAllServers } from './support/servers';

describe('strtod', () => {
  const cases: [string, number, number][] = [
    ['1.5', 1.5, 3],
    ['  -2e3x', -2000, 6],
    ['0x1p3', 8, 5],
    ['0x1.8P-1', 0.75, 8],
    ['0x', 0, 1],
    ['0xg', 0, 1],
    ['1e', 1, 1],
    ['1e+', 1, 1],
    ['.5', 0.5, 2],
    ['5.', 5, 2],
    ['infinity', Infinity, 8],
    ['-INFx', -Infinity, 4],
    ['infinit', Infinity, 3],
    ['', 0, 0],
    ['  ', 0, 0],
    ['+', 0, 0],
    ['abc', 0, 0],
    ['1\x002', 1, 1],
  ];
  for (const [text, value, end] of cases) {
    test(`parses ${JSON.stringify(text)}`, () => {
      const parsed = strtod(text);
      assert.equal(parsed.value, value);
      assert.equal(parsed.end, end);
    });
  }

  test('flags overflow and underflow to zero', () => {
    assert.equal(strtod('1e400').outOfRange, true);
    assert.equal(strtod('1e-400').outOfRange, true);
    assert.equal(strtod('0e-400').outOfRange, false);
    assert.equal(strtod('1e-310').outOfRange, false);
    assert.equal(strtod('0x1p1024').outOfRange, true);
    assert.equal(strtod('0x1p-1080').outOfRange, true);
  });

  test('rounds long hexadecimal mantissas to even', () => {
    assert.equal(strtod('0x1.00000000000008p0').value, 1);
    assert.equal(strtod('0x1.00000000000018p0').value, 1 + 2 ** -51);
    assert.equal(strtod('0x1p-1074').value, 2 ** -1074);
    assert.equal(strtod('0x1p-1075').value, 0);
    assert.equal(strtod('0x1.8p-1075').value, 2 ** -1074);
  });

  test('matches Number() on decimal text', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        const text = String(value);
        assert.equal(strtod(text).value, Number(text));
      }),
    );
  });
});

/** The strtod route of parseScore, which its shortcut for plain decimals must agree with. */
function parseScoreByStrtod(text: string): number | null {
  if (text.length === 0 || /^[ \t\n\v\f\r]/.test(text)) return null;
  const parsed = strtod(text);
  if (parsed.end !== text.length || parsed.outOfRange || Number.isNaN(parsed.value)) return null;
  return parsed.value;
}

function parseScoreOrNull(text: string): number | null {
  try {
    return parseScore(text);
  } catch {
    return null;
  }
}

describe('plain decimal scores', () => {
  const cases = [
    '0',
    '-0',
    '000000012345',
    '-000000012345',
    '123456789012345',
    '999999999999999',
    '1234567890123456',
    '9007199254740993',
    '99999999999999999999',
    '1'.repeat(21),
    '5.',
    '.5',
    '-.5',
    '-5.',
    '0.1',
    '0.30000000000000004',
    '1.5',
    '-',
    '.',
    '-.',
    '1..2',
    '1.2.3',
    '--1',
    '1-',
    '+1',
  ];
  for (const text of cases) {
    test(`reads ${JSON.stringify(text)} as strtod does`, () => {
      assert.ok(Object.is(parseScoreOrNull(text), parseScoreByStrtod(text)));
    });
  }

  test('matches strtod on random digit strings', () => {
    const character = fc.constantFrom(...'0123456789.-+e'.split(''));
    fc.assert(
      fc.property(fc.stringOf(character, { maxLength: 24 }), (text) => {
        assert.ok(Object.is(parseScoreOrNull(text), parseScoreByStrtod(text)), text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('score arguments', () => {
  test('parseScore rejects what Redis rejects', () => {
    for (const text of ['', ' 1', '1 ', 'nan', '1e400', '1e-400', 'x', '1\x00']) {
      assert.throws(() => parseScore(text), /ERR value is not a valid float/);
    }
    assert.equal(parseScore('-inf'), -Infinity);
    assert.equal(parseScore('0x10'), 16);
  });

  test('score ranges reject a bare "(" and the empty string', () => {
    for (const bound of ['(', '', '(\x00']) {
      assert.throws(() => parseScoreRange(bound, '2'), /ERR min or max is not a float/, bound);
      assert.throws(() => parseScoreRange('1', bound), /ERR min or max is not a float/, bound);
    }
    assert.throws(() => parseScoreRange('((1', '2'), /ERR min or max is not a float/);
    assert.deepEqual(parseScoreRange('(0', '2'), {
      min: 0,
      max: 2,
      minExclusive: true,
      maxExclusive: false,
    });
  });

  test('member ranges take -, +, [ and (', () => {
    const range = parseLexRange('[a', '+');
    assert.deepEqual(range.min, { infinity: 0, value: 'a', exclusive: false });
    assert.equal(range.max.infinity, 1);
    assert.throws(() => parseLexRange('a', '+'), /ERR min or max not valid string range item/);
    assert.throws(() => parseLexRange('-', '++'), /ERR min or max not valid string range item/);
  });
});

describe('formatDouble', () => {
  test('formats like %.17g', () => {
    assert.equal(formatDouble(0.1), '0.10000000000000001');
    assert.equal(formatDouble(1e20), '1e+20');
    assert.equal(formatDouble(1e16), '10000000000000000');
    assert.equal(formatDouble(1e17), '1e+17');
    assert.equal(formatDouble(-0), '-0');
    assert.equal(formatDouble(Infinity), 'inf');
    assert.equal(formatDouble(1125899906842624.25), '1125899906842624.2');
    assert.equal(formatDouble(1.5e-7), '1.4999999999999999e-07');
  });
});

/** Returns a power of ten between -20 and 19. */
function randomExponent(): number {
  return Math.floor(Math.random() * 40 - 20);
}

/** Random doubles from random bit patterns, so every exponent is reached. */
function randomDoubles(count: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  const values: number[] = [];
  while (values.length < count) {
    view.setUint32(0, Math.floor(Math.random() * 2 ** 32));
    view.setUint32(4, Math.floor(Math.random() * 2 ** 32));
    const value = view.getFloat64(0);
    if (Number.isFinite(value) && value !== 0) values.push(value);
  }
  return values;
}

describe('formatDouble against redis-server', { skip: redisServerSkipReason() }, () => {
  let client: RawClient;

  before(async () => {
    const redis = await startRedisServer();
    assert.ok(redis);
    client = await RawClient.connect(redis.port);
  });

  after(async () => {
    client.destroy();
    await stopAllServers();
  });

  test('random doubles print the same', async () => {
    const values = [
      ...randomDoubles(3000),
      ...Array.from({ length: 1000 }, () => Math.round(Math.random() * 2 ** 52) / 4),
      ...Array.from({ length: 500 }, () => Math.random() * 10 ** randomExponent()),
    ];
    await client.call(['CONFIG', 'SET', 'zset-max-listpack-entries', '0']);
    const members = values.map((_, i) => `m${i}`);
    await client.call([
      'ZADD',
      'doubles',
      ...values.flatMap((value, i) => [value.toExponential(20), members[i]]),
    ]);
    const printed = decodeBulkArray(await client.call(['ZMSCORE', 'doubles', ...members]));
    values.forEach((value, i) => assert.equal(formatDouble(value), printed[i], `${value}`));
  });
});
