/**
 * Checks that the test helpers work with Damselfly itself: start, readiness,
 * logs, exit status and a differential run. Skipped until dist/src/main.js is
 * built, because the server entry point may not exist yet.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { assertDifferential } from './differential';
import { RawClient } from './raw-client';
import {
  DAMSELFLY_ENTRY,
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
} from './servers';

const notBuilt = fs.existsSync(DAMSELFLY_ENTRY) ? undefined : `${DAMSELFLY_ENTRY} is not built`;

describe('startDamselfly', { skip: notBuilt }, () => {
  test('starts, logs JSON and exits 0 on SIGTERM', async () => {
    const server = await startDamselfly();
    const client = await RawClient.connect(server.port);

    assert.equal((await client.call(['PING'])).toString(), '+PONG\r\n');
    client.destroy();

    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    assert.ok(server.logRecords().length > 0, `no JSON log lines in:\n${server.stdout()}`);
  });

  test('rejects when the server exits during startup', async () => {
    await assert.rejects(
      startDamselfly({ args: ['--no-such-option', 'x'] }),
      /damselfly exited before it was ready; exit code 1/,
    );
  });

  test('reports the exit code of a failed start', async () => {
    const server = await startDamselfly({
      args: ['--no-such-option', 'x'],
      waitUntilReady: false,
    });

    assert.equal((await server.exited).code, 1);
    assert.match(server.stdout() + server.stderr(), /no-such-option/);
  });
});

describe('Damselfly against redis-server', { skip: notBuilt ?? redisServerSkipReason() }, () => {
  test('replies to basic commands like Redis', async () => {
    const damselfly = await startDamselfly();
    const redis = await startRedisServer();
    assert.ok(redis);

    await assertDifferential(damselfly, redis, [
      ['PING'],
      ['PING', 'hello'],
      ['SET', 'greeting', 'hello'],
      ['GET', 'greeting'],
      ['NOSUCHCOMMAND'],
      'PING\r\n',
    ]);
  });
});
