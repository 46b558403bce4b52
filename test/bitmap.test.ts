/**
 * Bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
 * BITFIELD_RO) compared byte for byte with redis-server, plus a few calls
 * through ioredis and node-redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';
import { createClient } from 'redis';

import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Converts a byte string (one character per byte) to the exact bytes to send. */
function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Returns a command that creates a non-string key 'other', or null if Damselfly has none yet. */
async function collectionCommand(port: number): Promise<string[] | null> {
  const candidates = [
    ['RPUSH', 'other', 'a'],
    ['SADD', 'other', 'a'],
    ['HSET', 'other', 'f', 'v'],
    ['ZADD', 'other', '1', 'a'],
  ];
  const client = await RawClient.connect(port);
  try {
    for (const candidate of candidates) {
      const reply = (await client.call(candidate)).toString('latin1');
      await client.call(['DEL', 'other']);
      if (!reply.startsWith('-ERR unknown command')) return candidate;
    }
    return null;
  } finally {
    client.destroy();
  }
}

describe('bitmap commands against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  let makeOther: string[] | null = null;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
    makeOther = await collectionCommand(damselfly.port);
  });

  after(stopAllServers);

  function compare(steps: Step[]) {
    return assertDifferential(damselfly, redis, steps);
  }

  /** Steps that need a non-string key named 'other'; skipped while no collection type exists. */
  function wrongTypeSteps(steps: Step[]): Step[] {
    return makeOther === null ? [] : [makeOther, ...steps];
  }

  test('SETBIT and GETBIT', async () => {
    await compare([
      ['SETBIT', 'k', '7', '1'],
      ['GET', 'k'],
      ['SETBIT', 'k', '7', '1'],
      ['SETBIT', 'k', '7', '0'],
      ['SETBIT', 'k', '0', '1'],
      ['SETBIT', 'k', '100', '1'],
      ['STRLEN', 'k'],
      ['GET', 'k'],
      ['GETBIT', 'k', '0'],
      ['GETBIT', 'k', '1'],
      ['GETBIT', 'k', '100'],
      ['GETBIT', 'k', '101'],
      ['GETBIT', 'k', '100000'],
      ['GETBIT', 'missing', '5'],
      ['GETBIT', 'k', '4294967295'],
      ['GETBIT', 'k', '4294967296'],
      ['GETBIT', 'k', '-1'],
      ['GETBIT', 'k', 'abc'],
      ['GETBIT', 'k', bytes('5\x00')],
      ['SETBIT', 'k', '4294967296', '1'],
      ['SETBIT', 'k', '9223372036854775807', '1'],
      ['SETBIT', 'k', '18446744073709551616', '1'],
      ['SETBIT', 'k', '-1', '1'],
      ['SETBIT', 'k', '1.5', '1'],
      ['SETBIT', 'k', 'abc', 'abc'],
      ['SETBIT', 'k', '0', '2'],
      ['SETBIT', 'k', '0', '-1'],
      ['SETBIT', 'k', '0', 'abc'],
      ['SETBIT', 'k', '0', ''],
      ['SETBIT', 'k', '0', '01'],
      ['SETBIT', 'new', '0', '0'],
      ['GET', 'new'],
      ['SET', 'n', '5'],
      ['GETBIT', 'n', '2'],
      ['SETBIT', 'n', '6', '1'],
      ['GET', 'n'],
      ['OBJECT', 'ENCODING', 'n'],
      ['SET', 't', 'a', 'EX', '100'],
      ['SETBIT', 't', '100', '1'],
      ['TTL', 't'],
      ['SETBIT', 'k', '0'],
      ['GETBIT', 'k'],
      ...wrongTypeSteps([
        ['SETBIT', 'other', '0', '1'],
        ['SETBIT', 'other', '0', '5'],
        ['SETBIT', 'other', '-1', '1'],
        ['GETBIT', 'other', '0'],
        ['GETBIT', 'other', '-1'],
      ]),
    ]);
  });

  test('SETBIT far offset then GETBIT', async () => {
    await compare([
      ['SETBIT', 'far', '80000000', '1'],
      ['STRLEN', 'far'],
      ['GETBIT', 'far', '80000000'],
      ['BITCOUNT', 'far'],
      ['BITPOS', 'far', '1'],
      ['SETBIT', 'far', '100', '1'],
      ['BITPOS', 'far', '1', '1'],
      ['BITCOUNT', 'far', '0', '20'],
    ]);
  });

  test('BITCOUNT byte and bit ranges', async () => {
    const ranges = [
      [],
      ['0', '0'],
      ['1', '1'],
      ['0', '-1'],
      ['0', '100'],
      ['0', '9223372036854775807'],
      ['5', '3'],
      ['-1', '-2'],
      ['-2', '-1'],
      ['-100', '-1'],
      ['-100', '100'],
      ['3', '-3'],
      ['100', '200'],
      ['-9223372036854775808', '-9223372036854775808'],
      ['0', '0', 'BIT'],
      ['1', '12', 'BIT'],
      ['-3', '-1', 'BIT'],
      ['5', '3', 'BIT'],
      ['0', '47', 'BIT'],
      ['0', '1000', 'bit'],
      ['7', '8', 'BIT'],
      ['-1', '-100', 'BIT'],
      ['3', '3', 'BIT'],
      ['1', '1', 'byte'],
      ['0', '-1', 'BYTE'],
    ];
    const steps: Step[] = [
      ['SET', 's', 'foobar'],
      ['SET', 'e', ''],
      ['SET', 'n', '255'],
      ['SET', 'ff', bytes('\xff\xff\x00\x81')],
    ];
    for (const range of ranges) {
      for (const key of ['s', 'e', 'n', 'ff']) steps.push(['BITCOUNT', key, ...range]);
    }
    steps.push(
      ['BITCOUNT', 'missing'],
      ['BITCOUNT', 'missing', '0'],
      ['BITCOUNT', 'missing', 'a', 'b'],
      ['BITCOUNT', 'missing', '0', '1', '2', '3'],
      ['BITCOUNT', 's', '0'],
      ['BITCOUNT', 's', 'a', '1'],
      ['BITCOUNT', 's', '0', 'a'],
      ['BITCOUNT', 's', '0', '1', 'bits'],
      ['BITCOUNT', 's', '0', 'a', 'bits'],
      ['BITCOUNT', 's', '0', '1', 'BIT', 'x'],
      ['BITCOUNT', 's', '-1', '-2', 'FOO'],
      ['BITCOUNT'],
      ...wrongTypeSteps([
        ['BITCOUNT', 'other'],
        ['BITCOUNT', 'other', 'a', 'b'],
      ]),
    );
    await compare(steps);
  });

  test('BITPOS byte and bit ranges', async () => {
    const ranges = [
      [],
      ['0'],
      ['1'],
      ['2'],
      ['-1'],
      ['100'],
      ['0', '-1'],
      ['1', '1'],
      ['0', '0'],
      ['-2', '-1'],
      ['5', '3'],
      ['0', '100'],
      ['-100', '-90'],
      ['0', '-1', 'BIT'],
      ['1', '6', 'BIT'],
      ['3', '3', 'BIT'],
      ['7', '9', 'bit'],
      ['-5', '-1', 'BIT'],
      ['9', '100', 'BIT'],
      ['8', '8', 'BIT'],
      ['2', '1', 'BIT'],
      ['0', '7', 'BIT'],
      ['12', '13', 'BIT'],
      ['1', '1', 'BYTE'],
      ['-1', '-1', 'byte'],
    ];
    const keys = ['s', 'e', 'ff', 'zero', 'mixed', 'n'];
    const steps: Step[] = [
      ['SET', 's', 'foobar'],
      ['SET', 'e', ''],
      ['SET', 'ff', bytes('\xff\xff\xff')],
      ['SET', 'zero', bytes('\x00\x00\x00')],
      ['SET', 'mixed', bytes('\xff\xf0\x00\x0f')],
      ['SET', 'n', '7'],
    ];
    for (const range of ranges) {
      for (const key of keys) {
        steps.push(['BITPOS', key, '0', ...range]);
        steps.push(['BITPOS', key, '1', ...range]);
      }
    }
    steps.push(
      ['BITPOS', 'missing', '0'],
      ['BITPOS', 'missing', '1'],
      ['BITPOS', 'missing', '2'],
      ['BITPOS', 'missing', '1', 'a'],
      ['BITPOS', 'missing', '0', '0', '0', '0', '0'],
      ['BITPOS', 's', '2'],
      ['BITPOS', 's', '-1'],
      ['BITPOS', 's', 'a'],
      ['BITPOS', 's', '1', 'a'],
      ['BITPOS', 's', '1', '0', 'a'],
      ['BITPOS', 's', '1', '0', 'abc', 'foo'],
      ['BITPOS', 's', '1', '0', 'abc', 'bit'],
      ['BITPOS', 's', '1', 'a', '1', 'foo'],
      ['BITPOS', 's', '1', '0', '1', '2', '3'],
      ['BITPOS', 's'],
      ...wrongTypeSteps([
        ['BITPOS', 'other', '1'],
        ['BITPOS', 'other', '2'],
      ]),
    );
    await compare(steps);
  });

  test('BITCOUNT and BITPOS across a large edited bitmap', async () => {
    const bits = [3, 9, 70, 1000, 8191, 40001, 40002, 99999, 131071, 500003];
    const steps: Step[] = bits.map((bit) => ['SETBIT', 'big', String(bit), '1']);
    steps.push(['SETBIT', 'ones', '200007', '0']);
    for (let i = 0; i < 9000; i += 1) steps.push(['SETBIT', 'ones', String(100000 + i), '1']);
    for (const [start, end] of [
      ['0', '-1'],
      ['1', '62000'],
      ['5', '12'],
      ['-30000', '-2'],
    ]) {
      steps.push(['BITCOUNT', 'big', start, end]);
      steps.push(['BITPOS', 'big', '1', start, end]);
      steps.push(['BITPOS', 'ones', '0', start, end]);
      steps.push(['BITPOS', 'ones', '1', start, end]);
    }
    steps.push(['BITCOUNT', 'big'], ['BITCOUNT', 'ones'], ['BITPOS', 'ones', '0', '12501']);
    steps.push(['BITCOUNT', 'big', '77', '400077', 'BIT'], ['BITPOS', 'big', '1', '41', 'BIT']);
    await compare(steps);
  });

  test('BITOP operations and lengths', async () => {
    const steps: Step[] = [
      ['SET', 'a', bytes('\xf0\x0f\xaa')],
      ['SET', 'b', bytes('\xff\x00')],
      ['SET', 'c', 'x'],
      ['SET', 'e', ''],
    ];
    for (const operation of ['AND', 'OR', 'XOR', 'and', 'Or', 'xor']) {
      steps.push(['BITOP', operation, 'dest', 'a', 'b', 'c'], ['GET', 'dest']);
      steps.push(['BITOP', operation, 'dest', 'a', 'missing'], ['GET', 'dest']);
      steps.push(['BITOP', operation, 'dest', 'a'], ['GET', 'dest']);
      steps.push(['BITOP', operation, 'dest', 'a', 'a'], ['GET', 'dest']);
    }
    steps.push(
      ['BITOP', 'NOT', 'dest', 'a'],
      ['GET', 'dest'],
      ['BITOP', 'not', 'dest', 'e'],
      ['EXISTS', 'dest'],
      ['SET', 'dest', 'v'],
      ['BITOP', 'AND', 'dest', 'missing', 'e'],
      ['EXISTS', 'dest'],
      ['BITOP', 'OR', 'dest', 'missing'],
      ['BITOP', 'NOT', 'dest', 'a', 'b'],
      ['BITOP', 'NOT', 'dest'],
      ['BITOP', 'NAND', 'dest', 'a'],
      ['BITOP', 'AND', 'dest'],
      ['SET', 'dest', 'v', 'EX', '100'],
      ['BITOP', 'OR', 'dest', 'a'],
      ['TTL', 'dest'],
      ['BITOP', 'XOR', 'a', 'a', 'b'],
      ['GET', 'a'],
      ['OBJECT', 'ENCODING', 'a'],
      ...wrongTypeSteps([
        ['BITOP', 'AND', 'dest', 'a', 'other'],
        ['BITOP', 'NOT', 'dest', 'other'],
        ['BITOP', 'OR', 'other', 'a'],
        ['GET', 'other'],
      ]),
    );
    await compare(steps);
  });

  test('BITFIELD GET, SET and INCRBY', async () => {
    await compare([
      ['BITFIELD', 'k', 'SET', 'i8', '0', '100', 'GET', 'i8', '0', 'GET', 'u4', '0'],
      ['BITFIELD', 'k', 'INCRBY', 'u2', '100', '1', 'GET', 'u2', '100'],
      ['STRLEN', 'k'],
      ['BITFIELD', 'k', 'SET', 'u8', '#1', '255', 'GET', 'u8', '8', 'GET', 'i8', '#1'],
      ['BITFIELD', 'k', 'SET', 'i64', '3', '-9223372036854775808', 'GET', 'i64', '3'],
      ['BITFIELD', 'k', 'SET', 'u63', '5', '9223372036854775807', 'GET', 'u63', '5'],
      ['BITFIELD', 'k', 'GET', 'i1', '0', 'GET', 'u1', '0', 'GET', 'i64', '0', 'GET', 'u63', '1'],
      ['BITFIELD', 'k', 'GET', 'u16', '1000', 'GET', 'i5', '#3'],
      ['GET', 'k'],
      ['BITFIELD', 'missing', 'GET', 'u8', '0'],
      ['EXISTS', 'missing'],
      ['BITFIELD', 'missing'],
      ['BITFIELD_RO', 'missing'],
      ['BITFIELD', 'k', 'get', 'u8', '0', 'set', 'u8', '0', '1', 'incrby', 'u8', '0', '1'],
      ['SET', 'bytes', bytes('\x80\x01\xff')],
      ['BITFIELD', 'bytes', 'GET', 'i8', '0', 'GET', 'u8', '0', 'GET', 'i16', '4'],
      ['BITFIELD', 'bytes', 'GET', 'u9', '7', 'GET', 'u1', '23', 'GET', 'u1', '24'],
      ['BITFIELD', 'bytes', 'GET', 'i64', '0', 'GET', 'u63', '20', 'GET', 'i3', '#7'],
      ['SET', 't', 'a', 'EX', '100'],
      ['BITFIELD', 't', 'SET', 'u8', '100', '1'],
      ['TTL', 't'],
      ['SET', 'n', '12'],
      ['BITFIELD', 'n', 'GET', 'u8', '0', 'INCRBY', 'u8', '8', '1'],
      ['GET', 'n'],
    ]);
  });

  test('BITFIELD overflow behaviours', async () => {
    const steps: Step[] = [];
    const cases = [
      ['u2', '100', '1'],
      ['u2', '0', '5'],
      ['u8', '250', '10'],
      ['u8', '5', '-10'],
      ['i8', '120', '10'],
      ['i8', '-120', '-10'],
      ['i64', '9223372036854775807', '1'],
      ['i64', '-9223372036854775808', '-1'],
      ['u63', '9223372036854775807', '1'],
      ['u63', '0', '-1'],
      ['i1', '0', '1'],
      ['u1', '1', '1'],
      ['i64', '1', '-9223372036854775808'],
      ['u8', '0', '9223372036854775807'],
      ['u8', '255', '-9223372036854775808'],
    ];
    for (const overflow of ['WRAP', 'SAT', 'FAIL', 'wrap', 'sat', 'fail']) {
      for (const [type, start, increment] of cases) {
        steps.push([
          'BITFIELD',
          'k',
          'OVERFLOW',
          'WRAP',
          'SET',
          type,
          '0',
          start,
          'OVERFLOW',
          overflow,
          'INCRBY',
          type,
          '0',
          increment,
          'GET',
          type,
          '0',
        ]);
      }
    }
    const sets = [
      ['u8', '-1'],
      ['u8', '256'],
      ['u8', '300'],
      ['i8', '200'],
      ['i8', '-200'],
      ['i8', '128'],
      ['u2', '-5'],
      ['i2', '2'],
      ['i64', '-1'],
      ['u63', '-1'],
      ['u4', '-9223372036854775808'],
    ];
    for (const overflow of ['WRAP', 'SAT', 'FAIL']) {
      for (const [type, value] of sets) {
        steps.push([
          'BITFIELD',
          'k',
          'OVERFLOW',
          overflow,
          'SET',
          type,
          '0',
          value,
          'GET',
          type,
          '0',
        ]);
      }
    }
    steps.push(
      [
        'BITFIELD',
        'k',
        'OVERFLOW',
        'FAIL',
        'INCRBY',
        'u2',
        '0',
        '5',
        'OVERFLOW',
        'SAT',
        'INCRBY',
        'u2',
        '0',
        '5',
      ],
      ['BITFIELD', 'fresh', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '8', '5'],
      ['GET', 'fresh'],
      ['BITFIELD', 'k', 'OVERFLOW', 'FAIL'],
      ['GET', 'k'],
    );
    await compare(steps);
  });

  test('BITFIELD argument errors', async () => {
    await compare([
      ['SET', 'k', 'abc'],
      ['BITFIELD', 'k', 'GET', 'u8'],
      ['BITFIELD', 'k', 'SET', 'u8', '0'],
      ['BITFIELD', 'k', 'INCRBY', 'u8', '0'],
      ['BITFIELD', 'k', 'FOO', 'u8', '0'],
      ['BITFIELD', 'k', 'OVERFLOW'],
      ['BITFIELD', 'k', 'OVERFLOW', 'FOO', 'GET', 'u8', '0'],
      ['BITFIELD', 'k', 'GET', 'u64', '0'],
      ['BITFIELD', 'k', 'GET', 'i65', '0'],
      ['BITFIELD', 'k', 'GET', 'i0', '0'],
      ['BITFIELD', 'k', 'GET', 'u0', '0'],
      ['BITFIELD', 'k', 'GET', 'I8', '0'],
      ['BITFIELD', 'k', 'GET', 'U8', '0'],
      ['BITFIELD', 'k', 'GET', 'x8', '0'],
      ['BITFIELD', 'k', 'GET', 'i', '0'],
      ['BITFIELD', 'k', 'GET', 'i08', '0'],
      ['BITFIELD', 'k', 'GET', 'i+8', '0'],
      ['BITFIELD', 'k', 'GET', 'i-8', '0'],
      ['BITFIELD', 'k', 'GET', bytes('i8\x00junk'), '0'],
      ['BITFIELD', 'k', 'GET', '', '0'],
      ['BITFIELD', 'k', 'GET', 'u8', '-1'],
      ['BITFIELD', 'k', 'GET', 'u8', 'abc'],
      ['BITFIELD', 'k', 'GET', 'u8', '#'],
      ['BITFIELD', 'k', 'GET', 'u8', '#-1'],
      ['BITFIELD', 'k', 'GET', 'u8', '##1'],
      ['BITFIELD', 'k', 'GET', 'u8', '4294967295'],
      ['BITFIELD', 'k', 'GET', 'u8', '4294967296'],
      ['BITFIELD', 'k', 'GET', 'u8', '#536870911'],
      ['BITFIELD', 'k', 'GET', 'u8', '#536870912'],
      ['BITFIELD', 'k', 'GET', 'u8', '#2305843009213693952'],
      ['BITFIELD', 'k', 'GET', 'u8', '#1152921504606846976'],
      ['BITFIELD', 'k', 'GET', 'i64', '#144115188075855872'],
      ['BITFIELD', 'k', 'SET', 'u8', '0', 'abc'],
      ['BITFIELD', 'k', 'SET', 'u8', '0', '1.5'],
      ['BITFIELD', 'k', 'SET', 'u8', '0', '9223372036854775808'],
      ['BITFIELD', 'k', 'INCRBY', 'u8', '0', ''],
      ['BITFIELD', 'k', 'SET', 'u8', '0', '1', 'GET', 'u64', '0'],
      ['GET', 'k'],
      ['BITFIELD', 'k', 'GET', 'u8', '0', 'FOO'],
      ['BITFIELD'],
      ...wrongTypeSteps([
        ['BITFIELD', 'other', 'GET', 'u8', '0'],
        ['BITFIELD', 'other', 'SET', 'u8', '0', '1'],
        ['BITFIELD', 'other', 'GET', 'u8', '-1'],
        ['BITFIELD_RO', 'other', 'GET', 'u8', '0'],
        ['BITFIELD_RO', 'other', 'SET', 'u8', '0', '1'],
      ]),
    ]);
  });

  test('BITFIELD_RO accepts only GET', async () => {
    await compare([
      ['SET', 'k', 'hello'],
      ['BITFIELD_RO', 'k', 'GET', 'u8', '0', 'GET', 'i4', '#3'],
      ['BITFIELD_RO', 'k', 'SET', 'u8', '0', '1'],
      ['BITFIELD_RO', 'k', 'INCRBY', 'u8', '0', '1'],
      ['BITFIELD_RO', 'k', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'],
      ['BITFIELD_RO', 'k', 'GET', 'u8', '0', 'SET', 'u8', 'abc', '1'],
      ['BITFIELD_RO', 'k', 'GET', 'u64', '0', 'SET', 'u8', '0', '1'],
      ['BITFIELD_RO', 'missing', 'SET', 'u8', '0', '1'],
      ['EXISTS', 'missing'],
      ['GET', 'k'],
    ]);
  });

  test('seeded random ranges and fields', async () => {
    let seed = 12345;
    const random = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const number = () => String(random(60) - 30);
    const steps: Step[] = [];
    for (let i = 0; i < 6; i++) {
      const value = Buffer.from(Array.from({ length: random(7) }, () => random(256)));
      steps.push(['SET', `r${i}`, value]);
      for (let j = 0; j < 25; j++) {
        const unit = ['BIT', 'BYTE', 'bit'][random(3)];
        steps.push(['BITCOUNT', `r${i}`, number(), number(), unit]);
        steps.push(['BITPOS', `r${i}`, String(random(2)), number(), number(), unit]);
        steps.push(['BITPOS', `r${i}`, String(random(2)), number()]);
        steps.push(['GETRANGE', `r${i}`, number(), number()]);
      }
      for (let j = 0; j < 15; j++) {
        const type = `${['i', 'u'][random(2)]}${1 + random(63)}`;
        const offset = random(2) === 0 ? String(random(70)) : `#${random(5)}`;
        const overflow = ['WRAP', 'SAT', 'FAIL'][random(3)];
        const amount = String(random(2 ** 20) - 2 ** 19);
        steps.push([
          'BITFIELD',
          `r${i}`,
          'OVERFLOW',
          overflow,
          'INCRBY',
          type,
          offset,
          amount,
          'GET',
          type,
          offset,
          'SET',
          type,
          offset,
          amount,
        ]);
      }
      steps.push(['GET', `r${i}`]);
    }
    await compare(steps);
  });

  test('bitmap replies in RESP3', async () => {
    await compare([
      { command: ['HELLO', '3'], ignore: true },
      ['SETBIT', 'k', '5', '1'],
      ['BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9', 'GET', 'i8', '0'],
      ['BITFIELD_RO', 'k', 'GET', 'u8', '0'],
      ['BITFIELD', 'k'],
      ['BITCOUNT', 'k'],
      ['BITPOS', 'k', '1'],
      ['BITOP', 'NOT', 'd', 'k'],
    ]);
  });

  test('bitmap commands inside MULTI', async () => {
    await compare([
      ['MULTI'],
      ['SETBIT', 'k', '3', '1'],
      ['BITFIELD', 'k', 'INCRBY', 'u4', '0', '3'],
      ['BITCOUNT', 'k'],
      ['BITPOS', 'k', '1'],
      ['EXEC'],
    ]);
  });
});

describe('bitmap commands through client libraries', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('ioredis bit operations', async () => {
    const client = new Redis({ port: damselfly.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    try {
      await client.flushall();
      assert.equal(await client.setbit('b', 7, 1), 0);
      assert.equal(await client.getbit('b', 7), 1);
      assert.equal(await client.bitcount('b'), 1);
      assert.equal(await client.bitpos('b', 1), 7);
      await client.set('x', 'foobar');
      assert.equal(await client.bitcount('x', 1, 1), 6);
      assert.equal(await client.bitop('NOT', 'y', 'b'), 1);
      assert.deepEqual(await client.getBuffer('y'), Buffer.from([0xfe]));
      const fields = await client.call(
        'BITFIELD',
        'z',
        'INCRBY',
        'i5',
        '100',
        '1',
        'GET',
        'u4',
        '0',
      );
      assert.deepEqual(fields, [1, 0]);
      await assert.rejects(client.setbit('b', 4294967296, 1), /ERR bit offset is not an integer/);
    } finally {
      client.disconnect();
    }
  });

  test('node-redis bitfield and bitcount', async () => {
    const client = createClient({ socket: { port: damselfly.port, host: '127.0.0.1' } });
    await client.connect();
    try {
      await client.flushAll();
      const replies = await client.bitField('k', [
        { operation: 'SET', encoding: 'u8', offset: 0, value: 200 },
        { operation: 'INCRBY', encoding: 'u8', offset: 0, increment: 100 },
        { operation: 'OVERFLOW', behavior: 'FAIL' },
        { operation: 'INCRBY', encoding: 'u8', offset: 0, increment: 250 },
      ]);
      assert.deepEqual(replies, [0, 44, null]);
      assert.deepEqual(await client.bitFieldRo('k', [{ encoding: 'i8', offset: 0 }]), [44]);
      assert.equal(await client.bitCount('k'), 3);
      assert.equal(await client.bitCount('k', { start: 0, end: 3, mode: 'BIT' }), 1);
    } finally {
      await client.quit();
    }
  });
});
