import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';

import { RawClient } from './raw-client';
import { ServerProcess, sleep } from './server-process';
import {
  findFreePort,
  memcachedSkipReason,
  redisServerSkipReason,
  startMemcached,
  startRedisServer,
} from './servers';

/** Returns whether a process with this id is running. A zombie counts as dead. */
function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;

  try {
    // The third field of /proc/PID/stat is the state, and Z means zombie.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits up to `timeoutMs` for the process to die and returns whether it did. */
async function waitForDeath(pid: number, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(20);
  return !isAlive(pid);
}

/** Spawns node running `source` as a stand-in server. */
function spawnNode(source: string): ServerProcess {
  return new ServerProcess('node-script', process.execPath, ['-e', source], 0, '');
}

describe('findFreePort', () => {
  test('returns a port that can be bound', async () => {
    const port = await findFreePort();
    const server = net.createServer();

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    server.close();
  });
});

describe('ServerProcess', () => {
  test('captures output and parses JSON log lines', async () => {
    const server = spawnNode(
      'console.log(JSON.stringify({ level: 30, msg: "ready" })); console.log("plain line");' +
        'console.error("to stderr");',
    );

    const line = await server.waitForOutput(/"msg":"ready"/);
    const status = await server.exited;

    assert.equal(line, '{"level":30,"msg":"ready"}');
    assert.deepEqual(server.logRecords(), [{ level: 30, msg: 'ready' }]);
    assert.equal(server.stderr(), 'to stderr\n');
    assert.deepEqual(status, { code: 0, signal: null });
  });

  test('stops with SIGTERM', async () => {
    const server = spawnNode(
      'process.on("SIGTERM", () => process.exit(3)); console.log("armed");' +
        'setInterval(() => {}, 1000);',
    );
    await server.waitForOutput(/armed/);

    const status = await server.stop();

    assert.deepEqual(status, { code: 3, signal: null });
    assert.equal(isAlive(server.pid), false);
  });

  test('falls back to SIGKILL when SIGTERM is ignored', async () => {
    const server = spawnNode(
      'process.on("SIGTERM", () => {}); console.log("armed"); setInterval(() => {}, 1000);',
    );
    await server.waitForOutput(/armed/);

    const status = await server.stop(200);

    assert.equal(status.signal, 'SIGKILL');
    assert.equal(isAlive(server.pid), false);
  });

  test(
    'kills servers when the test process is killed',
    { skip: process.platform !== 'linux' },
    async () => {
      // A separate node process starts a stand-in server, prints its pid and
      // then SIGKILLs itself, so no cleanup code of its own can run.
      const modulePath = path.join(__dirname, 'server-process.js');
      const script = [
        `const { ServerProcess } = require(${JSON.stringify(modulePath)});`,
        `const server = new ServerProcess('stand-in', process.execPath,`,
        `  ['-e', 'setInterval(() => {}, 1000)'], 0, '');`,
        'console.log(server.pid);',
        "setTimeout(() => process.kill(process.pid, 'SIGKILL'), 200);",
      ].join('\n');
      const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      const pid = Number(/^\d+$/m.exec(result.stdout)?.[0]);

      assert.equal(result.signal, 'SIGKILL');
      assert.ok(pid > 0, `no pid in output: ${result.stdout}`);
      assert.equal(await waitForDeath(pid), true, `server ${pid} outlived its parent`);
    },
  );

  test('reports a command that cannot start', async () => {
    const server = new ServerProcess('missing', '/nonexistent/server', [], 0, '');
    const status = await server.exited;

    assert.equal(status.code, null);
    assert.match(String(status.error), /ENOENT/);
  });

  test('times out waiting for output that never comes', async () => {
    const server = spawnNode('setInterval(() => {}, 1000);');

    await assert.rejects(server.waitForOutput(/never/, 100), /still running after 100 ms/);
    await server.stop();
  });
});

describe('startRedisServer', { skip: redisServerSkipReason() }, () => {
  test('starts, replies to PING and exits 0 on SIGTERM', async () => {
    const server = await startRedisServer();
    assert.ok(server);
    const client = await RawClient.connect(server.port);

    assert.equal((await client.call(['PING'])).toString(), '+PONG\r\n');
    assert.equal((await client.call(['CONFIG', 'GET', 'dir'])).includes(server.dir), true);
    client.destroy();

    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    assert.match(server.stdout(), /Ready to accept connections/);
    assert.equal(isAlive(server.pid), false);
  });

  test('lets extra flags replace a default', async () => {
    const server = await startRedisServer({ args: ['--save', '3600 1'] });
    assert.ok(server);
    const client = await RawClient.connect(server.port);
    const reply = await client.call(['CONFIG', 'GET', 'save']);

    assert.equal(reply.toString(), '*2\r\n$4\r\nsave\r\n$6\r\n3600 1\r\n');
    client.destroy();
  });

  test('rejects when the server exits during startup', async () => {
    await assert.rejects(
      startRedisServer({ args: ['--no-such-option', 'x'] }),
      /redis-server exited before it was ready; exit code 1/,
    );
  });

  test('returns at once when not waiting until ready', async () => {
    const server = await startRedisServer({
      args: ['--no-such-option', 'x'],
      waitUntilReady: false,
    });
    assert.ok(server);

    assert.equal((await server.exited).code, 1);
    assert.match(server.stdout() + server.stderr(), /no-such-option/);
  });
});

describe('startMemcached', { skip: memcachedSkipReason() }, () => {
  test('starts, stores a value and stops', async () => {
    const server = await startMemcached();
    assert.ok(server);
    const client = await RawClient.connect(server.port);

    await client.send('set greeting 0 0 5\r\nhello\r\n');
    assert.equal((await client.readUntil('\r\n')).toString(), 'STORED\r\n');
    await client.send('get greeting\r\n');
    const reply = await client.readUntil('END\r\n');
    assert.equal(reply.toString(), 'VALUE greeting 0 5\r\nhello\r\nEND\r\n');
    client.destroy();

    // memcached 1.6 exits 0 on SIGTERM after about a second.
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    assert.equal(isAlive(server.pid), false);
  });
});
