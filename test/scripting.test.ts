/**
 * EVAL, EVALSHA, EVAL_RO, SCRIPT and the Lua API, against redis-server 7.0
 * byte for byte: type conversions both ways (RESP2 and RESP3), error texts
 * with their script locations, the redis.*, cjson, bit and cmsgpack
 * libraries, and the sandbox's read-only globals. Cases where Lua 5.4 and
 * Redis's Lua 5.1 print differently are left out (see the README).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import type { ServerProcess } from './support/server-process';
import { makeTempDir, stopAllServers } from './support/server-process';
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
  await assertDifferential(
    { port: damselfly.port },
    { port: redis.port },
    [['SCRIPT', 'FLUSH'], ...steps],
    {
      normalize: [HELLO_ID],
    },
  );
}

function evalSteps(scripts: string[], ...args: string[]): Step[] {
  return scripts.map((script) => ['EVAL', script, '0', ...args]);
}

/** A Lua helper that prints a value with its Lua types, keys sorted. */
const DUMP =
  'local function dump(v) if type(v) == "table" then local r = {} ' +
  "for k, x in pairs(v) do r[#r + 1] = tostring(k) .. '=' .. dump(x) end " +
  "table.sort(r) return '{' .. table.concat(r, ',') .. '}' " +
  "else return type(v) .. ':' .. tostring(v) end end ";

describe('EVAL replies', { skip }, () => {
  test('Lua values to RESP2', () =>
    same(
      evalSteps([
        'return 1',
        'return 3.99',
        'return -3.7',
        'return 1e20',
        "return 'text'",
        'return true',
        'return false',
        'return nil',
        "return {1, 2, {3, 'x'}, nil, 4}",
        "return {1, {ok='s'}, {err='e'}, 2.7, true, false, 'x'}",
        'local t = {} t[1] = 1 t[3] = 3 return t',
        "return {ok='fine'}",
        "return {err='Foo bar'}",
        "return {err='x', ok='y'}",
        'return {double=1/0}',
        "return {double='abc'}",
        'return {big_number=12}',
        'return {map={1,2}}',
        'return {set={1,2}}',
        'return {ok={}}',
        "return {verbatim_string={format='txt',string='hi'}}",
      ]),
    ));

  test('Lua values to RESP3', () =>
    same([
      ['HELLO', '3'],
      ...evalSteps([
        'return true',
        'return false',
        'return nil',
        'return {double=3.5}',
        'return {map={a=1}}',
        'return {set={a=true}}',
        "return {verbatim_string={format='txt',string='hi'}}",
        'redis.setresp(3) return true',
        'redis.setresp(3) return false',
      ]),
    ]));

  test('RESP3 scripts reply RESP2 to RESP2 callers', () =>
    same(evalSteps(['redis.setresp(3) return true', 'redis.setresp(3) return false'])));

  test('KEYS and ARGV', () =>
    same([
      ['EVAL', 'return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}', '2', 'k1', 'k2', 'a1'],
      ['EVAL', "KEYS[1] = 'x' return KEYS[1]", '1', 'k1'],
      ['EVAL', 'return #KEYS .. #ARGV', '0'],
    ]));
});

describe('redis.call conversions', { skip }, () => {
  const setup: Step[] = [
    ['HSET', 'h', 'a', '1'],
    ['SADD', 's', 'x'],
    ['ZADD', 'z', '1.5', 'm'],
    ['LPUSH', 'l', '1'],
  ];
  const probes = [
    "return dump(redis.call('hgetall','h'))",
    "return dump(redis.call('smembers','s'))",
    "return dump(redis.call('zscore','z','m'))",
    "return dump(redis.call('get','nokey'))",
    "return dump(redis.call('exists','s'))",
    "return dump(redis.call('lpop','nolist'))",
    "return dump(redis.call('mget','h','nokey'))",
    "return dump({redis.call('zrange','z',0,-1,'withscores')})",
    "return dump(redis.pcall('get','h'))",
    "return dump(redis.pcall('nosuch'))",
    "return dump(redis.call('ping'))",
    "return redis.call('hgetall','h')",
    "return redis.call('zscore','z','m')",
    "return redis.call('smembers','s')",
    "return redis.call('incrbyfloat','f','1.5')",
  ];

  test('RESP2 replies to Lua', () => same([...setup, ...evalSteps(probes.map((p) => DUMP + p))]));

  test('RESP3 replies to Lua', () =>
    same([...setup, ...evalSteps(probes.map((p) => `${DUMP} redis.setresp(3) ${p}`))]));

  test('RESP3 replies to a RESP3 caller', () =>
    same([
      ...setup,
      ['HELLO', '3'],
      ...evalSteps(probes.map((p) => `${DUMP} redis.setresp(3) ${p}`)),
    ]));

  test('arguments of redis.call', () =>
    same(
      evalSteps([
        "redis.call('set','k', 1/3) return redis.call('get','k')",
        "redis.call('set','k', 3.0) return redis.call('get','k')",
        "redis.call('set','k', 12) return redis.call('get','k')",
        "redis.call('set','k', -0.0) return redis.call('get','k')",
        "redis.call('set','k', 1e300) return redis.call('get','k')",
        "return redis.call('get', {})",
        "return redis.call('get', true)",
        "return redis.call('get', nil)",
        'return redis.call()',
        'return redis.pcall()',
        'return redis.call({})',
      ]),
    ));

  test('SELECT inside a script', () =>
    same([
      ...evalSteps([
        "redis.call('select', 2) redis.call('set','dbx','1') return redis.call('dbsize')",
        "return redis.call('select', 20)",
      ]),
      ['DBSIZE'],
      ['EXISTS', 'dbx'],
    ]));
});

describe('script errors', { skip }, () => {
  test('errors from commands', () =>
    same([
      ['LPUSH', 'l', '1'],
      ...evalSteps([
        "return redis.call('get','l')",
        "return redis.pcall('get','l')",
        "return redis.call('get')",
        "return redis.call('GET', 'x', 'y')",
        "return redis.call('nosuch')",
        "return redis.pcall('nosuch')",
        "return redis.call('config','foo')",
        "return redis.call('config')",
        "return redis.call('subscribe','x')",
        "return redis.call('eval','return 1','0')",
        "return redis.call('client','info')",
      ]),
    ]));

  test('errors raised by scripts', () =>
    same(
      evalSteps([
        "error('boom')",
        "return error('boom')",
        'error()',
        'error(12)',
        "error('x', 0)",
        "error('MY x', 0)",
        "error({err='X boom'})",
        "local function f() error('deep', 2) end f()",
        'return x.y',
        'local function f(n) return f(n+1)+1 end return f(1)',
        'local t=setmetatable({},{__index=function(t,k) return t[k] end}) return t.x',
        "return redis.error_reply('My err')",
        "return redis.error_reply('Oops')",
        "return redis.error_reply('-Oops now')",
        'return redis.error_reply(12)',
        'return redis.error_reply()',
        "return redis.status_reply('X')",
        'return redis.status_reply(12)',
      ]),
    ));

  test('numkeys and script lookup', () =>
    same([
      ['EVAL', 'return 1', '-1'],
      ['EVAL', 'return 1', '2', 'a'],
      ['EVAL', 'return 1', 'x'],
      ['EVAL', 'return 1', '99999999999999999999'],
      ['EVAL', 'return (', 'x'],
      ['EVALSHA', 'abc', '0'],
      ['EVALSHA', 'abc', 'x'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['SCRIPT', 'LOAD', 'return 1'],
      ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'x'],
      ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '-1'],
      ['EVALSHA', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB', '0'],
    ]));

  test('compile errors', () =>
    same([
      ['EVAL', 'return (', '0'],
      ['EVAL', "return 'a'..", '0'],
      ['SCRIPT', 'LOAD', 'return ('],
    ]));

  test('shebang lines', () =>
    same([
      ['EVAL', '#!lua\nreturn 1', '0'],
      ['EVAL', '#!lua flags=\nreturn 1', '0'],
      ['EVAL', '#!lua flags=no-writes,allow-oom\nreturn 1', '0'],
      ['EVAL', '#!lua flags=foo\nreturn 1', '0'],
      ['EVAL', '#!lua name=x\nreturn 1', '0'],
      ['EVAL', '#!py\nreturn 1', '0'],
      ['EVAL', '#!lua', '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set','x','1')", '0'],
      ['EVAL_RO', '#!lua\nreturn 1', '0'],
      ['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'],
    ]));

  test('read-only scripts', () =>
    same([
      ['SET', 'x', 'v'],
      ['EVAL_RO', "return redis.call('set','x','1')", '0'],
      ['EVAL_RO', "return redis.pcall('set','x','1')", '0'],
      ['EVAL_RO', "return redis.call('get','x')", '0'],
      ['SCRIPT', 'LOAD', "return redis.call('get','x')"],
      ['EVALSHA_RO', '0b9c1b5e5cb3f4a6d0a0d82bb74a0c3bd1d2bb02', '0'],
      ['GET', 'x'],
    ]));
});

describe('sandbox', { skip }, () => {
  test('globals and library tables are read-only', () =>
    same(
      evalSteps([
        'a = 1',
        '_G.x = 1',
        "rawset(_G, 'x', 1)",
        'setmetatable(_G, nil)',
        'string.x = 1',
        'redis.call = 1',
        'redis.x = 1',
        'cjson.x = 1',
        'bit.x = 1',
        'math.x = 1',
        'table.x = 1',
        'coroutine.x = 1',
        "getmetatable('').__index = nil",
        'local t = setmetatable({}, {}) return 1',
      ]),
    ));

  test('missing libraries and globals', () =>
    same(
      evalSteps([
        'return os.time()',
        "return io.write('x')",
        "return require('x')",
        "print('x')",
        'return debug.getinfo(1)',
        'return dofile()',
        'return loadfile()',
        'return package',
        'return y',
      ]),
    ));

  test('Lua 5.1 names', () =>
    same(
      evalSteps([
        "return loadstring('return 1')()",
        "local f = loadstring('return 7') return f()",
        "return loadstring('x=')",
        'return math.pow(2,3)',
        'return table.getn({1,2})',
        'return unpack({1,2})',
        'return tostring(1/3)',
        "return 'x' .. 7/2",
        'return gcinfo() > 0',
        "return collectgarbage('count') > 0",
        'return type(math.random(1000))',
      ]),
    ));
});

describe('redis library', { skip }, () => {
  test('helpers and constants', () =>
    same(
      evalSteps([
        "return redis.sha1hex('')",
        'return redis.sha1hex(12)',
        'return redis.sha1hex()',
        "return redis.sha1hex('a','b')",
        'return redis.breakpoint()',
        "return redis.debug('x')",
        'return redis.replicate_commands()',
        'return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}',
        'return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}',
        'return {redis.REDIS_VERSION_NUM, redis.REDIS_VERSION}',
      ]),
    ));

  test('argument checks', () =>
    same(
      evalSteps([
        'return redis.setresp()',
        'return redis.setresp(4)',
        "return redis.setresp('3')",
        'return redis.set_repl()',
        'return redis.set_repl(9)',
        'return redis.set_repl(redis.REPL_ALL)',
        "redis.log(redis.LOG_WARNING, 'from a test')",
        'redis.log()',
        'redis.log(redis.LOG_WARNING)',
        "redis.log(99, 'x')",
        "redis.log('x', 'hello')",
        "return redis.acl_check_cmd('get','x')",
        "return redis.acl_check_cmd('nosuch')",
        'return redis.acl_check_cmd()',
        "return redis.acl_check_cmd('config','get')",
        "return redis.acl_check_cmd('config','nosuch')",
      ]),
    ));
});

describe('cjson, bit and cmsgpack', { skip }, () => {
  test('cjson', () =>
    same(
      evalSteps([
        'return cjson.encode({})',
        'return cjson.encode({a={}})',
        'return cjson.encode({b={1,2}})',
        "return cjson.encode('x\"/\\\\' .. string.char(1, 127, 200))",
        'return cjson.encode(1/3)',
        'return cjson.encode(1e20)',
        'return cjson.encode(cjson.null)',
        'return cjson.encode({1,2,nil,4})',
        'return cjson.encode({[1]=1,[3]=3})',
        'return cjson.encode({1,2,[20]=3})',
        'return cjson.encode(function() end)',
        'return cjson.encode({[true]=1})',
        'return cjson.encode(0/0)',
        'return cjson.encode()',
        'return type(cjson.decode("null"))',
        'return cjson.encode(cjson.decode("[1,null,3]"))',
        'return cjson.decode(\'{"a":[1,2.5,null,true],"b":"\\\\u00e9\\\\ud83d\\\\ude00"}\').b',
        "return cjson.decode('x')",
        "return cjson.decode('[1,2')",
        "return cjson.decode(' [1] x')",
        "return cjson.decode('[1,]')",
        'return cjson.decode(\'{"a" 1}\')',
        "return cjson.decode('{,}')",
        "return cjson.decode('[\"abc')",
        'return cjson.decode(\'"\\\\x"\')',
        "return cjson.decode('-')",
        "return cjson.decode('01')",
        "return cjson.decode('0x10')",
        "return cjson.decode('1e')",
        'return cjson.decode()',
      ]),
    ));

  test('bit', () =>
    same(
      evalSteps([
        'return {bit.band(0xff, 0x0f), bit.bor(1,2,4), bit.bxor(5,3), bit.bnot(0)}',
        'return {bit.lshift(1,31), bit.rshift(-1, 28), bit.arshift(-256, 4)}',
        "return {bit.tobit(2^32+5), bit.tobit(-1), bit.tobit(1.5), bit.tobit(2.5), bit.tobit('0x10')}",
        'return {bit.tohex(255), bit.tohex(-1, 3), bit.tohex(65535, -4)}',
        'return {bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x12345678)}',
        "return bit.band('x')",
        'return bit.band()',
      ]),
    ));

  test('cmsgpack', () =>
    same(
      evalSteps([
        'return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65536, 2^32, -32, -33, -129, -32769)',
        "return cmsgpack.pack(1.5, 0.1, 'abc', true, false, {1,2,3}, {a=1}, {})",
        "return cmsgpack.pack(string.rep('x', 40), string.rep('y', 300))",
        "return cmsgpack.unpack(cmsgpack.pack({1,2,{3,4},'x'}))",
        "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', 3.5))}",
        "return cmsgpack.unpack(cmsgpack.pack({a={b='c'}})).a.b",
        'return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}',
        'return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}',
        'return #cmsgpack.pack({{{{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}}})',
        "return cmsgpack.unpack('')",
        'return cmsgpack.unpack(string.char(0xdc))',
        'return cmsgpack.unpack(string.char(0xc1))',
        'return cmsgpack.pack()',
      ]),
    ));
});

describe('SCRIPT', { skip }, () => {
  test('LOAD, EXISTS and FLUSH', () =>
    same([
      ['SCRIPT', 'LOAD', 'return 1'],
      ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'abc'],
      ['SCRIPT', 'FLUSH', 'foo'],
      ['SCRIPT', 'FLUSH', 'sync', 'async'],
      ['SCRIPT', 'FLUSH', 'async'],
      ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
      ['SCRIPT', 'LOAD', 'return 1'],
      ['SCRIPT', 'FLUSH'],
      ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
    ]));

  test('KILL, HELP, DEBUG and errors', () =>
    same([
      ['SCRIPT', 'KILL'],
      ['SCRIPT', 'HELP'],
      ['SCRIPT', 'DEBUG', 'no'],
      ['SCRIPT', 'FOO'],
      ['SCRIPT'],
      ['SCRIPT', 'LOAD'],
      ['SCRIPT', 'EXISTS'],
    ]));

  test('EVAL caches the script', () =>
    same([
      ['EVAL', 'return 2', '0'],
      ['SCRIPT', 'EXISTS', '7f923f79fe76194c868d7e1d0820de36700eb649'],
      ['EVALSHA', '7f923f79fe76194c868d7e1d0820de36700eb649', '0'],
    ]));
});

describe('scripts and transactions', { skip }, () => {
  test('EVAL inside MULTI', () =>
    same([
      ['MULTI'],
      ['EVAL', "redis.call('set', KEYS[1], 'a') return redis.call('get', KEYS[1])", '1', 'k'],
      ['EVAL', "return redis.call('get', 'missing')", '0'],
      ['EXEC'],
    ]));

  test('WATCH sees keys a script writes', async () => {
    assert.ok(redis);
    for (const port of [damselfly.port, redis.port]) {
      const watcher = await RawClient.connect(port);
      const writer = await RawClient.connect(port);
      await watcher.call(['WATCH', 'w']);
      await writer.call(['EVAL', "return redis.call('set', 'w', '1')", '0']);
      await watcher.call(['MULTI']);
      await watcher.call(['SET', 'w', '2']);
      const reply = await watcher.call(['EXEC']);
      assert.equal(reply.toString(), '*-1\r\n', `port ${port}`);
      watcher.destroy();
      writer.destroy();
    }
  });
});

describe('journaling', () => {
  test('script writes are journaled inside MULTI/EXEC and replay', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({
      dir,
      args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    });
    const client = await RawClient.connect(server.port);
    const script =
      "redis.call('set', KEYS[1], ARGV[1]) redis.call('incrby', KEYS[2], 5) " +
      "redis.call('get', KEYS[1]) return redis.call('lpush', KEYS[3], 'a', 'b')";
    assert.equal(
      (await client.call(['EVAL', script, '3', 'k', 'n', 'l', 'v'])).toString(),
      ':2\r\n',
    );
    assert.equal(
      (await client.call(['EVAL', "return redis.call('get', 'k')", '0'])).toString(),
      '$1\r\nv\r\n',
    );
    const library =
      "#!lua name=journal\nredis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)";
    await client.call(['FUNCTION', 'LOAD', library]);
    assert.equal((await client.call(['FCALL', 'bump', '1', 'n'])).toString(), ':6\r\n');
    client.destroy();
    await server.stop();

    const log = fs.readFileSync(
      path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'),
      'latin1',
    );
    const commands = [...log.matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)].map((match) =>
      match[1].toUpperCase(),
    );
    assert.deepEqual(
      commands.filter((name) => name !== 'SELECT'),
      ['MULTI', 'SET', 'INCRBY', 'LPUSH', 'EXEC', 'FUNCTION', 'MULTI', 'INCR', 'EXEC'],
    );

    const restarted = await startDamselfly({ dir, args: ['--appendonly', 'yes'] });
    const reader = await RawClient.connect(restarted.port);
    assert.equal((await reader.call(['GET', 'k'])).toString(), '$1\r\nv\r\n');
    assert.equal((await reader.call(['GET', 'n'])).toString(), '$1\r\n6\r\n');
    assert.equal((await reader.call(['LLEN', 'l'])).toString(), ':2\r\n');
    assert.equal((await reader.call(['FCALL', 'bump', '1', 'n'])).toString(), ':7\r\n');
    reader.destroy();
  });
});
