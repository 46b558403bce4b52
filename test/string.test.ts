/**
 * String commands compared byte for byte with redis-server: GET/SET and
 * their variants, counters, ranges and LCS. Then their keyspace events,
 * change counts and journal (append-only file), large values edited in
 * place, and a few calls through ioredis and node-redis.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';
import { createClient } from 'redis';

import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import { findReplyEnd } from './support/resp';
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

/** Makes PTTL replies comparable: any remaining time within a second of `ms` becomes "~ms". */
function ttlNear(ms: number): [RegExp, string] | ((text: string) => string) {
  return (text) => {
    const match = /^:(\d+)\r\n$/.exec(text);
    if (match === null) return text;
    const left = Number(match[1]);
    return left <= ms && left > ms - 1000 ? `:~${ms}\r\n` : text;
  };
}

/**
 * Returns the first command of `candidates` that Damselfly supports, to
 * create a key of another type for WRONGTYPE checks, or null if none is.
 */
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

describe('string commands against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  /** Creates 'other' as a non-string key; null when Damselfly has no collection type yet. */
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

  test('SET with each condition and GET', async () => {
    await compare([
      ['SET', 'k', 'v1'],
      ['SET', 'k', 'v2', 'NX'],
      ['SET', 'k', 'v3', 'XX'],
      ['GET', 'k'],
      ['SET', 'missing', 'v', 'XX'],
      ['EXISTS', 'missing'],
      ['SET', 'k', 'v4', 'GET'],
      ['SET', 'new', 'v', 'GET'],
      ['SET', 'k', 'v5', 'NX', 'GET'],
      ['GET', 'k'],
      ['SET', 'fresh', 'first', 'NX', 'GET'],
      ['GET', 'fresh'],
      ['SET', 'nothing', 'v', 'XX', 'GET'],
      ['EXISTS', 'nothing'],
      ['SET', 'k', 'v6', 'xx', 'get'],
      ['SET', 'k', 'v7', 'nx', 'nx'],
      ['SET', 'k', 'v8', 'get', 'get'],
      ['SET', 'k', 'v', 'NX', 'XX'],
      ['SET', 'k', 'v', 'XX', 'NX'],
      ['SET', 'k', 'v', 'FOO'],
      ['SET', 'k', 'v', 'GETX'],
      ['SET', 'k'],
      ['SET', 'k', ''],
      ['GET', 'k'],
      ['STRLEN', 'k'],
    ]);
  });

  test('SET expiry options', async () => {
    const inOneHour = Date.now() + 3_600_000;
    await compare([
      ['SET', 'k', 'v', 'EX', '100'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'PX', '100000'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'EXAT', String(Math.floor(inOneHour / 1000))],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'PXAT', String(inOneHour)],
      ['TTL', 'k'],
      ['SET', 'k', 'v2', 'KEEPTTL'],
      ['TTL', 'k'],
      ['GET', 'k'],
      ['SET', 'k', 'v3', 'XX', 'KEEPTTL', 'GET'],
      ['TTL', 'k'],
      ['SET', 'k', 'v4'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'EX', '10', 'EX', '20'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'keepttl', 'keepttl'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'EX', '10', 'PX', '100'],
      ['SET', 'k', 'v', 'EXAT', '10', 'EX', '10'],
      ['SET', 'k', 'v', 'PX', '10', 'KEEPTTL'],
      ['SET', 'k', 'v', 'KEEPTTL', 'PX', '10'],
      ['SET', 'k', 'v', 'EX'],
      ['SET', 'k', 'v', 'EX', 'abc', 'FOO'],
      ['SET', 'k', 'v', 'EX', '10', 'EX', 'abc'],
      ['SET', 'k', 'v', 'EX', '0'],
      ['SET', 'k', 'v', 'EX', '-5'],
      ['SET', 'k', 'v', 'PX', '0'],
      ['SET', 'k', 'v', 'EX', '1.5'],
      ['SET', 'k', 'v', 'EX', '9223372036854775'],
      ['SET', 'k', 'v', 'EX', '9223372036854776'],
      ['SET', 'k', 'v', 'PX', '9223372036854775807'],
      ['SET', 'k', 'v', 'EX', '99999999999999999999'],
      ['SET', 'k', 'v', 'EXAT', '1'],
      ['EXISTS', 'k'],
      ['SET', 'k', 'v', 'PXAT', '1', 'GET'],
      ['SET', 'k', 'v', 'NX', 'EX', '100'],
      ['SET', 'k', 'v2', 'NX', 'EX', '100'],
      ['TTL', 'k'],
    ]);
  });

  test('SET KEEPTTL keeps a time to live', async () => {
    await compare([
      ['SET', 'k', 'v', 'PX', '100000'],
      ['SET', 'k', 'w', 'KEEPTTL'],
      { command: ['PTTL', 'k'], normalize: ttlNear(100_000) },
      ['GET', 'k'],
      ['SET', 'plain', 'v', 'KEEPTTL'],
      ['TTL', 'plain'],
    ]);
  });

  test('SET and GET on other types', async () => {
    await compare(
      wrongTypeSteps([
        ['GET', 'other'],
        ['SET', 'other', 'v', 'GET'],
        ['TYPE', 'other'],
        ['SET', 'other', 'v', 'NX'],
        ['SET', 'other', 'v'],
        ['TYPE', 'other'],
      ]),
    );
  });

  test('SETNX, SETEX and PSETEX', async () => {
    await compare([
      ['SETNX', 'k', 'a'],
      ['SETNX', 'k', 'b'],
      ['GET', 'k'],
      ['SETEX', 'k', '100', 'c'],
      ['TTL', 'k'],
      ['GET', 'k'],
      ['PSETEX', 'k', '100000', 'd'],
      ['TTL', 'k'],
      ['SETNX', 'k', 'e'],
      ['SETEX', 'k', '0', 'v'],
      ['SETEX', 'k', '-1', 'v'],
      ['SETEX', 'k', 'abc', 'v'],
      ['SETEX', 'k', '9223372036854775', 'v'],
      ['PSETEX', 'k', '0', 'v'],
      ['PSETEX', 'k', '-1', 'v'],
      ['PSETEX', 'k', '9223372036854775807', 'v'],
      ['PSETEX', 'k', '1.5', 'v'],
      ['SETEX', 'k', '10'],
      ['SETNX', 'k'],
      ['GET', 'k'],
      ['TTL', 'k'],
      ...wrongTypeSteps([
        ['SETNX', 'other', 'v'],
        ['SETEX', 'other', '100', 'v'],
        ['GET', 'other'],
      ]),
    ]);
  });

  test('MGET, MSET and MSETNX', async () => {
    await compare([
      ['MSET', 'a', '1', 'b', '2', 'a', '3'],
      ['MGET', 'a', 'b', 'missing', 'a'],
      ['MSET', 'a'],
      ['MSET', 'a', '1', 'b'],
      ['MSETNX', 'a', '1', 'b'],
      ['MSETNX', 'c', '1', 'a', '2'],
      ['MGET', 'a', 'c'],
      ['MSETNX', 'c', '1', 'd', '2', 'c', '3'],
      ['MGET', 'c', 'd'],
      ['SET', 'e', 'v', 'EX', '100'],
      ['MSET', 'e', 'w'],
      ['TTL', 'e'],
      ['MGET'],
      ['MSET'],
      ...wrongTypeSteps([
        ['MGET', 'a', 'other', 'b'],
        ['MSETNX', 'other', 'v', 'x', 'y'],
        ['MSET', 'other', 'v'],
        ['GET', 'other'],
      ]),
    ]);
  });

  test('GETSET and GETDEL', async () => {
    await compare([
      ['GETSET', 'k', 'a'],
      ['SET', 'k', 'b', 'EX', '100'],
      ['GETSET', 'k', 'c'],
      ['TTL', 'k'],
      ['GETDEL', 'k'],
      ['GETDEL', 'k'],
      ['EXISTS', 'k'],
      ['GETSET', 'k'],
      ...wrongTypeSteps([
        ['GETSET', 'other', 'v'],
        ['GETDEL', 'other'],
        ['TYPE', 'other'],
      ]),
    ]);
  });

  test('GETEX options and errors', async () => {
    const inOneHour = Date.now() + 3_600_000;
    await compare([
      ['SET', 'k', 'v'],
      ['GETEX', 'k'],
      ['GETEX', 'k', 'EX', '100'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'PX', '200000'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'EXAT', String(Math.floor(inOneHour / 1000))],
      ['TTL', 'k'],
      ['GETEX', 'k', 'PXAT', String(inOneHour)],
      ['TTL', 'k'],
      ['GETEX', 'k', 'PERSIST'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'persist', 'persist'],
      ['GETEX', 'k', 'ex', '10', 'ex', '20'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'PERSIST', 'EX', '10'],
      ['GETEX', 'k', 'EX', '10', 'PERSIST'],
      ['GETEX', 'k', 'EX', '10', 'PX', '10'],
      ['GETEX', 'k', 'KEEPTTL'],
      ['GETEX', 'k', 'NX'],
      ['GETEX', 'k', 'GET'],
      ['GETEX', 'k', 'EX'],
      ['GETEX', 'k', 'EX', 'abc'],
      ['GETEX', 'k', 'EX', '0'],
      ['GETEX', 'k', 'PX', '-1'],
      ['GETEX', 'k', 'EX', '9223372036854775'],
      ['GETEX', 'missing', 'EX', 'abc'],
      ['GETEX', 'missing', 'EX', '0'],
      ['GETEX', 'missing', 'FOO'],
      ['GETEX', 'missing', 'PERSIST'],
      ['GETEX', 'k', 'EXAT', '1'],
      ['EXISTS', 'k'],
      ['SET', 'k', 'v'],
      ['GETEX', 'k', 'PXAT', '1'],
      ['EXISTS', 'k'],
      ['GETEX'],
      ...wrongTypeSteps([
        ['GETEX', 'other'],
        ['GETEX', 'other', 'EX', 'abc'],
        ['GETEX', 'other', 'FOO'],
      ]),
    ]);
  });

  test('APPEND and STRLEN', async () => {
    await compare([
      ['APPEND', 'k', 'abc'],
      ['APPEND', 'k', 'def'],
      ['GET', 'k'],
      ['STRLEN', 'k'],
      ['APPEND', 'k', ''],
      ['APPEND', 'empty', ''],
      ['EXISTS', 'empty'],
      ['STRLEN', 'empty'],
      ['GET', 'empty'],
      ['STRLEN', 'missing'],
      ['APPEND', 'bin', bytes('\x00\xff\x80')],
      ['APPEND', 'bin', bytes('\r\n\x00')],
      ['GET', 'bin'],
      ['STRLEN', 'bin'],
      ['SET', 'n', '12'],
      ['APPEND', 'n', '34'],
      ['INCR', 'n'],
      ['SET', 't', 'x', 'EX', '100'],
      ['APPEND', 't', 'y'],
      ['TTL', 't'],
      ['APPEND', 'k'],
      ['STRLEN'],
      ...wrongTypeSteps([
        ['APPEND', 'other', 'x'],
        ['STRLEN', 'other'],
      ]),
    ]);
  });

  test('OBJECT ENCODING after string writes', async () => {
    await compare([
      ['SET', 'short', 'abc'],
      ['OBJECT', 'ENCODING', 'short'],
      ['APPEND', 'short', 'd'],
      ['OBJECT', 'ENCODING', 'short'],
      ['APPEND', 'created', 'abc'],
      ['OBJECT', 'ENCODING', 'created'],
      ['APPEND', 'number', '123'],
      ['OBJECT', 'ENCODING', 'number'],
      ['SETRANGE', 'range', '2', 'x'],
      ['OBJECT', 'ENCODING', 'range'],
      ['INCR', 'counter'],
      ['OBJECT', 'ENCODING', 'counter'],
      ['SET', 'grown', '5'],
      ['SETRANGE', 'grown', '0', '6'],
      ['OBJECT', 'ENCODING', 'grown'],
      ['INCR', 'grown'],
      ['OBJECT', 'ENCODING', 'grown'],
      ['MSET', 'm1', '10', 'm2', 'text'],
      ['OBJECT', 'ENCODING', 'm1'],
      ['OBJECT', 'ENCODING', 'm2'],
      ['INCRBYFLOAT', 'float', '1.5'],
      ['OBJECT', 'ENCODING', 'float'],
    ]);
  });

  test('INCR, DECR, INCRBY and DECRBY', async () => {
    await compare([
      ['INCR', 'n'],
      ['INCR', 'n'],
      ['DECR', 'n'],
      ['DECR', 'm'],
      ['INCRBY', 'n', '100'],
      ['DECRBY', 'n', '50'],
      ['INCRBY', 'n', '-1000'],
      ['DECRBY', 'n', '-7'],
      ['INCRBY', 'n', '0'],
      ['GET', 'n'],
      ['SET', 'max', '9223372036854775807'],
      ['INCR', 'max'],
      ['INCRBY', 'max', '1'],
      ['INCRBY', 'max', '-1'],
      ['INCRBY', 'max', '0'],
      ['SET', 'min', '-9223372036854775808'],
      ['DECR', 'min'],
      ['DECRBY', 'min', '1'],
      ['INCRBY', 'min', '9223372036854775807'],
      ['SET', 'x', '5'],
      ['DECRBY', 'x', '-9223372036854775808'],
      ['INCRBY', 'x', '-9223372036854775808'],
      ['INCRBY', 'x', '9223372036854775807'],
      ['SET', 'big', '9007199254740993'],
      ['INCR', 'big'],
      ['INCRBY', 'big', '9007199254740993'],
      ['SET', 'y', '0'],
      ['INCRBY', 'y', '9223372036854775808'],
      ['INCRBY', 'y', '+1'],
      ['INCRBY', 'y', '01'],
      ['INCRBY', 'y', '-0'],
      ['INCRBY', 'y', ' 1'],
      ['INCRBY', 'y', '1 '],
      ['INCRBY', 'y', '1.0'],
      ['INCRBY', 'y', ''],
      ['SET', 's', 'abc'],
      ['INCR', 's'],
      ['SET', 's', ''],
      ['INCR', 's'],
      ['SET', 's', ' 1'],
      ['INCR', 's'],
      ['SET', 's', '+1'],
      ['INCR', 's'],
      ['SET', 's', '007'],
      ['INCR', 's'],
      ['SET', 's', '1.5'],
      ['DECR', 's'],
      ['SET', 's', '123456789012345678901'],
      ['INCR', 's'],
      ['SET', 's', bytes('1\x00')],
      ['INCR', 's'],
      ['SET', 't', '10', 'EX', '100'],
      ['INCR', 't'],
      ['TTL', 't'],
      ['APPEND', 'a', '4'],
      ['APPEND', 'a', '2'],
      ['INCR', 'a'],
      ['INCR'],
      ['INCRBY', 'n'],
      ...wrongTypeSteps([
        ['INCR', 'other'],
        ['INCRBY', 'other', 'abc'],
        ['DECRBY', 'other', '-9223372036854775808'],
      ]),
    ]);
  });

  test('INCRBYFLOAT results and formatting', async () => {
    const sums: [string, string][] = [
      ['10.5', '0.1'],
      ['3.0e3', '0'],
      ['5.0e3', '2.0e2'],
      ['0', '1e300'],
      ['0', '1e400'],
      ['0', '1e-20'],
      ['0', '-1e-20'],
      ['1', '-1'],
      ['-1', '0.5'],
      ['0', '0x1p3'],
      ['0', '0X1.8P1'],
      ['0', '0x.8'],
      ['0', '0x10'],
      ['10', '1.23456789012345678901234'],
      ['0', '3.14159265358979323846'],
      ['0', '0.000003814697265625'],
      ['0', '0.000011444091796875'],
      ['0', '1.5e-17'],
      ['0', '2.5e-17'],
      ['0', '+1.5'],
      ['0', '.5'],
      ['0', '5.'],
      ['0', '1E+05'],
      ['1.1', '2.2'],
      ['0.1', '0.2'],
      ['9223372036854775807', '1'],
      ['1e4000', '1e4000'],
      ['1.18973149535723176502e+4932', '0'],
      ['-1.18973149535723176502e+4932', '0'],
      ['1e-4950', '0'],
      ['123456789012345678901234567890', '0.5'],
      ['1', '1e-16'],
      ['100', '-100.00000000000000001'],
      ['17179869184', '0.1'],
    ];
    const steps: Step[] = [];
    sums.forEach(([start, increment], index) => {
      steps.push(['SET', `f${index}`, start]);
      steps.push(['INCRBYFLOAT', `f${index}`, increment]);
      steps.push(['GET', `f${index}`]);
    });
    await compare(steps);
  });

  test('INCRBYFLOAT seeded random sums', async () => {
    let seed = 99;
    const random = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    const digits = (count: number) => Array.from({ length: count }, () => random(10)).join('');
    const decimal = () => {
      const sign = ['', '-', '+'][random(3)];
      const exponent = random(3) === 0 ? `e${random(80) - 40}` : '';
      return `${sign}${digits(1 + random(12))}.${digits(random(25))}${exponent}`;
    };
    const hex = () => {
      const sign = random(2) ? '-' : '';
      const fraction = random(4096).toString(16);
      return `${sign}0x${random(65536).toString(16)}.${fraction}p${random(40) - 20}`;
    };
    const steps: Step[] = [];
    for (let i = 0; i < 40; i++) {
      steps.push(['SET', 'f', decimal()]);
      for (let j = 0; j < 6; j++) {
        steps.push(['INCRBYFLOAT', 'f', random(4) === 0 ? hex() : decimal()]);
      }
    }
    await compare(steps);
  });

  test('INCRBYFLOAT errors', async () => {
    const invalid = [
      'abc',
      '',
      ' 1',
      '1 ',
      'nan',
      'NaN',
      '-nan',
      'nan(1)',
      '1e',
      '1e+',
      '.',
      '+',
      '-',
      '0x',
      '0x1p',
      '1e5000',
      '-1e5000',
      '1e-5000',
      'infinity',
      '-inf',
      'inf',
      'INF',
      '1,5',
      '1.5.5',
      'e5',
      '0x1g',
      bytes('1\x00'),
      bytes('\x00'),
      '1'.repeat(5120),
      `0.${'0'.repeat(5100)}1`,
    ];
    const steps: Step[] = [['SET', 'k', '1']];
    for (const increment of invalid) steps.push(['INCRBYFLOAT', 'k', increment]);
    steps.push(['GET', 'k']);
    for (const stored of ['abc', '', ' 1', 'inf', '1e5000', bytes('1\x00x')]) {
      steps.push(['SET', 'bad', stored], ['INCRBYFLOAT', 'bad', '1'], ['GET', 'bad']);
    }
    steps.push(
      ['SET', 'big', '1e4932'],
      ['INCRBYFLOAT', 'big', '1e4932'],
      ['SET', 'ttl', '1', 'EX', '100'],
      ['INCRBYFLOAT', 'ttl', '1'],
      ['TTL', 'ttl'],
      ['INCRBYFLOAT', 'k'],
      ...wrongTypeSteps([
        ['INCRBYFLOAT', 'other', '1'],
        ['INCRBYFLOAT', 'other', 'abc'],
      ]),
    );
    await compare(steps);
  });

  test('GETRANGE and SUBSTR bounds', async () => {
    const ranges = [
      ['0', '3'],
      ['0', '-1'],
      ['0', '-100'],
      ['-1', '-5'],
      ['3', '2'],
      ['-100', '100'],
      ['-3', '-1'],
      ['5', '5'],
      ['6', '10'],
      ['100', '200'],
      ['-100', '-50'],
      ['0', '0'],
      ['-9223372036854775808', '9223372036854775807'],
      ['9223372036854775807', '0'],
      ['-9223372036854775808', '-9223372036854775808'],
      ['2', '-3'],
    ];
    const steps: Step[] = [
      ['SET', 's', 'foobar'],
      ['SET', 'empty', ''],
      ['SET', 'n', '12345'],
    ];
    for (const [start, end] of ranges) {
      steps.push(['GETRANGE', 's', start, end]);
      steps.push(['SUBSTR', 's', start, end]);
      steps.push(['GETRANGE', 'empty', start, end]);
      steps.push(['GETRANGE', 'n', start, end]);
    }
    steps.push(
      ['GETRANGE', 'missing', '0', '1'],
      ['GETRANGE', 'missing', 'a', '1'],
      ['GETRANGE', 's', 'a', '1'],
      ['GETRANGE', 's', '0', '1.5'],
      ['GETRANGE', 's', '0', '9223372036854775808'],
      ['GETRANGE', 's', '0'],
      ['SUBSTR', 's', '0'],
      ...wrongTypeSteps([
        ['GETRANGE', 'other', '0', '1'],
        ['GETRANGE', 'other', 'a', '1'],
      ]),
    );
    await compare(steps);
  });

  test('SETRANGE bounds and padding', async () => {
    await compare([
      ['SET', 's', 'Hello World'],
      ['SETRANGE', 's', '6', 'Redis'],
      ['GET', 's'],
      ['SETRANGE', 's', '15', 'X'],
      ['GET', 's'],
      ['SETRANGE', 's', '0', ''],
      ['SETRANGE', 's', '100', ''],
      ['STRLEN', 's'],
      ['SETRANGE', 'new', '3', 'abc'],
      ['GET', 'new'],
      ['SETRANGE', 'none', '5', ''],
      ['EXISTS', 'none'],
      ['SETRANGE', 'none', '536870912', ''],
      ['SETRANGE', 's', '-1', 'x'],
      ['SETRANGE', 's', 'abc', 'x'],
      ['SETRANGE', 's', '1.5', 'x'],
      ['SETRANGE', 's', '9223372036854775808', 'x'],
      ['SETRANGE', 's', '536870912', 'x'],
      ['SETRANGE', 's', '536870911', 'xy'],
      ['SETRANGE', 's', '9223372036854775807', 'x'],
      ['SETRANGE', 'none', '536870912', 'x'],
      ['EXISTS', 'none'],
      ['SET', 'n', '12345'],
      ['SETRANGE', 'n', '1', '9'],
      ['GET', 'n'],
      ['INCR', 'n'],
      ['SET', 't', 'abc', 'EX', '100'],
      ['SETRANGE', 't', '1', 'X'],
      ['TTL', 't'],
      ['SETRANGE', 'b', '1', bytes('\x00\xff')],
      ['GET', 'b'],
      ['SETRANGE', 's', '0'],
      ...wrongTypeSteps([
        ['SETRANGE', 'other', '-1', 'x'],
        ['SETRANGE', 'other', '0', 'x'],
        ['SETRANGE', 'other', '0', ''],
      ]),
    ]);
  });

  test('LCS with every option', async () => {
    const steps: Step[] = [
      ['MSET', 'a', 'ohmytext', 'b', 'mynewtext', 'c', 'abcabcab', 'd', 'xaxbxcx'],
      ['SET', 'e', ''],
    ];
    const pairs = [
      ['a', 'b'],
      ['b', 'a'],
      ['c', 'd'],
      ['a', 'e'],
      ['a', 'missing'],
      ['c', 'c'],
    ];
    const optionSets = [
      [],
      ['LEN'],
      ['IDX'],
      ['IDX', 'WITHMATCHLEN'],
      ['IDX', 'MINMATCHLEN', '4'],
      ['IDX', 'MINMATCHLEN', '2', 'WITHMATCHLEN'],
      ['idx', 'minmatchlen', '-5'],
      ['LEN', 'MINMATCHLEN', '2'],
      ['WITHMATCHLEN'],
      ['IDX', 'IDX', 'LEN', 'LEN'.toLowerCase()],
      ['LEN', 'IDX'],
      ['FOO'],
      ['MINMATCHLEN'],
      ['MINMATCHLEN', 'abc'],
      ['IDX', 'FOO', 'LEN'],
    ];
    for (const [first, second] of pairs) {
      for (const options of optionSets) steps.push(['LCS', first, second, ...options]);
    }
    steps.push(['LCS', 'a'], { command: ['HELLO', '3'], ignore: true });
    steps.push(['LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN']);
    steps.push(['LCS', 'c', 'd', 'IDX'], ['LCS', 'a', 'missing', 'IDX']);
    steps.push(
      ...wrongTypeSteps([
        ['LCS', 'a', 'other'],
        ['LCS', 'other', 'missing', 'FOO'],
        ['LCS', 'missing', 'other', 'LEN', 'IDX'],
      ]),
    );
    await compare(steps);
  });

  test('LCS of longer random strings', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const text = (length: number) => Array.from({ length }, () => 'ACGT'[random() % 4]).join('');
    await compare([
      ['SET', 'x', text(300)],
      ['SET', 'y', text(280)],
      ['LCS', 'x', 'y'],
      ['LCS', 'x', 'y', 'LEN'],
      ['LCS', 'x', 'y', 'IDX', 'MINMATCHLEN', '3', 'WITHMATCHLEN'],
    ]);
  });

  test('LCS table limited by proto-max-bulk-len', async () => {
    await compare([
      ['CONFIG', 'SET', 'proto-max-bulk-len', '1mb'],
      ['SET', 'x', 'a'.repeat(600)],
      ['SET', 'y', 'b'.repeat(600)],
      ['LCS', 'x', 'y'],
      ['SET', 'y', 'a'.repeat(400)],
      ['LCS', 'x', 'y', 'LEN'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '512mb'],
      ['LCS', 'x', 'y', 'LEN'],
    ]);
  });

  test('string replies in RESP3', async () => {
    await compare([
      { command: ['HELLO', '3'], ignore: true },
      ['GET', 'missing'],
      ['SET', 'k', 'v', 'GET'],
      ['SET', 'k', 'w', 'NX'],
      ['MGET', 'k', 'missing'],
      ['GETEX', 'missing'],
      ['GETDEL', 'missing'],
      ['INCRBYFLOAT', 'f', '1.5'],
      ['INCRBY', 'n', '9223372036854775807'],
      ['SETNX', 'k', 'v'],
      ['GETRANGE', 'missing', '0', '1'],
      ['MSETNX', 'k', 'v'],
    ]);
  });

  test('string commands inside MULTI', async () => {
    await compare([
      ['MULTI'],
      ['SET', 'k', '10'],
      ['INCRBY', 'k', '5'],
      ['APPEND', 'k', 'x'],
      ['INCR', 'k'],
      ['GETRANGE', 'k', '0', '-1'],
      ['EXEC'],
    ]);
  });

  test('large values edited in place', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const steps: Step[] = [];
    for (let i = 0; i < 40; i++) steps.push(['APPEND', 'big', chunk]);
    steps.push(
      ['STRLEN', 'big'],
      ['SETRANGE', 'big', '1000000', 'middle'],
      ['GETRANGE', 'big', '999998', '1000007'],
      ['SETRANGE', 'big', '5000000', 'tail'],
      ['STRLEN', 'big'],
      ['GETRANGE', 'big', '4999990', '-1'],
      ['GETRANGE', 'big', '2621430', '2621450'],
      ['APPEND', 'big', 'end'],
      ['GETRANGE', 'big', '-8', '-1'],
      ['SET', 'copy', 'seed'],
      ['APPEND', 'copy', chunk],
      ['GET', 'copy'],
      ['SETRANGE', 'far', '10000000', 'z'],
      ['STRLEN', 'far'],
      ['GETRANGE', 'far', '9999998', '-1'],
    );
    await compare(steps);
  });

  test('whole values after in-place edits', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 20; i++) {
      steps.push(['APPEND', 'k', `${i}:`]);
      steps.push(['SETRANGE', 'k', String(i * 2), 'ab']);
      steps.push(['GET', 'k']);
    }
    steps.push(['SET', 'k', 'reset'], ['APPEND', 'k', '!'], ['GET', 'k']);
    await compare(steps);
  });
});

/** Splits pmessage pushes into "event key" lines. */
function parseEvents(data: Buffer): string[] {
  const lines: string[] = [];
  let offset = 0;
  while (offset < data.length) {
    const end = findReplyEnd(data, offset);
    assert.ok(end > 0, 'incomplete pmessage');
    const parts = data.subarray(offset, end).toString('latin1').split('\r\n');
    // *4, $8, pmessage, $n, pattern, $n, channel, $n, message
    lines.push(`${parts[6].replace(/^__keyevent@\d+__:/, '')} ${parts[8]}`);
    offset = end;
  }
  return lines;
}

/** Runs `commands` while a subscriber listens to every keyevent channel; returns the events. */
async function collectEvents(port: number, commands: string[][]): Promise<string[]> {
  const subscriber = await RawClient.connect(port);
  const client = await RawClient.connect(port);
  try {
    await client.call(['FLUSHALL']);
    await client.call(['CONFIG', 'SET', 'notify-keyspace-events', 'KEAn']);
    await subscriber.call(['PSUBSCRIBE', '__keyevent@*__:*']);
    for (const args of commands) await client.call(args);
    return parseEvents(await subscriber.readUntilQuiet(150));
  } finally {
    await client.call(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    subscriber.destroy();
    client.destroy();
  }
}

/** Runs `commands` and returns how much each one raised rdb_changes_since_last_save. */
async function collectChanges(port: number, commands: string[][]): Promise<number[]> {
  const client = await RawClient.connect(port);
  const changes = async () => {
    const info = (await client.call(['INFO', 'persistence'])).toString('latin1');
    const match = /rdb_changes_since_last_save:(\d+)/.exec(info);
    assert.ok(match, 'INFO persistence lacks rdb_changes_since_last_save');
    return Number(match[1]);
  };
  try {
    await client.call(['FLUSHALL']);
    const deltas: number[] = [];
    for (const args of commands) {
      const before = await changes();
      await client.call(args);
      deltas.push((await changes()) - before);
    }
    return deltas;
  } finally {
    client.destroy();
  }
}

/** Writes of the string and bitmap families, each with and without an effect. */
const WRITES: string[][] = [
  ['SET', 'a', '1'],
  ['SET', 'a', '2'],
  ['SET', 'a', '3', 'NX'],
  ['SET', 'b', '1', 'EX', '100'],
  ['SET', 'b', '2', 'XX', 'KEEPTTL', 'GET'],
  ['SETNX', 'c', '1'],
  ['SETNX', 'c', '1'],
  ['SETEX', 'd', '100', 'v'],
  ['PSETEX', 'd', '100000', 'v'],
  ['GETSET', 'e', 'v'],
  ['GETDEL', 'e'],
  ['GETDEL', 'e'],
  ['GETEX', 'a'],
  ['GETEX', 'a', 'EX', '100'],
  ['GETEX', 'a', 'PERSIST'],
  ['GETEX', 'a', 'PERSIST'],
  ['GETEX', 'a', 'EXAT', '1'],
  ['MSET', 'f', '1', 'g', '2', 'f', '3'],
  ['MSETNX', 'f', '1', 'h', '2'],
  ['MSETNX', 'h', '1', 'i', '2'],
  ['APPEND', 'j', 'x'],
  ['APPEND', 'j', ''],
  ['SETRANGE', 'j', '0', ''],
  ['SETRANGE', 'j', '3', 'y'],
  ['SETRANGE', 'k', '0', ''],
  ['INCR', 'l'],
  ['DECRBY', 'l', '5'],
  ['INCRBYFLOAT', 'l', '1.5'],
  ['INCR', 'l'],
  ['SETBIT', 'm', '1', '1'],
  ['SETBIT', 'm', '1', '1'],
  ['SETBIT', 'm', '1', '0'],
  ['SETBIT', 'm', '20', '0'],
  ['BITFIELD', 'm', 'GET', 'u8', '0'],
  ['BITFIELD', 'm', 'SET', 'u8', '0', '255', 'INCRBY', 'u8', '0', '1'],
  ['BITFIELD', 'm', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '5'],
  ['BITFIELD', 'n', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '5'],
  ['BITOP', 'AND', 'o', 'm', 'missing'],
  ['BITOP', 'OR', 'o', 'missing'],
  ['BITOP', 'OR', 'o', 'missing'],
];

describe('string write effects against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('keyspace events match', async () => {
    const [ours, theirs] = await Promise.all([
      collectEvents(damselfly.port, WRITES),
      collectEvents(redis.port, WRITES),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('incrbyfloat l'));
    assert.ok(ours.includes('setbit m'));
  });

  test('change counts match', async () => {
    const [ours, theirs] = await Promise.all([
      collectChanges(damselfly.port, WRITES),
      collectChanges(redis.port, WRITES),
    ]);
    const labelled = (deltas: number[]) =>
      deltas.map((delta, i) => `${WRITES[i].join(' ')}: ${delta}`);
    assert.deepEqual(labelled(ours), labelled(theirs));
  });
});

describe('string commands through client libraries', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('ioredis counters, ranges and expiry', async () => {
    const client = new Redis({ port: damselfly.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    try {
      await client.flushall();
      assert.equal(await client.incrby('n', 5), 5);
      assert.equal(await client.incrbyfloat('f', 10.5), '10.5');
      assert.equal(await client.incrbyfloat('f', 0.1), '10.6');
      assert.equal(await client.append('s', 'hello'), 5);
      assert.equal(await client.setrange('s', 5, ' world'), 11);
      assert.equal(await client.getrange('s', -5, -1), 'world');
      assert.equal(await client.set('t', 'v', 'EX', 100, 'GET'), null);
      assert.equal(await client.ttl('t'), 100);
      assert.deepEqual(await client.mget('n', 'missing', 's'), ['5', null, 'hello world']);
      await assert.rejects(client.incr('s'), /ERR value is not an integer or out of range/);
      const binary = Buffer.from([0, 255, 128, 13, 10]);
      await client.set('bin', binary);
      await client.append('bin', Buffer.from([1]));
      assert.deepEqual(await client.getBuffer('bin'), Buffer.concat([binary, Buffer.from([1])]));
    } finally {
      client.disconnect();
    }
  });

  test('node-redis get-or-set and LCS', async () => {
    const client = createClient({ socket: { port: damselfly.port, host: '127.0.0.1' } });
    await client.connect();
    try {
      await client.flushAll();
      assert.equal(await client.set('k', 'first', { NX: true, GET: true }), null);
      assert.equal(await client.set('k', 'second', { NX: true, GET: true }), 'first');
      assert.equal(await client.get('k'), 'first');
      assert.equal(await client.getDel('k'), 'first');
      await client.mSet({ a: 'ohmytext', b: 'mynewtext' });
      assert.equal(await client.sendCommand(['LCS', 'a', 'b']), 'mytext');
      assert.equal(await client.sendCommand(['LCS', 'a', 'b', 'LEN']), 6);
      assert.equal(await client.getEx('a', { PX: 100000 }), 'ohmytext');
      assert.ok((await client.pTTL('a')) > 99_000);
      await assert.rejects(client.incrBy('a', 1), /ERR value is not an integer or out of range/);
    } finally {
      await client.quit();
    }
  });
});

/** Writes whose journal form differs from the request: expiries become absolute, and so on. */
const JOURNALED: string[][] = [
  ['SET', 'a', '1', 'EX', '100'],
  ['SETEX', 'b', '100', 'v'],
  ['PSETEX', 'c', '100000', 'v'],
  ['SET', 'd', '1', 'GET'],
  ['SET', 'd', '2', 'NX'],
  ['SET', 'd', '3', 'XX', 'KEEPTTL'],
  ['SET', 'e', '1', 'PXAT', '99999999999999'],
  ['SET', 'e', '1', 'EXAT', '99999999999'],
  ['SET', 'e', '2', 'GET', 'XX', 'get'],
  ['INCRBYFLOAT', 'f', '10.5'],
  ['INCRBYFLOAT', 'f', '0.1'],
  ['GETEX', 'a', 'PX', '5000'],
  ['GETEX', 'a', 'EXAT', '99999999999'],
  ['GETEX', 'a', 'PXAT', '99999999999999'],
  ['GETEX', 'a', 'PERSIST'],
  ['GETEX', 'a', 'PERSIST'],
  ['GETEX', 'a'],
  ['GETEX', 'c', 'PXAT', '1'],
  ['GETDEL', 'b'],
  ['GETDEL', 'b'],
  ['GETSET', 'g', 'v'],
  ['INCR', 'h'],
  ['MSET', 'i', '1', 'j', '2'],
  ['SETRANGE', 'k', '2', 'x'],
  ['SETRANGE', 'k', '2', ''],
  ['APPEND', 'k', 'y'],
  ['SETBIT', 'l', '3', '1'],
  ['SETBIT', 'l', '3', '1'],
  ['BITFIELD', 'l', 'GET', 'u8', '0'],
  ['BITFIELD', 'l', 'INCRBY', 'u8', '0', '1'],
  ['BITOP', 'NOT', 'm', 'l'],
];

/** Splits an append-only file into one "ARG ARG ..." line per command (no argument has CRLF). */
function journalCommands(text: string): string[] {
  const lines = text.split('\r\n');
  const commands: string[] = [];
  let i = 0;
  while (i < lines.length && lines[i].startsWith('*')) {
    const count = Number(lines[i].slice(1));
    const args = [];
    for (let j = 0; j < count; j++) args.push(lines[i + 2 + 2 * j]);
    commands.push(args.join(' '));
    i += 1 + 2 * count;
  }
  return commands;
}

/**
 * Runs `commands` on a server started with appendfsync always and returns
 * the commands of its increment file, with names in upper case and 13-digit
 * times (absolute expiries from each server's clock) replaced by T.
 */
async function journalOf(server: ServerProcess, commands: string[][]): Promise<string[]> {
  const client = await RawClient.connect(server.port);
  try {
    for (const args of commands) await client.call(args);
  } finally {
    client.destroy();
  }
  const file = path.join(server.dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  return journalCommands(fs.readFileSync(file, 'latin1')).map((line) => {
    const [name, ...rest] = line.replace(/\b\d{13}\b/g, 'T').split(' ');
    return [name.toUpperCase(), ...rest].join(' ');
  });
}

describe('string journal against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const args = ['--appendonly', 'yes', '--appendfsync', 'always'];

  before(async () => {
    damselfly = await startDamselfly({ args });
    const reference = await startRedisServer({ args });
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('append-only files match', async () => {
    const [ours, theirs] = await Promise.all([
      journalOf(damselfly, JOURNALED),
      journalOf(redis, JOURNALED),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('SET a 1 PXAT T'));
  });
});
