/**
 * Hostile and long-running scripts: each gets an error reply and other
 * clients stay served. Past busy-reply-threshold other clients get BUSY,
 * SCRIPT KILL and FUNCTION KILL stop a script that has not written, and
 * SHUTDOWN NOSAVE ends the server during one that has. Before the
 * threshold other clients' commands wait and never run inside a script.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawClient } from './support/raw-client';
import type { ServerProcess } from './support/server-process';
import { sleep, stopAllServers } from './support/server-process';
import { startDamselfly } from './support/servers';

const THRESHOLD_MS = 200;
const BUSY_EVAL =
  '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n';
const BUSY_FUNCTION =
  '-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n';

let server: ServerProcess;

before(async () => {
  server = await startDamselfly({
    args: ['--busy-reply-threshold', String(THRESHOLD_MS), '--lua-memory-limit', '16mb'],
  });
});
after(stopAllServers);

async function call(port: number, args: string[], timeoutMs = 5000): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    return (await client.call(args, timeoutMs)).toString('latin1');
  } finally {
    client.destroy();
  }
}

/** Sends a request without waiting; returns a promise of its reply. */
async function start(
  port: number,
  args: string[],
): Promise<{ reply: Promise<string>; client: RawClient }> {
  const client = await RawClient.connect(port);
  await client.send(encode(args));
  return { reply: client.readReply(30_000).then((bytes) => bytes.toString('latin1')), client };
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

/** Waits until a PING gets BUSY, so the script runs past the threshold. */
async function waitUntilBusy(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const reply = await call(port, ['PING']);
    if (reply.startsWith('-BUSY')) return;
    await sleep(20);
  }
  assert.fail('the script never became busy');
}

describe('runaway scripts', () => {
  test('infinite loop: BUSY, then SCRIPT KILL', async () => {
    const runaway = await start(server.port, ['EVAL', 'while true do end', '0']);
    await waitUntilBusy(server.port);
    assert.equal(await call(server.port, ['GET', 'x']), BUSY_EVAL);
    assert.equal(await call(server.port, ['FUNCTION', 'KILL']), BUSY_EVAL);
    const stats = await call(server.port, ['FUNCTION', 'STATS']);
    assert.match(stats, /running_script\r\n\*6\r\n\$4\r\nname\r\n/);
    assert.match(stats, /while true do end/);
    assert.equal(await call(server.port, ['SCRIPT', 'KILL']), '+OK\r\n');
    const reply = await runaway.reply;
    assert.match(
      reply,
      /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: \w{40}, on @user_script:1\.\r\n$/,
    );
    runaway.client.destroy();
    assert.equal(await call(server.port, ['PING']), '+PONG\r\n');
    assert.equal(
      await call(server.port, ['SCRIPT', 'KILL']),
      '-NOTBUSY No scripts in execution right now.\r\n',
    );
  });

  test('pcall cannot catch SCRIPT KILL', async () => {
    const script = 'while true do pcall(function() while true do end end) end';
    const runaway = await start(server.port, ['EVAL', script, '0']);
    await waitUntilBusy(server.port);
    assert.equal(await call(server.port, ['SCRIPT', 'KILL']), '+OK\r\n');
    assert.match(await runaway.reply, /^-ERR Script killed by user with SCRIPT KILL/);
    runaway.client.destroy();
  });

  test('loop inside a coroutine is killable', async () => {
    const script = 'local co = coroutine.wrap(function() while true do end end) co()';
    const runaway = await start(server.port, ['EVAL', script, '0']);
    await waitUntilBusy(server.port);
    assert.equal(await call(server.port, ['SCRIPT', 'KILL']), '+OK\r\n');
    assert.match(await runaway.reply, /^-ERR Script killed by user with SCRIPT KILL/);
    runaway.client.destroy();
  });

  test('script that wrote is UNKILLABLE', async () => {
    const script =
      "redis.call('set', 'w', '1') local n = 0 while n < 3e7 do n = n + 1 end return n";
    const running = await start(server.port, ['EVAL', script, '0']);
    await waitUntilBusy(server.port);
    const kill = await call(server.port, ['SCRIPT', 'KILL']);
    assert.match(kill, /^-UNKILLABLE Sorry the script already executed write commands/);
    assert.equal(await call(server.port, ['SHUTDOWN']), BUSY_EVAL);
    assert.equal(await running.reply, ':30000000\r\n');
    running.client.destroy();
    assert.equal(await call(server.port, ['GET', 'w']), '$1\r\n1\r\n');
  });

  test('functions: BUSY, then FUNCTION KILL', async () => {
    const library =
      "#!lua name=spin\nredis.register_function('spin', function() while true do end end)";
    assert.equal(
      await call(server.port, ['FUNCTION', 'LOAD', 'REPLACE', library]),
      '$4\r\nspin\r\n',
    );
    const runaway = await start(server.port, ['FCALL', 'spin', '0']);
    await waitUntilBusy(server.port);
    assert.equal(await call(server.port, ['PING']), BUSY_FUNCTION);
    assert.equal(await call(server.port, ['SCRIPT', 'KILL']), BUSY_FUNCTION);
    assert.equal(await call(server.port, ['FUNCTION', 'KILL']), '+OK\r\n');
    assert.match(
      await runaway.reply,
      /^-ERR Script killed by user with SCRIPT KILL\.\.\. script: spin, on @user_function:2\.\r\n$/,
    );
    runaway.client.destroy();
  });

  test('unpausable loop is stopped after a grace period', async () => {
    // A table.sort comparator is called from C, where Lua cannot pause the script.
    const script = 'local t = {3, 2, 1} table.sort(t, function(a, b) while true do end end)';
    const reply = await call(server.port, ['EVAL', script, '0'], 15_000);
    assert.match(reply, /^-ERR Script stopped: it ran 5000 ms past busy-reply-threshold/);
    assert.equal(await call(server.port, ['PING']), '+PONG\r\n');
  });
});

describe('atomicity', () => {
  test('other clients wait for a short script', async () => {
    // Busy for about half the threshold, between two writes of the same key.
    const script =
      "redis.call('set', 'a', 'first') local t = redis.call('time') " +
      'local stop = t[1] * 1000000 + t[2] + 100000 ' +
      "repeat t = redis.call('time') until t[1] * 1000000 + t[2] >= stop " +
      "redis.call('set', 'a', 'second') return 'done'";
    const running = await start(server.port, ['EVAL', script, '0']);
    await sleep(30);
    assert.equal(await call(server.port, ['GET', 'a']), '$6\r\nsecond\r\n');
    assert.equal(await running.reply, '$4\r\ndone\r\n');
    running.client.destroy();
  });

  test('caller pipeline waits for a paused script', async () => {
    const client = await RawClient.connect(server.port);
    const script = 'local n = 0 while n < 3e7 do n = n + 1 end return n';
    await client.send(encode(['EVAL', script, '0']) + encode(['PING']));
    const replies = await client.readReplies(2, 30_000);
    assert.equal(replies[0].toString(), ':30000000\r\n');
    assert.equal(replies[1].toString(), '+PONG\r\n');
    client.destroy();
  });
});

describe('hostile scripts', () => {
  const cases: [string, RegExp][] = [
    ['local t = {} for i = 1, 1e8 do t[i] = i end', /not enough memory/],
    ["local s = string.rep('x', 2^31)", /resulting string too large|not enough memory/],
    ["local s = 'x' for i = 1, 40 do s = s .. s end return #s", /not enough memory/],
    // With a 16 MB heap the Lua stack may reach the memory limit before its own limit.
    ['local function f(n) return f(n + 1) + 1 end return f(1)', /stack overflow|not enough memory/],
    ['local function f() return pcall(f) end return f()', /./],
    [
      'local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x',
      /C stack overflow/,
    ],
    ['return os.execute("true")', /nonexistent global variable 'os'/],
    ["return io.open('/etc/passwd')", /nonexistent global variable 'io'/],
    ["return require('os')", /nonexistent global variable 'require'/],
    ['return debug.getinfo(1)', /nonexistent global variable 'debug'/],
    ["return dofile('/etc/passwd')", /nonexistent global variable 'dofile'/],
    ['return package.loaded', /nonexistent global variable 'package'/],
    ['return string.dump(function() end)', /attempt to call a nil value/],
    ["return load(string.char(27) .. 'Lua')", /^\$-1|binary chunk/],
    ["return loadstring(string.char(27) .. 'LuaT')", /^\$-1|binary chunk/],
    ['setmetatable(_G, nil)', /Attempt to modify a readonly table/],
    ["rawset(_G, 'x', 1)", /Attempt to modify a readonly table/],
    ['x = 1', /Attempt to modify a readonly table/],
    ['redis.call = nil', /Attempt to modify a readonly table/],
    ["getmetatable('').__index.upper = nil", /Attempt to modify a readonly table/],
    ['coroutine.yield()', /attempt to yield from outside a coroutine/],
    ["collectgarbage('stop') return collectgarbage('isrunning')", /^:1\r\n$/],
  ];
  for (const [script, expected] of cases) {
    test(script, async () => {
      const reply = await call(server.port, ['EVAL', script, '0'], 15_000);
      assert.match(reply, expected);
      assert.equal(await call(server.port, ['PING']), '+PONG\r\n');
    });
  }

  test('heap limit applies to loaded data too', async () => {
    assert.equal(await call(server.port, ['SET', 'big', 'y'.repeat(20_000_000)]), '+OK\r\n');
    const reply = await call(server.port, ['EVAL', "return #redis.call('get', 'big')", '0']);
    assert.match(reply, /not enough memory/);
    assert.equal(await call(server.port, ['DEL', 'big']), ':1\r\n');
  });

  test('scripts still run after the hostile ones', async () => {
    assert.equal(await call(server.port, ['EVAL', 'return 1 + 1', '0']), ':2\r\n');
  });
});

describe('SHUTDOWN NOSAVE', () => {
  test('ends the server during a writing script', async () => {
    const doomed = await startDamselfly({ args: ['--busy-reply-threshold', String(THRESHOLD_MS)] });
    const script = "redis.call('set', 'w', '1') while true do end";
    const running = await start(doomed.port, ['EVAL', script, '0']);
    const ended = running.reply.catch(() => 'connection closed');
    await waitUntilBusy(doomed.port);
    assert.match(await call(doomed.port, ['SCRIPT', 'KILL']), /^-UNKILLABLE/);
    const client = await RawClient.connect(doomed.port);
    await client.send(encode(['SHUTDOWN', 'NOSAVE']));
    const status = await Promise.race([doomed.exited, sleep(10_000).then(() => null)]);
    assert.ok(status !== null, 'the server exited');
    assert.equal(status.code, 0);
    client.destroy();
    running.client.destroy();
    assert.equal(await ended, 'connection closed');
  });
});
