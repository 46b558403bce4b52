/**
 * Redis 7 functions against redis-server 7.0 byte for byte: FUNCTION LOAD
 * and its metadata and registration errors, FCALL and FCALL_RO, DELETE,
 * FLUSH, LIST, STATS, HELP, and DUMP payloads restored across the two
 * servers. Libraries in LIST comparisons hold one function, because Redis
 * lists functions in hash order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import type { ServerProcess } from './support/server-process';
import { stopAllServers } from './support/server-process';
import { redisServerSkipReason, startDamselfly, startRedisServer } from './support/servers';

let damselfly: ServerProcess;
let redis: ServerProcess | null;

before(async () => {
  damselfly = await startDamselfly();
  redis = await startRedisServer();
});
after(stopAllServers);

const skip = redisServerSkipReason();

const HELLO_ID: [RegExp, string] = [/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n:N\r\n'];

async function same(steps: Step[]): Promise<void> {
  assert.ok(redis);
  await assertDifferential(
    { port: damselfly.port },
    { port: redis.port },
    [['FUNCTION', 'FLUSH'], ...steps],
    { normalize: [HELLO_ID] },
  );
}

function library(name: string, body: string): string {
  return `#!lua name=${name}\n${body}`;
}

const WRITER = library(
  'writer',
  "redis.register_function('w', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
);
const READER = library(
  'reader',
  "redis.register_function{function_name='r', callback=function(keys) " +
    "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}",
);

describe('FUNCTION LOAD', { skip }, () => {
  test('metadata errors', () =>
    same(
      [
        '#!lua',
        '#!lua name=',
        '#!lua name=a-b',
        '#!lua name=lib foo=bar',
        '#!lua name=lib name=lib2',
        '#!lua2 name=lib',
        '#!lua NAME=libx',
        '#!  lua name=liby',
        '#!LUA name=libw',
        'return 1',
      ].map((header) => [
        'FUNCTION',
        'LOAD',
        `${header}\nredis.register_function('f_x', function() return 1 end)`,
      ]),
    ));

  test('registration errors', () =>
    same(
      [
        'return (',
        "error('boom')",
        "redis.register_function('f2', function() end) redis.register_function('f2', function() end)",
        "redis.register_function('f-2', function() return 1 end)",
        "redis.register_function('f3')",
        'redis.register_function(1, 2)',
        "redis.register_function('f3', 2)",
        "redis.register_function{function_name='f3', callback=function() end, flags={'bad'}}",
        "redis.register_function{function_name='f3', callback=function() end, flags='no-writes'}",
        "redis.register_function{function_name='f3', callback=function() end, foo=1}",
        "redis.register_function{function_name='f3'}",
        'redis.register_function{callback=function() end}',
        'redis.register_function()',
        'redis.register_function(1, 2, 3)',
        'redis.register_function{[1]=2}',
        'local x = 1',
      ].map((body) => ['FUNCTION', 'LOAD', library('bad', body)]),
    ));

  test('what library code can reach', () =>
    same(
      [
        "redis.call('ping')",
        'return redis.setresp(3)',
        'local a = KEYS',
        'x = 1',
        "return redis.sha1hex('a')",
        'local v = _G',
        'local v = math',
        'redis.x = 1',
        "redis.log(redis.LOG_WARNING, 'loading')",
        'local v = redis.REDIS_VERSION .. redis.REDIS_VERSION_NUM',
        'local x = 0 while true do x = x + 1 end',
      ].map((body, i) => [
        'FUNCTION',
        'LOAD',
        library(`lib${i}`, `${body}\nredis.register_function('f${i}', function() return 1 end)`),
      ]),
    ));

  test('names, REPLACE and collisions', () =>
    same([
      ['FUNCTION', 'LOAD', WRITER],
      ['FUNCTION', 'LOAD', WRITER],
      ['FUNCTION', 'LOAD', 'REPLACE', WRITER],
      ['FUNCTION', 'LOAD', 'badarg', WRITER],
      ['FUNCTION', 'LOAD', 'replace'],
      ['FUNCTION', 'LOAD', library('WRITER', "redis.register_function('W', function() end)")],
      ['FUNCTION', 'LOAD', library('other', "redis.register_function('x1', function() end)")],
      ['FCALL', 'X1', '0'],
    ]));
});

describe('FCALL', { skip }, () => {
  test('calls, keys and read-only functions', () =>
    same([
      ['FUNCTION', 'LOAD', WRITER],
      ['FUNCTION', 'LOAD', READER],
      ['FCALL', 'nosuch', '0'],
      ['FCALL', 'w', '1', 'fk', 'v'],
      ['FCALL', 'W', '1', 'fk', 'v2'],
      ['FCALL', 'r', '1', 'fk'],
      ['FCALL_RO', 'r', '1', 'fk'],
      ['FCALL_RO', 'w', '1', 'fk', 'v'],
      ['FCALL', 'w', 'x'],
      ['FCALL', 'w', '5', 'a'],
      ['FCALL', 'w', '-1'],
      ['FCALL', 'nosuch', 'x'],
      ['GET', 'fk'],
    ]));

  test('errors inside functions', () =>
    same([
      [
        'FUNCTION',
        'LOAD',
        library(
          'e',
          [
            "redis.register_function('e1', function() return redis.call('nosuch') end)",
            "redis.register_function('e2', function() error('x') end)",
            "redis.register_function('e3', function(k, a) return {k[1], a[1], #k, #a} end)",
            "redis.register_function('e4', function() return KEYS end)",
            "redis.register_function{function_name='e5', callback=function() " +
              "return redis.call('set','a','b') end, flags={'no-writes'}}",
          ].join('\n'),
        ),
      ],
      ['FCALL', 'e1', '0'],
      ['FCALL', 'e2', '0'],
      ['FCALL', 'e3', '2', 'k1', 'k2', 'a1'],
      ['FCALL', 'e4', '0'],
      ['FCALL', 'e5', '0'],
    ]));
});

describe('FUNCTION management', { skip }, () => {
  test('DELETE and FLUSH', () =>
    same([
      ['FUNCTION', 'LOAD', WRITER],
      ['FUNCTION', 'DELETE', 'nosuch'],
      ['FUNCTION', 'DELETE', 'WRITER'],
      ['FUNCTION', 'DELETE', 'writer'],
      ['FCALL', 'w', '1', 'k', 'v'],
      ['FUNCTION', 'FLUSH', 'bad'],
      ['FUNCTION', 'FLUSH', 'async'],
      ['FUNCTION', 'FLUSH', 'sync'],
      ['FUNCTION', 'FLUSH', 'sync', 'x'],
    ]));

  test('LIST in RESP2 and RESP3', () =>
    same([
      ['FUNCTION', 'LOAD', READER],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'LIST', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'READ*'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'nomatch'],
      ['FUNCTION', 'LIST', 'foo'],
      ['FUNCTION', 'LIST', 'libraryname'],
      ['FUNCTION', 'LIST', 'withcode', 'withcode'],
      ['FUNCTION', 'LIST', 'libraryname', 'x', 'libraryname', 'y'],
      ['HELLO', '3'],
      ['FUNCTION', 'LIST', 'WITHCODE'],
      ['FUNCTION', 'STATS'],
    ]));

  test('STATS, KILL, HELP and RESTORE errors', () =>
    same([
      ['FUNCTION', 'LOAD', WRITER],
      ['FUNCTION', 'LOAD', READER],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'KILL'],
      ['FUNCTION', 'HELP'],
      ['FUNCTION', 'RESTORE', 'garbage'],
      ['FUNCTION', 'RESTORE', 'x', 'badpolicy'],
      ['FUNCTION', 'RESTORE', 'a', 'b', 'c'],
      ['FUNCTION', 'LOAD'],
      ['FUNCTION'],
    ]));
});

async function callOn(port: number, args: (string | Buffer)[]): Promise<Buffer> {
  const client = await RawClient.connect(port);
  try {
    return await client.call(args);
  } finally {
    client.destroy();
  }
}

/** The payload of a bulk string reply. */
function bulkPayload(reply: Buffer): Buffer {
  const headerEnd = reply.indexOf('\r\n');
  return reply.subarray(headerEnd + 2, reply.length - 2);
}

describe('FUNCTION DUMP and RESTORE', { skip }, () => {
  const flushBoth = async (): Promise<void> => {
    assert.ok(redis);
    for (const port of [damselfly.port, redis.port]) await callOn(port, ['FUNCTION', 'FLUSH']);
  };

  test('payloads restore across the servers', async () => {
    assert.ok(redis);
    await flushBoth();
    for (const [from, to] of [
      [redis.port, damselfly.port],
      [damselfly.port, redis.port],
    ]) {
      await callOn(to, ['FUNCTION', 'FLUSH']);
      await callOn(from, ['FUNCTION', 'FLUSH']);
      await callOn(from, ['FUNCTION', 'LOAD', WRITER]);
      await callOn(from, ['FUNCTION', 'LOAD', READER]);
      const payload = bulkPayload(await callOn(from, ['FUNCTION', 'DUMP']));
      assert.equal((await callOn(to, ['FUNCTION', 'RESTORE', payload])).toString(), '+OK\r\n');
      const list = (await callOn(to, ['FUNCTION', 'LIST', 'LIBRARYNAME', 'reader'])).toString();
      assert.match(list, /reads/);
      // Which of the two libraries Redis names depends on its hash order.
      for (const port of [to, from]) {
        const reply = (await callOn(port, ['FUNCTION', 'RESTORE', payload])).toString();
        assert.match(reply, /^-ERR Library (reader|writer) already exists\r\n$/);
      }
      assert.equal(
        (await callOn(to, ['FUNCTION', 'RESTORE', payload, 'REPLACE'])).toString(),
        '+OK\r\n',
      );
      assert.equal(
        (await callOn(to, ['FUNCTION', 'RESTORE', payload, 'FLUSH'])).toString(),
        '+OK\r\n',
      );
      const corrupt = Buffer.from(payload);
      corrupt[corrupt.length - 1] ^= 1;
      assert.equal(
        (await callOn(to, ['FUNCTION', 'RESTORE', corrupt])).toString(),
        '-ERR DUMP payload version or checksum are wrong\r\n',
      );
    }
  });

  test('empty dump', () => same([['FUNCTION', 'DUMP']]));
});
