/**
 * Client-supplied names quoted inside error replies (unknown commands and
 * subcommands, ACL rules, options), compared byte for byte with redis-server.
 * Redis prints them with %s, so a NUL byte ends the quoted text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential } from './support/differential';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

describe('quoted names in error replies', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('unknown command names and arguments end at NUL', async () => {
    await assertDifferential(damselfly, redis, [
      ['nosuch', 'a\0b', 'c'],
      ['no\0such', 'a'],
      ['\0nosuch'],
      ['nosuch', '\0', 'x\r\ny\0z'],
      ['nosuch', 'a'.repeat(100), 'b'.repeat(20) + '\0' + 'c'.repeat(20), 'd'],
    ]);
  });

  test('unknown subcommands end at NUL', async () => {
    await assertDifferential(damselfly, redis, [
      ['CONFIG', 'fo\0o'],
      ['OBJECT', 'x\0y', 'k'],
      ['CLIENT', 'no\0pe'],
      ['MEMORY', 'us\0age'],
      ['XINFO', 'st\0ream', 'k'],
    ]);
  });

  test('ACL and option names end at NUL', async () => {
    await assertDifferential(damselfly, redis, [
      ['ACL', 'SETUSER', 'quoting-user', '+ge\0t'],
      ['ACL', 'CAT', 'a\0b'],
      ['ACL', 'DRYRUN', 'a\0b', 'get'],
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '10', 'n\0x'],
      ['ACL', 'DELUSER', 'quoting-user'],
    ]);
  });
});
