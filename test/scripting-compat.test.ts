/**
 * Lua scripting details where Redis 7.0 (Lua 5.1) and a plain Lua 5.4
 * differ, compared with redis-server byte for byte. Covered: the value
 * pcall returns for a caught redis.call error, RESP3 types of script
 * results, raw access to the sandbox's tables, and string.format's integer
 * conversions of numbers with a fraction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertDifferential, type Step } from './support/differential';
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

/** HELLO's reply carries the connection id, which differs between the servers. */
const HELLO_ID: [RegExp, string] = [/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n:N\r\n'];

async function same(steps: Step[]): Promise<void> {
  assert.ok(redis);
  await assertDifferential({ port: damselfly.port }, { port: redis.port }, steps, {
    normalize: [HELLO_ID],
  });
}

function evalSteps(scripts: string[]): Step[] {
  return scripts.map((script) => ['EVAL', script, '0']);
}

/**
 * Returns a script that catches `call` with pcall and returns the status and
 * the caught value's type and text (a table's address differs between the
 * servers, so a table shows its err field).
 */
function caught(call: string): string {
  return (
    `local ok, e = pcall(${call}) ` +
    "local text = type(e) == 'table' and 'err=' .. tostring(rawget(e, 'err')) or tostring(e) " +
    'return {tostring(ok), type(e), text}'
  );
}

describe('pcall around redis.call', { skip }, () => {
  test('caught error is a string', () =>
    same([
      ['RPUSH', 'l', 'a'],
      ...evalSteps([
        "local ok, e = pcall(redis.call, 'incr', 'l') return 'got: ' .. e",
        caught("redis.call, 'incr', 'l'"),
        caught("redis.call, 'nosuch'"),
        caught("redis.call, 'get'"),
        caught('redis.call'),
        caught('redis.call, {}'),
        caught("redis.call, 'subscribe', 'x'"),
        caught("function() redis.call('incr', 'l') end"),
        caught('redis.sha1hex'),
        caught('redis.setresp, 5'),
      ]),
    ]));

  test('caught NOPERM error', () =>
    same([
      ['ACL', 'SETUSER', 'scripter', 'on', 'nopass', '~*', '+@all', '-incr'],
      ['AUTH', 'scripter', 'any'],
      ...evalSteps([caught("redis.call, 'incr', 'l'"), "return redis.call('incr', 'l')"]),
    ]));

  test('caught error tables', () =>
    same(
      evalSteps([
        caught("error, {err = 'E x'}"),
        caught('error, {err = 5}'),
        caught('error, {foo = 5}'),
        caught("error, setmetatable({}, {__index = function() return 'meta' end})"),
        caught("error, 'text'"),
        'return {pcall(error, {err = 5})}',
        'return {pcall(function() return 1, 2, 3 end)}',
        "local t = {pcall()} return {select('#', pcall()), tostring(t[1]), t[2]}",
        caught('nil'),
        caught('1'),
      ]),
    ));

  test('xpcall keeps the error table', () =>
    same([
      ['RPUSH', 'l', 'a'],
      ...evalSteps([
        "local ok, e = xpcall(function() return redis.call('incr', 'l') end, " +
          "function(m) return type(m) .. ':' .. tostring(m.err) end) return e",
      ]),
    ]));

  test('uncaught and rethrown errors', () =>
    same([
      ['RPUSH', 'l', 'a'],
      ...evalSteps([
        "return redis.call('incr', 'l')",
        "return redis.call('nosuch')",
        "return redis.call('get')",
        "local ok, e = pcall(redis.call, 'incr', 'l') return e",
        "local ok, e = pcall(redis.call, 'incr', 'l') error(e)",
        "local ok, e = pcall(redis.call, 'incr', 'l') error(e, 0)",
        "local ok, e = pcall(redis.call, 'incr', 'l') error({err = e})",
        "local ok, e = pcall(redis.call, 'incr', 'l') return {ok, e}",
      ]),
    ]));

  test('redis.pcall and redis.error_reply', () =>
    same([
      ['RPUSH', 'l', 'a'],
      ...evalSteps([
        "local e = redis.pcall('incr', 'l') return {type(e), e.err}",
        "return redis.pcall('incr', 'l')",
        "local ok, e = pcall(redis.pcall, 'incr', 'l') return {tostring(ok), type(e), e.err}",
        "local ok, e = pcall(redis.call, 'incr', 'l') return redis.error_reply(e)",
        "local ok, e = pcall(redis.call, 'incr', 'l') return {err = e}",
        "local ok, e = pcall(redis.call, 'nosuch') return redis.error_reply(e)",
        caught('redis.error_reply'),
        "local ok, e = pcall(error, redis.error_reply('MY code')) return e",
      ]),
    ]));

  test('status replies and big numbers stay on one line', () =>
    same([
      ...evalSteps([
        "return {ok = 'a\\r\\nb'}",
        "return redis.status_reply('x\\ry')",
        "return {big_number = 'abc\\r\\nxx'}",
        "return {big_number = 'a\\nb'}",
      ]),
      ['HELLO', '3'],
      ...evalSteps(["return {big_number = 'abc\\r\\nxx'}", "return {ok = 'a\\nb'}"]),
      ['PING'],
    ]));

  test('returned errors count in errorstats once', () =>
    same([
      ['CONFIG', 'RESETSTAT'],
      ...evalSteps([
        "return redis.error_reply('MY err')",
        "return {1, {err = 'NESTED err'}}",
        "return redis.pcall('nosuch')",
        "return redis.pcall('incr', 'l')",
      ]),
      ['INFO', 'errorstats'],
    ]));
});

describe('RESP3 script results', { skip }, () => {
  const typed = [
    "return {big_number='123'}",
    "return {big_number='-12a x'}",
    'return {big_number=5}',
    "return {verbatim_string={format='mkd', string='hi'}}",
    "return {verbatim_string={format='m', string='hi'}}",
    "return {verbatim_string={format='markdown', string='hi'}}",
    "return {verbatim_string={format='', string=''}}",
    "return {verbatim_string={format='a\\0b', string='hi'}}",
    "return {verbatim_string={format=1, string='x'}}",
    "return {1, {big_number='7'}, {map={k={big_number='8'}}}}",
    'return {double=0/0}',
    'return {double=-(0/0)}',
    'return {double=math.huge - math.huge}',
    'return {double=-0.0}',
    'return {double=1e300}',
    'return {double=-1/0}',
    'return {double=0.1}',
    "return {double='1.5'}",
    'return {map={}}',
    'return {set={}}',
    'return {map={a={set={b=1}}}}',
    'return {map={[1]=true, [2.5]=false}}',
    "return {double=5, ok='x'}",
    'return {err={}}',
  ];

  test('typed tables to RESP3', () => same([['HELLO', '3'], ...evalSteps(typed)]));

  test('typed tables to RESP2', () => same(evalSteps(typed)));

  test('setresp 3 values to RESP3', () =>
    same([
      ['HELLO', '3'],
      ['HSET', 'h', 'a', '1'],
      ['SADD', 's', 'm'],
      ['ZADD', 'z', '1.5', 'm'],
      ...evalSteps([
        "redis.setresp(3) return redis.call('hgetall', 'h')",
        "redis.setresp(3) return redis.call('smembers', 's')",
        "redis.setresp(3) return redis.call('zscore', 'z', 'm')",
        "redis.setresp(3) return redis.call('get', 'nokey')",
        'redis.setresp(3) return {true, false, nil}',
        "redis.setresp(3) local d = redis.call('zscore', 'z', 'm') return {type(d), d.double}",
      ]),
    ]));
});

describe('missing fields of the redis table', { skip }, () => {
  test('EVAL reads nil', () =>
    same(
      evalSteps([
        'return tostring(redis.nosuch)',
        'local ok, e = pcall(error, redis) return type(e)',
      ]),
    ));

  test('functions read nil but loading raises', () =>
    same([
      ['FUNCTION', 'FLUSH'],
      [
        'FUNCTION',
        'LOAD',
        "#!lua name=strict\nlocal x = redis.nosuch\nredis.register_function('f', function() return 1 end)",
      ],
      [
        'FUNCTION',
        'LOAD',
        "#!lua name=lenient\nredis.register_function('g', function() return tostring(redis.nosuch) end)",
      ],
      ['FCALL', 'g', '0'],
      ['FUNCTION', 'FLUSH'],
    ]));
});

describe('raw access to sandbox tables', { skip }, () => {
  test('rawget reads globals and libraries', () =>
    same([
      ...evalSteps([
        "return type(rawget(_G, 'redis'))",
        "return type(rawget(_G, 'ARGV'))",
        "return type(rawget(_G, 'nosuch'))",
        "return rawequal(rawget(_G, '_G'), _G)",
        "return type(rawget(string, 'format'))",
        "return type(rawget(math, 'floor'))",
        "return type(rawget(cjson, 'encode'))",
        "return {type(rawget(redis, 'call')), type(rawget(redis, 'nosuch'))}",
        "local t = {a = 1} return rawget(t, 'a')",
        'return tostring(rawget({}, nil))',
      ]),
      ['EVAL', "return rawget(_G, 'KEYS')[1]", '1', 'k1'],
    ]));

  test('rawget argument errors', () =>
    same(
      evalSteps([
        'return rawget()',
        'return rawget(1, 2)',
        'return rawget({})',
        'local v = rawget(1, 2) return v',
      ]),
    ));

  test('next and pairs over globals', () =>
    same(
      evalSteps([
        'return type(next(_G))',
        'return type(next(string))',
        'local n = 0 for k in pairs(_G) do n = n + 1 end return n > 10',
        'local t = {a = 1} return {next(t)}',
        'return tostring(next({}))',
        'return next()',
        'return next(1)',
        'local k = next(1) return k',
        "return next({a = 1}, 'zz')",
        "return next(_G, 'nosuch')",
      ]),
    ));
});

describe('string.format integer conversions', { skip }, () => {
  test('numbers with a fraction', () =>
    same(
      evalSteps([
        "return string.format('%d', 3.5)",
        "return string.format('%d %i %x %X %o %c|', 3.7, -3.7, 255.9, 255.9, 8.5, 65.9)",
        "return string.format('%d|%5.2d|%u', '3.5', 4.2, 5.5)",
        "return string.format('%-5d|%+d|% d|%#x|%05d', 1.5, 2.5, 3.5, 255.5, 7.9)",
        "return string.format('%d %s %d', 1.5, 'x', 2.5)",
        "return string.format('%%d %d', 4.5)",
        "return ('%d'):format(2.5)",
        "local x = string.format('%d', 1, 2.5) return x",
        "return string.format('%5.1f %s %q %%', 3.14159, 'a', 'b\\n')",
      ]),
    ));

  test('out-of-range numbers', () =>
    same(
      evalSteps([
        "return string.format('%d|%d|%d|%x|%x', 1e20, -1e20, 0/0, -1.5, 1e19)",
        "return string.format('%x|%x|%x', 1e20, 0/0, -1e20)",
        "return string.format('%o|%X|%u', -8.5, 2^63, -1.5)",
        "return string.format('%5d|%d|%d|%x|%d|%.3x', 1e300, '1e20', '0x10', 2^64, -0.5, 2.9)",
        "return string.format('%c|%c|%c', 256 + 65.5, -190.2, '66.6')",
      ]),
    ));

  test('%s arguments as Lua 5.1', () =>
    same(
      evalSteps([
        "return string.format('%s|', 'a\\0b')",
        "return string.format('%.5s|%s|', 'a\\0b', 'c\\0d')",
        "return string.format('%s|', string.rep('a\\0', 60))",
        "return string.format('%s', {})",
        "return string.format('%s', nil)",
        "return string.format('%s', true)",
        "return string.format('%d %s', {}, nil)",
        "return string.format('%s %d', nil, {})",
        "return string.format('%s|%s', 12, 1.5)",
        "local f = string.format return f('%s', {})",
        "return ('%s'):format(true)",
      ]),
    ));

  test('%c of a NUL byte', () =>
    same(
      evalSteps([
        "return string.format('[%5c][%-5c][%c][%1c][%2c]', 0, 0, 0, 0, 0)",
        "return string.format('[%c]', 256)",
        "return string.format('%c|%c|%c|%c', 2^40 + 65.5, 2^31 + 65, 2147483713, -190.2)",
        "return string.format('%c%c', '66.6', 0/0)",
        "return string.format('%c%s%c%d', 0, 'x', 65, 2.5)",
        "return string.format('%c%d', 0, {})",
        "return ('%c'):format(512)",
      ]),
    ));

  test('argument errors keep their names', () =>
    same(
      evalSteps([
        "return string.format('%d')",
        "return string.format('%d', 'x')",
        "local f = string.format return f('%d', {})",
        "return ('%d'):format({})",
        "return string.format('%s %d', 'a')",
        "local x = string.format('%d') return x",
      ]),
    ));
});
