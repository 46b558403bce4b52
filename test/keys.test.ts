/**
 * Generic key commands (DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME, RENAMENX,
 * COPY, MOVE, SWAPDB, KEYS, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, OBJECT),
 * compared byte for byte with redis-server, plus keyspace events and WATCH.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential, type Normalizer, type Step } from './support/differential';
import { RawClient, encodeCommand } from './support/raw-client';
import { findReplyEnd } from './support/resp';
import { sleep } from './support/server-process';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/**
 * Sorts the elements of a KEYS reply, or of the key list in a SCAN reply,
 * which both servers return in their own hash order.
 */
const sortKeys: Normalizer = (text) => {
  const bytes = Buffer.from(text, 'latin1');
  const scanReply = /^\*2\r\n\$\d+\r\n\d+\r\n\*/.exec(text);
  const start = scanReply === null ? 0 : scanReply[0].length - 1;
  const header = /^\*(\d+)\r\n/.exec(text.slice(start));
  if (header === null) return text;
  const items: string[] = [];
  let offset = start + header[0].length;
  for (let i = 0; i < Number(header[1]); i++) {
    const end = findReplyEnd(bytes, offset);
    if (end < 0) return text;
    items.push(text.slice(offset, end));
    offset = end;
  }
  return text.slice(0, start + header[0].length) + items.sort().join('') + text.slice(offset);
};

/** Returns whether a server implements a command (collection families may not exist yet). */
async function supports(port: number, args: string[]): Promise<boolean> {
  const client = await RawClient.connect(port);
  try {
    const reply = (await client.call(args)).toString('latin1');
    return !reply.startsWith('-ERR unknown command');
  } finally {
    client.destroy();
  }
}

/** Steps that create one value of each collection type, for the types Damselfly has. */
async function collectionSteps(port: number): Promise<Step[]> {
  const candidates: string[][] = [
    ['RPUSH', 'list', 'a', 'b'],
    ['HSET', 'hash', 'f', 'v'],
    ['SADD', 'set', '1', '2'],
    ['ZADD', 'zset', '1', 'm'],
    ['XADD', 'stream', '1-1', 'f', 'v'],
  ];
  const steps: Step[] = [];
  for (const candidate of candidates) {
    if (
      await supports(port, [
        ...candidate.slice(0, 1),
        `probe:${candidate[1]}`,
        ...candidate.slice(2),
      ])
    ) {
      steps.push(candidate);
    }
  }
  return steps;
}

describe('generic key commands against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('DEL, UNLINK, EXISTS and TOUCH', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['SET', 'c', '3'],
      ['EXISTS', 'a', 'a', 'b', 'missing'],
      ['TOUCH', 'a', 'b', 'b', 'missing'],
      ['DEL', 'a', 'a', 'missing'],
      ['EXISTS', 'a'],
      ['UNLINK', 'b', 'c', 'missing'],
      ['DEL', 'missing'],
      ['UNLINK', 'missing'],
      ['EXISTS', 'b', 'c'],
      ['DEL'],
      ['UNLINK'],
      ['EXISTS'],
      ['TOUCH'],
      ['DBSIZE'],
    ]);
  });

  test('TYPE of strings, collections and missing keys', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'str', 'v'],
      ...(await collectionSteps(damselfly.port)),
      ['TYPE', 'str'],
      ['TYPE', 'list'],
      ['TYPE', 'hash'],
      ['TYPE', 'set'],
      ['TYPE', 'zset'],
      ['TYPE', 'stream'],
      ['TYPE', 'missing'],
      ['TYPE'],
      ['TYPE', 'a', 'b'],
    ]);
  });

  test('RENAME and RENAMENX', async () => {
    await assertDifferential(damselfly, redis, [
      ['RENAME', 'missing', 'x'],
      ['RENAMENX', 'missing', 'x'],
      ['RENAME', 'missing', 'missing'],
      ['SET', 'a', '1'],
      ['RENAME', 'a', 'a'],
      ['RENAMENX', 'a', 'a'],
      ['GET', 'a'],
      ['SET', 'b', '2', 'EX', '1000'],
      ['RENAMENX', 'a', 'b'],
      ['GET', 'b'],
      ['TTL', 'b'],
      ['RENAME', 'a', 'b'],
      ['GET', 'b'],
      ['TTL', 'b'],
      ['EXISTS', 'a'],
      ['SET', 'c', '3', 'EX', '500'],
      ['RENAME', 'c', 'd'],
      ['TTL', 'd'],
      ['RENAMENX', 'd', 'e'],
      ['TTL', 'e'],
      ['GET', 'e'],
      ['EXISTS', 'c', 'd'],
      ['RENAME', 'e'],
      ['RENAMENX', 'e', 'f', 'g'],
    ]);
  });

  test('COPY within and across databases', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'src', 'value', 'EX', '700'],
      ['COPY', 'src', 'src'],
      ['COPY', 'src', 'src', 'DB', '0'],
      ['COPY', 'src', 'dst', 'DB', '16'],
      ['COPY', 'src', 'dst', 'DB', '-1'],
      ['COPY', 'src', 'dst', 'DB', 'x'],
      ['COPY', 'src', 'dst', 'DB', '99999999999'],
      ['COPY', 'src', 'dst', 'DB', '99999999999999999999'],
      ['COPY', 'src', 'dst', 'DB'],
      ['COPY', 'src', 'dst', 'foo'],
      ['COPY', 'missing', 'dst'],
      ['COPY', 'src', 'dst'],
      ['GET', 'dst'],
      ['TTL', 'dst'],
      ['COPY', 'src', 'dst'],
      ['SET', 'src', 'new'],
      ['COPY', 'src', 'dst', 'REPLACE'],
      ['GET', 'dst'],
      ['TTL', 'dst'],
      ['COPY', 'src', 'src', 'DB', '1'],
      ['COPY', 'src', 'other', 'db', '1', 'replace', 'replace'],
      ['COPY', 'src', 'other', 'DB', '1', 'DB', '2'],
      ['SELECT', '1'],
      ['GET', 'src'],
      ['GET', 'other'],
      ['SELECT', '2'],
      ['GET', 'other'],
      ['FLUSHALL'],
      ['COPY'],
      ['COPY', 'a'],
    ]);
  });

  test('COPY of collections makes independent values', async () => {
    const collections = await collectionSteps(damselfly.port);
    const steps: Step[] = [...collections];
    for (const name of ['list', 'hash', 'set', 'zset', 'stream']) {
      steps.push(['COPY', name, `${name}-copy`], ['TYPE', `${name}-copy`]);
    }
    if (collections.some((step) => (step as string[])[0] === 'RPUSH')) {
      steps.push(['RPUSH', 'list-copy', 'c'], ['LRANGE', 'list', '0', '-1']);
      steps.push(['LRANGE', 'list-copy', '0', '-1']);
    }
    if (collections.some((step) => (step as string[])[0] === 'HSET')) {
      steps.push(['HSET', 'hash-copy', 'g', 'w'], ['HLEN', 'hash'], ['HLEN', 'hash-copy']);
    }
    await assertDifferential(damselfly, redis, steps);
  });

  test('MOVE between databases', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'k', 'v', 'EX', '900'],
      ['MOVE', 'k', '0'],
      ['MOVE', 'missing', '0'],
      ['MOVE', 'k', '16'],
      ['MOVE', 'k', '-1'],
      ['MOVE', 'k', 'abc'],
      ['MOVE', 'k', '99999999999'],
      ['MOVE', 'missing', '1'],
      ['MOVE', 'k', '1'],
      ['EXISTS', 'k'],
      ['SELECT', '1'],
      ['GET', 'k'],
      ['TTL', 'k'],
      ['SELECT', '0'],
      ['SET', 'k', 'other'],
      ['MOVE', 'k', '1'],
      ['GET', 'k'],
      ['MOVE', 'k'],
      ['MOVE', 'k', '1', '2'],
    ]);
  });

  test('SWAPDB exchanges database contents', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'zero', '0'],
      ['SELECT', '1'],
      ['SET', 'one', '1', 'EX', '100'],
      ['SWAPDB', '0', '16'],
      ['SWAPDB', '-1', '0'],
      ['SWAPDB', 'a', '0'],
      ['SWAPDB', '0', 'a'],
      ['SWAPDB', 'a', 'b'],
      ['SWAPDB', '99999999999', '0'],
      ['SWAPDB', '0', '99999999999'],
      ['SWAPDB', '0', '0'],
      ['SWAPDB', '0', '1'],
      ['GET', 'zero'],
      ['GET', 'one'],
      ['SELECT', '0'],
      ['GET', 'one'],
      ['TTL', 'one'],
      ['DBSIZE'],
      ['SWAPDB', '1', '0'],
      ['GET', 'zero'],
      ['SWAPDB', '0'],
    ]);
  });

  test('KEYS with glob patterns', async () => {
    const sorted = { normalize: sortKeys };
    await assertDifferential(damselfly, redis, [
      ...['hello', 'hallo', 'hxllo', 'hllo', 'heeeello'].map((key) => ['SET', key, '1']),
      ['SET', 'a*b', '6'],
      ['SET', 'key:1', '7'],
      ['SET', 'Key:2', '8'],
      { command: ['KEYS', '*'], ...sorted },
      { command: ['KEYS', 'h?llo'], ...sorted },
      { command: ['KEYS', 'h*llo'], ...sorted },
      { command: ['KEYS', 'h[ae]llo'], ...sorted },
      { command: ['KEYS', 'h[^e]llo'], ...sorted },
      { command: ['KEYS', 'h[a-b]llo'], ...sorted },
      { command: ['KEYS', 'a\\*b'], ...sorted },
      { command: ['KEYS', 'hello'], ...sorted },
      { command: ['KEYS', 'nothing'], ...sorted },
      { command: ['KEYS', 'key:*'], ...sorted },
      { command: ['KEYS', '[kK]ey:*'], ...sorted },
      ...[']', '^', '_', '-', 'b'].map((key) => ['SET', key, '9']),
      { command: ['KEYS', '[a-]'], ...sorted },
      { command: ['KEYS', '[a-'], ...sorted },
      { command: ['KEYS', '[-a]'], ...sorted },
      { command: ['KEYS', '[^a-]'], ...sorted },
      { command: ['KEYS', '['], ...sorted },
      { command: ['KEYS', ''], ...sorted },
      ['KEYS'],
      ['KEYS', 'a', 'b'],
    ]);
  });

  test('RANDOMKEY and DBSIZE', async () => {
    await assertDifferential(damselfly, redis, [
      ['RANDOMKEY'],
      ['DBSIZE'],
      ['SET', 'only', 'v'],
      ['RANDOMKEY'],
      ['DBSIZE'],
      ['RANDOMKEY', 'x'],
      ['DBSIZE', 'x'],
    ]);
  });

  test('FLUSHDB and FLUSHALL modes', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'a', '1'],
      ['SELECT', '3'],
      ['SET', 'b', '2'],
      ['FLUSHDB', 'foo'],
      ['FLUSHDB', 'async', 'sync'],
      ['FLUSHDB', 'SYNC'],
      ['DBSIZE'],
      ['SELECT', '0'],
      ['DBSIZE'],
      ['FLUSHDB', 'async'],
      ['DBSIZE'],
      ['FLUSHDB'],
      ['SET', 'a', '1'],
      ['SELECT', '5'],
      ['SET', 'c', '1'],
      ['FLUSHALL', 'x'],
      ['FLUSHALL', 'async', 'async'],
      ['FLUSHALL', 'ASYNC'],
      ['DBSIZE'],
      ['SELECT', '0'],
      ['DBSIZE'],
      ['FLUSHALL', 'sync'],
      ['FLUSHALL'],
    ]);
  });

  test('keyspace hits and misses', async () => {
    const stats: Step = {
      command: ['INFO', 'stats'],
      normalize: (text: string) => (text.match(/keyspace_(hits|misses):\d+/g) ?? []).join(' '),
    };
    await assertDifferential(damselfly, redis, [
      ['SET', 'a', '1'],
      ['CONFIG', 'RESETSTAT'],
      ['EXISTS', 'a', 'missing'],
      ['TOUCH', 'a', 'missing'],
      ['TYPE', 'a'],
      ['TYPE', 'missing'],
      ['TTL', 'a'],
      ['PTTL', 'missing'],
      ['EXPIRETIME', 'a'],
      ['OBJECT', 'ENCODING', 'a'],
      ['OBJECT', 'REFCOUNT', 'missing'],
      ['COPY', 'a', 'b'],
      ['COPY', 'missing', 'c'],
      stats,
      ['CONFIG', 'RESETSTAT'],
      ['DEL', 'b', 'missing'],
      ['EXPIRE', 'a', '100'],
      ['PERSIST', 'a'],
      ['RENAME', 'a', 'd'],
      ['MOVE', 'd', '1'],
      ['KEYS', '*'],
      ['SCAN', '0'],
      ['RANDOMKEY'],
      ['DBSIZE'],
      stats,
      ['SET', 'e', '1'],
      ['SCAN', '0', 'TYPE', 'string'],
      stats,
    ]);
  });

  test('RESP3 replies', async () => {
    await assertDifferential(
      damselfly,
      redis,
      [
        ['RANDOMKEY'],
        ['OBJECT', 'ENCODING', 'missing'],
        ['OBJECT', 'FREQ', 'missing'],
        ['TYPE', 'missing'],
        ['KEYS', '*'],
        ['SCAN', '0'],
        ['SET', 'k', 'v'],
        ['SCAN', '0'],
        ['TTL', 'k'],
        ['EXISTS', 'k'],
        ['OBJECT', 'HELP'],
        ['RENAME', 'missing', 'x'],
        ['COPY', 'k', 'k'],
      ],
      { prelude: [['HELLO', '3']] },
    );
  });

  test('lazily expired keys count as missing', async () => {
    const setup: Step[] = [
      ['SET', 'gone', 'v', 'PX', '30'],
      ['SET', 'gone2', 'v', 'PX', '30'],
      ['SET', 'gone3', 'v', 'PX', '30'],
      ['SET', 'kept', 'v'],
    ];
    await assertDifferential(damselfly, redis, setup);
    await sleep(80);
    await assertDifferential(
      damselfly,
      redis,
      [
        ['EXISTS', 'gone', 'kept'],
        ['TYPE', 'gone'],
        ['DEL', 'gone2'],
        ['RENAME', 'gone3', 'x'],
        ['KEYS', '*'],
        ['COPY', 'gone', 'x'],
        ['MOVE', 'gone', '1'],
        ['OBJECT', 'ENCODING', 'gone'],
      ],
      { flush: false },
    );
  });
});

describe('OBJECT against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('OBJECT ENCODING and REFCOUNT of strings', async () => {
    const values = [
      '0',
      '123',
      '9999',
      '10000',
      '-5',
      '-0',
      '00',
      '+1',
      ' 1',
      '9223372036854775807',
      '9223372036854775808',
      '-9223372036854775808',
      '-9223372036854775809',
      'hello',
      'x'.repeat(44),
      'x'.repeat(45),
      '1.5',
      '',
    ];
    const steps: Step[] = [];
    values.forEach((value, i) => {
      steps.push(['SET', `k${i}`, value]);
      steps.push(['OBJECT', 'ENCODING', `k${i}`], ['OBJECT', 'REFCOUNT', `k${i}`]);
    });
    steps.push(['OBJECT', 'ENCODING', 'missing'], ['OBJECT', 'REFCOUNT', 'missing']);
    await assertDifferential(damselfly, redis, steps);
  });

  test('OBJECT ENCODING after APPEND and SETRANGE', async (context) => {
    if (!(await supports(damselfly.port, ['APPEND', 'probe:append', 'x']))) {
      context.skip('APPEND is not implemented yet');
      return;
    }
    await assertDifferential(damselfly, redis, [
      ['SET', 'a', 'hello'],
      ['APPEND', 'a', 'x'],
      ['OBJECT', 'ENCODING', 'a'],
      ['SET', 'n', '12'],
      ['APPEND', 'n', '3'],
      ['OBJECT', 'ENCODING', 'n'],
      ['SETRANGE', 'r', '0', 'abc'],
      ['OBJECT', 'ENCODING', 'r'],
    ]);
  });

  test('COPY of an edited string is independent', async (context) => {
    if (!(await supports(damselfly.port, ['SETRANGE', 'probe:setrange', '0', 'x']))) {
      context.skip('SETRANGE is not implemented yet');
      return;
    }
    await assertDifferential(damselfly, redis, [
      ['SETRANGE', 'a', '0', 'hello'],
      ['COPY', 'a', 'b'],
      ['SETRANGE', 'b', '0', 'J'],
      ['APPEND', 'b', '!'],
      ['GET', 'a'],
      ['GET', 'b'],
      ['COPY', 'b', 'c', 'DB', '1'],
      ['SETRANGE', 'b', '1', 'E'],
      ['SELECT', '1'],
      ['GET', 'c'],
    ]);
  });

  test('OBJECT ENCODING of collections', async () => {
    const steps: Step[] = [...(await collectionSteps(damselfly.port))];
    for (const name of ['list', 'hash', 'set', 'zset', 'stream']) {
      steps.push(['OBJECT', 'ENCODING', name]);
    }
    await assertDifferential(damselfly, redis, steps);
  });

  test('OBJECT errors, HELP, IDLETIME and FREQ', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'k', 'v'],
      ['OBJECT'],
      ['OBJECT', 'foo'],
      ['OBJECT', 'foo', 'k'],
      ['OBJECT', 'ENCODING'],
      ['OBJECT', 'encoding', 'a', 'b'],
      ['OBJECT', 'REFCOUNT'],
      ['OBJECT', 'HELP', 'x'],
      ['OBJECT', 'HELP'],
      ['object', 'help'],
      ['OBJECT', 'FREQ', 'k'],
      ['OBJECT', 'FREQ', 'missing'],
      ['OBJECT', 'IDLETIME', 'missing'],
      { command: ['OBJECT', 'IDLETIME', 'k'], normalize: [/^:\d+\r\n$/, ':N\r\n'] },
    ]);
  });
});

describe('OBJECT under an LFU policy', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const args = ['--maxmemory-policy', 'allkeys-lfu'];

  before(async () => {
    damselfly = await startDamselfly({ args });
    const reference = await startRedisServer({ args });
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('IDLETIME is an error and FREQ an integer', async () => {
    await assertDifferential(damselfly, redis, [
      ['SET', 'k', 'v'],
      ['OBJECT', 'IDLETIME', 'k'],
      ['OBJECT', 'IDLETIME', 'missing'],
      { command: ['OBJECT', 'FREQ', 'k'], normalize: [/^:\d+\r\n$/, ':N\r\n'] },
      ['OBJECT', 'FREQ', 'missing'],
      ['SET', 'small', '5'],
      ['OBJECT', 'REFCOUNT', 'small'],
    ]);
  });
});

/**
 * Returns the events a pattern subscriber receives while `commands` run (a
 * number is a pause in milliseconds), as "channel message" lines. SET's own events are left out: only the generic
 * commands' events are under test here.
 */
async function collectEvents(port: number, commands: (string[] | number)[]): Promise<string[]> {
  const subscriber = await RawClient.connect(port);
  const client = await RawClient.connect(port);
  try {
    await subscriber.call(['PSUBSCRIBE', '__key*__:*']);
    for (const step of commands) {
      if (typeof step === 'number') await sleep(step);
      else await client.call(step);
    }
    const bytes = await subscriber.readUntilQuiet(150);
    return parseMessages(bytes).filter((line) => !/(:set | set$)/.test(line));
  } finally {
    subscriber.destroy();
    client.destroy();
  }
}

/** Splits pmessage pushes into "channel message" lines. */
function parseMessages(bytes: Buffer): string[] {
  const lines: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const end = findReplyEnd(bytes, offset);
    assert.ok(end > 0, 'incomplete pmessage');
    const parts = bytes.subarray(offset, end).toString('latin1').split('\r\n');
    // *4, $8, pmessage, $n, pattern, $n, channel, $n, message
    lines.push(`${parts[6]} ${parts[8]}`);
    offset = end;
  }
  return lines;
}

describe('keyspace events against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const args = ['--notify-keyspace-events', 'KEA'];

  before(async () => {
    damselfly = await startDamselfly({ args });
    const reference = await startRedisServer({ args });
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('generic commands publish the same events', async () => {
    const commands = [
      ['SET', 'a', '1'],
      ['DEL', 'a', 'missing'],
      ['SET', 'b', '1'],
      ['UNLINK', 'b'],
      ['SET', 'c', '1'],
      ['EXPIRE', 'c', '100'],
      ['PEXPIRE', 'c', '100000', 'NX'],
      ['PERSIST', 'c'],
      ['PERSIST', 'c'],
      ['EXPIREAT', 'c', '1'],
      ['SET', 'd', '1'],
      ['RENAME', 'd', 'e'],
      ['RENAMENX', 'e', 'f'],
      ['RENAME', 'f', 'f'],
      ['MOVE', 'f', '2'],
      ['SET', 'g', '1'],
      ['COPY', 'g', 'h'],
      ['COPY', 'g', 'h', 'DB', '3', 'REPLACE'],
      ['FLUSHDB'],
      ['SWAPDB', '0', '2'],
      ['FLUSHALL'],
    ];
    const [ours, theirs] = await Promise.all([
      collectEvents(damselfly.port, commands),
      collectEvents(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('__keyevent@2__:move_to f'));
  });

  test('expired keys publish expired', async () => {
    const commands = [['SET', 'short', '1', 'PX', '1'], 20, ['GET', 'short']];
    const [ours, theirs] = await Promise.all([
      collectEvents(damselfly.port, commands),
      collectEvents(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(theirs.includes('__keyevent@0__:expired short'));
  });
});

/**
 * Blocks a client in BLPOP on `key` in database `db`, runs `commands` on a
 * second connection, and returns BLPOP's reply (or "timeout" after 1 s).
 */
async function blpopAfter(port: number, db: string, key: string, commands: string[][]) {
  const waiter = await RawClient.connect(port);
  const writer = await RawClient.connect(port);
  try {
    await writer.call(['FLUSHALL']);
    await waiter.call(['SELECT', db]);
    await waiter.send(encodeCommand(['BLPOP', key, '1']));
    await sleep(50);
    for (const args of commands) await writer.call(args);
    return (await waiter.readReply(3000)).toString('latin1');
  } finally {
    waiter.destroy();
    writer.destroy();
  }
}

describe('blocked clients and generic commands', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  const cases: [string, string, string[][]][] = [
    [
      'RENAME',
      '0',
      [
        ['RPUSH', 'src', 'a'],
        ['RENAME', 'src', 'k'],
      ],
    ],
    [
      'RENAMENX',
      '0',
      [
        ['RPUSH', 'src', 'a'],
        ['RENAMENX', 'src', 'k'],
      ],
    ],
    [
      'MOVE',
      '1',
      [
        ['RPUSH', 'k', 'a'],
        ['MOVE', 'k', '1'],
      ],
    ],
    [
      'COPY',
      '0',
      [
        ['RPUSH', 'src', 'a'],
        ['COPY', 'src', 'k'],
      ],
    ],
    [
      'COPY to another database',
      '2',
      [
        ['RPUSH', 'src', 'a'],
        ['COPY', 'src', 'k', 'DB', '2'],
      ],
    ],
    [
      'SWAPDB',
      '0',
      [
        ['SELECT', '3'],
        ['RPUSH', 'k', 'a'],
        ['SWAPDB', '3', '0'],
      ],
    ],
    [
      'RENAME of a string',
      '0',
      [
        ['SET', 'src', 'a'],
        ['RENAME', 'src', 'k'],
      ],
    ],
  ];

  for (const [name, db, commands] of cases) {
    test(`BLPOP served by ${name}`, async (context) => {
      if (!(await supports(damselfly.port, ['BLPOP', 'probe:blpop', '0.01']))) {
        context.skip('BLPOP is not implemented yet');
        return;
      }
      const [ours, theirs] = await Promise.all([
        blpopAfter(damselfly.port, db, 'k', commands),
        blpopAfter(redis.port, db, 'k', commands),
      ]);
      assert.equal(ours, theirs);
    });
  }
});

/** Runs WATCH key, then `other` on a second connection, then MULTI/EXEC; returns EXEC's reply. */
async function execAfter(port: number, setup: string[][], watch: string[], other: string[][]) {
  const client = await RawClient.connect(port);
  const intruder = await RawClient.connect(port);
  try {
    await client.call(['FLUSHALL']);
    for (const args of setup) await client.call(args);
    await client.call(watch);
    for (const args of other) await intruder.call(args);
    await client.call(['MULTI']);
    await client.call(['PING']);
    return (await client.call(['EXEC'])).toString('latin1');
  } finally {
    client.destroy();
    intruder.destroy();
  }
}

describe(
  'WATCH and generic commands against redis-server',
  { skip: redisServerSkipReason() },
  () => {
    let damselfly: ServerProcess;
    let redis: ServerProcess;

    before(async () => {
      damselfly = await startDamselfly();
      const reference = await startRedisServer();
      assert.ok(reference);
      redis = reference;
    });

    after(stopAllServers);

    const cases: [string, string[][], string[], string[][]][] = [
      ['FLUSHDB', [['SET', 'k', 'v']], ['WATCH', 'k'], [['FLUSHDB']]],
      ['FLUSHDB of an empty database', [], ['WATCH', 'k'], [['FLUSHDB']]],
      ['FLUSHALL', [['SET', 'k', 'v']], ['WATCH', 'k'], [['FLUSHALL']]],
      [
        'SWAPDB into the key',
        [],
        ['WATCH', 'k'],
        [
          ['SELECT', '1'],
          ['SET', 'k', 'v'],
          ['SWAPDB', '0', '1'],
        ],
      ],
      ['SWAPDB of other databases', [['SET', 'k', 'v']], ['WATCH', 'k'], [['SWAPDB', '1', '2']]],
      [
        'MOVE into the key',
        [],
        ['WATCH', 'k'],
        [
          ['SELECT', '1'],
          ['SET', 'k', 'v'],
          ['MOVE', 'k', '0'],
        ],
      ],
      ['MOVE away', [['SET', 'k', 'v']], ['WATCH', 'k'], [['MOVE', 'k', '1']]],
      [
        'COPY to another database',
        [],
        ['WATCH', 'k'],
        [
          ['SET', 's', 'v'],
          ['SELECT', '1'],
          ['COPY', 's', 'k', 'DB', '0'],
        ],
      ],
      ['EXPIRE', [['SET', 'k', 'v']], ['WATCH', 'k'], [['EXPIRE', 'k', '100']]],
      [
        'failed EXPIRE NX',
        [['SET', 'k', 'v', 'EX', '10']],
        ['WATCH', 'k'],
        [['EXPIRE', 'k', '100', 'NX']],
      ],
      ['PERSIST', [['SET', 'k', 'v', 'EX', '10']], ['WATCH', 'k'], [['PERSIST', 'k']]],
      ['RENAME onto the key', [['SET', 's', 'v']], ['WATCH', 'k'], [['RENAME', 's', 'k']]],
      ['RENAME onto itself', [['SET', 'k', 'v']], ['WATCH', 'k'], [['RENAME', 'k', 'k']]],
      ['DEL of a missing key', [], ['WATCH', 'k'], [['DEL', 'k']]],
    ];

    for (const [name, setup, watch, other] of cases) {
      test(`WATCH with ${name}`, async () => {
        const [ours, theirs] = await Promise.all([
          execAfter(damselfly.port, setup, watch, other),
          execAfter(redis.port, setup, watch, other),
        ]);
        assert.equal(ours, theirs);
      });
    }
  },
);
