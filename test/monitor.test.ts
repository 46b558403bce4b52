/**
 * MONITOR lines and CLIENT PAUSE compared with redis-server: which commands
 * are shown and how their arguments are quoted and redacted, which requests
 * a pause holds, and the pause errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential } from './support/differential';
import { encodeCommand, RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  sleep,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Commands sent while a MONITOR connection listens; admin and unknown ones are not shown. */
const MONITORED: string[][] = [
  ['SET', 'k', 'a"b\\c\n\r\t\x01\x7f\xe9 end'],
  ['GET'],
  ['NOSUCH', 'x'],
  ['AUTH', 'password'],
  ['AUTH', 'user', 'password'],
  ['HELLO', '2', 'AUTH', 'user', 'password'],
  ['CONFIG', 'GET', 'port'],
  ['MULTI'],
  ['SET', 'a', '1'],
  ['EXEC'],
  ['EVAL', 'redis.call("set", "x", "1")', '0'],
  ['CLIENT', 'SETNAME', 'watched'],
  ['SELECT', '1'],
  ['PING'],
  ['SELECT', '0'],
];

/**
 * Returns the monitor lines a server writes while another connection sends
 * MONITORED, with timestamps and client ports masked.
 */
async function monitorLines(port: number): Promise<string[]> {
  const monitor = await RawClient.connect(port);
  const sender = await RawClient.connect(port);
  try {
    assert.equal((await monitor.call(['MONITOR'])).toString(), '+OK\r\n');
    for (const command of MONITORED) {
      await sender.call(command.map((arg) => Buffer.from(arg, 'latin1')));
    }
    await sleep(200);
    return monitor.buffered
      .toString('latin1')
      .split('\r\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/^\+\d+\.\d{6} /, '+TIME ').replace(/:\d+\]/, ':PORT]'));
  } finally {
    monitor.destroy();
    sender.destroy();
  }
}

/** Sends a command and returns its reply with the time it took in ms. */
async function timedCall(client: RawClient, command: string[]): Promise<[string, number]> {
  const started = Date.now();
  const reply = (await client.call(command)).toString();
  return [reply, Date.now() - started];
}

/**
 * Pauses one server with `mode`, then sends `command` from another
 * connection; returns its reply and whether it waited for the pause.
 */
async function pausedReply(port: number, mode: string, command: string[]): Promise<string> {
  const admin = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  try {
    await admin.call(['CLIENT', 'PAUSE', '400', mode]);
    const [reply, elapsed] = await timedCall(other, command);
    return `${reply.trim()} ${elapsed >= 300 ? 'waited' : 'at once'}`;
  } finally {
    admin.destroy();
    other.destroy();
  }
}

describe('MONITOR and CLIENT PAUSE against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    const started = await Promise.all([startDamselfly(), startRedisServer()]);
    damselfly = started[0];
    redis = started[1] as ServerProcess;
  });

  after(stopAllServers);

  test('MONITOR shows the same lines', async () => {
    const [ours, theirs] = await Promise.all([
      monitorLines(damselfly.port),
      monitorLines(redis.port),
    ]);
    assert.deepEqual(ours, theirs);
  });

  test('a second MONITOR replies nothing', async () => {
    for (const port of [damselfly.port, redis.port]) {
      const monitor = await RawClient.connect(port);
      await monitor.call(['MONITOR']);
      await monitor.send('*1\r\n$7\r\nMONITOR\r\n');
      await sleep(100);
      assert.equal(monitor.buffered.length, 0);
      monitor.destroy();
    }
  });

  test('CLIENT PAUSE errors', async () => {
    await assertDifferential({ port: damselfly.port }, { port: redis.port }, [
      ['CLIENT', 'PAUSE', 'abc'],
      ['CLIENT', 'PAUSE', '-1'],
      ['CLIENT', 'PAUSE', '100', 'foo'],
      ['CLIENT', 'PAUSE', '100', 'write', 'extra'],
      ['CLIENT', 'PAUSE'],
      ['CLIENT', 'UNPAUSE', 'extra'],
      ['CLIENT', 'UNPAUSE'],
    ]);
  });

  const cases: [string, string[]][] = [
    ['WRITE', ['GET', 'k']],
    ['WRITE', ['SET', 'k', 'v']],
    ['WRITE', ['PUBLISH', 'channel', 'message']],
    ['WRITE', ['PING']],
    ['ALL', ['PING']],
    ['ALL', ['GET', 'k']],
  ];
  for (const [mode, command] of cases) {
    test(`${mode} pause and ${command[0]}`, async () => {
      const [ours, theirs] = await Promise.all([
        pausedReply(damselfly.port, mode, command),
        pausedReply(redis.port, mode, command),
      ]);
      assert.equal(ours, theirs);
    });
  }

  test('CLIENT UNPAUSE releases held requests in order', async () => {
    const results = await Promise.all(
      [damselfly.port, redis.port].map(async (port) => {
        const admin = await RawClient.connect(port);
        const writer = await RawClient.connect(port);
        await admin.call(['CLIENT', 'PAUSE', '5000', 'WRITE']);
        const started = Date.now();
        await writer.send(
          Buffer.concat([
            encodeCommand(['SET', 'order', '1']),
            encodeCommand(['APPEND', 'order', '2']),
          ]),
        );
        const held = writer.readReplies(2);
        await sleep(100);
        await admin.call(['CLIENT', 'UNPAUSE']);
        const replies = (await held).map((reply) => reply.toString().trim());
        const released = Date.now() - started < 2000;
        const value = (await admin.call(['GET', 'order'])).toString();
        admin.destroy();
        writer.destroy();
        return [...replies, String(released), value];
      }),
    );
    assert.deepEqual(results[0], results[1]);
  });
});
