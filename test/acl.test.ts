/**
 * ACL against redis-server: the rule grammar of ACL SETUSER, how ACL LIST
 * and ACL GETUSER describe users, NOPERM texts, ACL LOG entries, AUTH and
 * HELLO, and the other ACL subcommands, compared byte for byte.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential, type Normalizer, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/**
 * Sorts the single-command rules (`+get -set`) inside described rules: Redis
 * emits them in its hash table's order, which differs between processes.
 */
const sortSingleCommands: Normalizer = (text) =>
  text.replace(/((?: [+-](?!@)[^ \r\n]+)+)/g, (run) => {
    const tokens = run.trim().split(' ').sort();
    return ` ${tokens.join(' ')}`;
  });

/**
 * Makes ACL LOG entries comparable: Redis 7.0 has no entry-id and
 * timestamp fields (7.2 added them), ages and client details vary.
 */
const normalizeLog: Normalizer[] = [
  [/\*20\r\n\$5\r\ncount/g, '*14\r\n$5\r\ncount'],
  [/\$8\r\nentry-id\r\n:\d+\r\n\$17\r\ntimestamp-created\r\n:\d+\r\n/g, ''],
  [/\$22\r\ntimestamp-last-updated\r\n:\d+\r\n/g, ''],
  [/(\$11\r\nage-seconds\r\n)\$\d+\r\n[^\r]*\r\n/g, '$1AGE\r\n'],
  [/\$\d+\r\nid=\d+ addr=[^\r]*cmd=([^ ]+) user=([^ ]+)[^\r]*\r\n/g, 'CLIENT cmd=$1 user=$2\r\n'],
];

describe('ACL against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly({ args: ['--auth-failure-delay', '0'] });
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  const compare = (steps: Step[], normalize: Normalizer[] = []) =>
    assertDifferential(damselfly, redis, steps, {
      normalize: [sortSingleCommands, [/(\$2\r\nid\r\n):\d+/, '$1:ID'], ...normalize],
    });

  test('SETUSER rule errors', async () => {
    const rules = [
      'foo',
      '+nosuch',
      '+@nosuch',
      '#abc',
      '!abc',
      '%X~a',
      '%~a',
      '%RR~a',
      '<nope',
      `!${'0'.repeat(64)}`,
      '+config|nosuch',
      '+config|get|x',
      '-select|0',
      '+select|',
      '(~x',
      '(',
      ')',
      'allkeys ~x',
      '~* ~x',
      '&* &x',
      '+nosuch|x',
      '-get|x',
    ];
    const steps: Step[] = rules.map((rule) => [
      'ACL',
      'SETUSER',
      'e1',
      'reset',
      ...rule.split(' '),
    ]);
    steps.push(['ACL', 'SETUSER', 'a b'], ['ACL', 'SETUSER', 'e1', '~* ~*', 'on']);
    steps.push(['ACL', 'LIST'], ['ACL', 'DELUSER', 'e1']);
    await compare(steps);
  });

  test('LIST and GETUSER describe users', async () => {
    const rules = [
      '',
      'on',
      'on nopass',
      '>a >b',
      '>a >a',
      'nopass >x',
      'on >x nopass',
      '~a ~b %R~c %W~d %RW~e',
      '~a %R~a',
      '%R~a %W~a',
      '%r~a',
      '%R~* ~b',
      'allkeys',
      'resetkeys ~a',
      '&a &b',
      '&a &a',
      'allchannels',
      '+@all',
      '-@all',
      'allcommands',
      'nocommands',
      '+@all -get',
      '-@all +get',
      '+@all -get +get',
      '+get +set -get',
      '+@read -@read',
      '+@all -@dangerous',
      '+@all -@admin',
      '-@all +@admin',
      '-@all +@dangerous',
      '+@all -@admin -@dangerous',
      '+@all -@write',
      '-@all +@hash',
      '-@all +@string -get',
      '-@all +@string',
      '+@all -@fast',
      '+@all -@keyspace',
      '+@all -@slow',
      '+config|get',
      '+CONFIG|GET',
      '+@all -config|set',
      '-config|set',
      '+config -config|set',
      '+acl|whoami',
      '+select|0',
      '+select|A +select|b',
      '+select|a -select',
      '+get|a +get',
      '+@ALL',
      'ON',
      '+Get',
      'sanitize-payload',
      'skip-sanitize-payload',
      '(+get ~x) (+set ~y)',
      '(~x resetchannels &ch +get)',
      '() clearselectors',
      '( +get )',
      '(+get ~x) clearselectors',
      '(~a %R~b &c +@hash)',
    ];
    const steps: Step[] = [];
    for (const rule of rules) {
      const words = rule === '' ? [] : rule.split(' ');
      steps.push(
        ['ACL', 'SETUSER', 'g1', 'reset', ...words],
        ['ACL', 'GETUSER', 'g1'],
        ['ACL', 'LIST'],
      );
    }
    steps.push(['ACL', 'SETUSER', 'g2', '>p', '~k', '+get'], ['ACL', 'GETUSER', 'g2']);
    steps.push(['ACL', 'GETUSER', 'default'], ['ACL', 'GETUSER', 'nosuch'], ['ACL', 'USERS']);
    steps.push(['ACL', 'DELUSER', 'g1', 'g2', 'nosuch']);
    await compare(steps);
  });

  test('GETUSER in RESP3', async () => {
    await compare([
      ['HELLO', '3'],
      ['ACL', 'SETUSER', 'r3', 'on', '>p', '~a', '&b', '+get', '(+set ~c)'],
      ['ACL', 'GETUSER', 'r3'],
      ['ACL', 'GETUSER', 'nosuch'],
      ['ACL', 'DELUSER', 'r3'],
    ]);
  });

  test('NOPERM texts and ACL LOG', async () => {
    const as = (user: string): Step => ['AUTH', user, 'pw'];
    const steps: Step[] = [
      ['ACL', 'LOG', 'RESET'],
      [
        'ACL',
        'SETUSER',
        'n1',
        'on',
        '>pw',
        '~k*',
        '%R~r*',
        '%W~w*',
        '&ch*',
        '+get',
        '+set',
        '+publish',
      ],
      ['ACL', 'SETUSER', 'n1', '+subscribe', '+psubscribe', '+spublish', '+mget', '+config|get'],
      as('n1'),
      ['SET', 'k1', 'v'],
      ['GET', 'k1'],
      ['GET', 'zz'],
      ['MGET', 'k1', 'k2', 'zz'],
      ['INCR', 'k1'],
      ['CONFIG', 'SET', 'port', '1'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['GET', 'r1'],
      ['SET', 'r1', 'v'],
      ['SET', 'w1', 'v'],
      ['GET', 'w1'],
      ['PUBLISH', 'ch1', 'm'],
      ['PUBLISH', 'zz', 'm'],
      ['PSUBSCRIBE', 'ch*x'],
      ['SPUBLISH', 'zz', 'm'],
      ['MULTI'],
      ['GET', 'zz'],
      ['DISCARD'],
      ['AUTH', 'n1', 'wrong'],
      ['AUTH', 'nosuch', 'wrong'],
      ['AUTH', 'default', 'x'],
      ['ACL', 'LOG'],
      ['ACL', 'LOG', '2'],
      ['ACL', 'LOG', '0'],
      ['ACL', 'LOG', '-1'],
      ['ACL', 'LOG', 'x'],
      ['ACL', 'LOG', '1', '2'],
      ['ACL', 'LOG', 'RESET'],
      ['ACL', 'LOG'],
      ['ACL', 'DELUSER', 'n1'],
    ];
    await compare(steps, normalizeLog);
  });

  test('selectors allow what any selector allows', async () => {
    await compare([
      ['ACL', 'SETUSER', 's1', 'on', '>pw', '~a*', '+get', '(~b* +set)', '(&c* +publish ~x)'],
      ['AUTH', 's1', 'pw'],
      ['GET', 'a1'],
      ['GET', 'b1'],
      ['SET', 'b1', 'v'],
      ['SET', 'a1', 'v'],
      ['PUBLISH', 'c1', 'm'],
      ['PUBLISH', 'd1', 'm'],
      ['DEL', 'a1'],
      ['AUTH', 'default', 'x'],
      ['ACL', 'DELUSER', 's1'],
    ]);
  });

  test('AUTH and HELLO AUTH', async () => {
    await compare([
      ['AUTH', 'x'],
      ['AUTH', 'a', 'b', 'c'],
      ['AUTH', 'default', 'x'],
      ['ACL', 'WHOAMI'],
      ['ACL', 'SETUSER', 'h1', 'on', '>p1', '~*', '+@all'],
      ['HELLO', '3', 'AUTH', 'h1', 'wrong'],
      ['HELLO', '3', 'AUTH', 'h1', 'p1'],
      ['ACL', 'WHOAMI'],
      ['HELLO', '2', 'AUTH', 'nosuch', 'p1'],
      ['HELLO', '2', 'AUTH', 'h1'],
      ['AUTH', 'h1', 'p1'],
      ['ACL', 'SETUSER', 'h1', '<p1'],
      ['AUTH', 'h1', 'p1'],
      ['AUTH', 'h1', ''],
      ['ACL', 'SETUSER', 'h1', 'nopass'],
      ['AUTH', 'h1', 'anything'],
      ['ACL', 'SETUSER', 'h1', 'off'],
      ['AUTH', 'h1', 'anything'],
      ['AUTH', 'default', 'x'],
      ['ACL', 'DELUSER', 'h1'],
    ]);
  });

  test('requirepass is the default user password', async () => {
    await compare([
      ['CONFIG', 'SET', 'requirepass', 'secret'],
      ['ACL', 'GETUSER', 'default'],
      ['AUTH', 'wrong'],
      ['AUTH', 'secret'],
      ['AUTH', 'default', 'secret'],
      ['ACL', 'LIST'],
      ['CONFIG', 'SET', 'requirepass', ''],
      ['ACL', 'GETUSER', 'default'],
      ['AUTH', 'x'],
    ]);
  });

  test('other subcommands', async () => {
    await compare([
      ['ACL', 'SETUSER', 'o1', 'on', 'nopass', '~k', '&c', '+get', '+publish', '+config|get'],
      ['ACL', 'DRYRUN', 'o1', 'get', 'k'],
      ['ACL', 'DRYRUN', 'o1', 'get', 'x'],
      ['ACL', 'DRYRUN', 'o1', 'set', 'k', 'v'],
      ['ACL', 'DRYRUN', 'o1', 'publish', 'c', 'm'],
      ['ACL', 'DRYRUN', 'o1', 'publish', 'd', 'm'],
      ['ACL', 'DRYRUN', 'o1', 'config', 'get', 'x'],
      ['ACL', 'DRYRUN', 'o1', 'config', 'set', 'x', 'y'],
      ['ACL', 'DRYRUN', 'o1', 'get'],
      ['ACL', 'DRYRUN', 'o1', 'nosuch'],
      ['ACL', 'DRYRUN', 'nosuch', 'get', 'x'],
      ['ACL', 'DRYRUN', 'o1'],
      ['ACL', 'GENPASS', '0'],
      ['ACL', 'GENPASS', '4097'],
      ['ACL', 'GENPASS', 'x'],
      { command: ['ACL', 'GENPASS'], normalize: [/[0-9a-f]{64}/, 'HEX64'] },
      { command: ['ACL', 'GENPASS', '5'], normalize: [/[0-9a-f]{2}\r/, 'HEX2\r'] },
      ['ACL', 'CAT', 'nosuch'],
      ['ACL', 'CAT'],
      ['ACL', 'DELUSER', 'default'],
      ['ACL', 'DELUSER', 'o1', 'default'],
      ['ACL', 'SAVE'],
      ['ACL', 'LOAD'],
      ['ACL', 'NOSUCH'],
      ['ACL', 'WHOAMI', 'x'],
      ['ACL', 'USERS'],
      ['ACL', 'DELUSER', 'o1'],
    ]);
  });
});

describe('subscribers after their channels are revoked', () => {
  test('users and roles that lose a channel cut off its subscribers', async () => {
    const server = await startDamselfly({ args: ['--auth-failure-delay', '0'] });
    const admin = await RawClient.connect(server.port);
    await admin.call(['ACL', 'SETUSER', 'sub', 'on', '>pw', '&news*', '+@all', '~*']);
    await admin.call(['ACL', 'ROLE', 'SET', 'listener', '&alerts', '+@all']);
    await admin.call(['ACL', 'SETUSER', 'member', 'on', '>pw', 'role:listener']);
    const direct = await RawClient.connect(server.port);
    await direct.call(['AUTH', 'sub', 'pw']);
    await direct.call(['SUBSCRIBE', 'news1']);
    const viaRole = await RawClient.connect(server.port);
    await viaRole.call(['AUTH', 'member', 'pw']);
    await viaRole.call(['SUBSCRIBE', 'alerts']);

    await admin.call(['ACL', 'SETUSER', 'sub', 'resetchannels']);
    await direct.waitForClose(2000);
    assert.equal((await admin.call(['PUBLISH', 'news1', 'x'])).toString(), ':0\r\n');

    await admin.call(['ACL', 'ROLE', 'SET', 'listener', 'resetchannels']);
    await viaRole.waitForClose(2000);
    assert.equal((await admin.call(['PUBLISH', 'alerts', 'x'])).toString(), ':0\r\n');
    admin.destroy();
  });
});
