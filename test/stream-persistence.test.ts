/**
 * Streams through the append-only file. Every stream write journals in a
 * form that replays to the same state: concrete IDs for `*`, exact trims
 * for `~`, and consumer group reads and claims as XCLAIM and XGROUP SETID.
 * So a server restarted from its journal reports the same XINFO STREAM
 * FULL. Also compares keyspace events and change counts with redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { collectChanges, collectEvents, journalOf } from './collection-support';
import { RawClient } from './support/raw-client';
import {
  makeTempDir,
  redisServerSkipReason,
  sleep,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Commands that exercise every kind of stream write, with `*` IDs and `~` trims. */
function workload(): string[][] {
  const commands: string[][] = [];
  for (let i = 0; i < 260; i++) {
    commands.push([
      'XADD',
      's',
      'MAXLEN',
      '~',
      '150',
      '*',
      'n',
      String(i),
      'pad',
      'x'.repeat(i % 7),
    ]);
  }
  commands.push(
    ['XADD', 's', '99999999999999-*', 'late', '1'],
    ['XADD', 's', '99999999999999-*', 'late', '2'],
    ['XTRIM', 's', 'MAXLEN', '~', '120'],
    ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XGROUP', 'CREATE', 's', 'h', '$'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '5', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '3', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'dave', 'NOACK', 'COUNT', '2', 'STREAMS', 's', '>'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g', 'erin'],
    ['XGROUP', 'CREATECONSUMER', 's', 'g', 'gone'],
    ['XGROUP', 'DELCONSUMER', 's', 'g', 'gone'],
    ['XAUTOCLAIM', 's', 'g', 'carol', '0', '0', 'COUNT', '2'],
    ['XDEL', 's', '99999999999999-0'],
    ['XADD', 's', 'MINID', '~', '0-1', '99999999999999-5', 'x', 'y'],
    ['XGROUP', 'SETID', 's', 'h', '0'],
    ['XREADGROUP', 'GROUP', 'h', 'zed', 'COUNT', '4', 'STREAMS', 's', '>'],
    ['XGROUP', 'CREATE', 'made', 'g', '$', 'MKSTREAM'],
    ['XSETID', 'made', '5-5', 'ENTRIESADDED', '7', 'MAXDELETEDID', '3-3'],
    ['XADD', 'gone', '1-1', 'a', '1'],
    ['XTRIM', 'gone', 'MINID', '~', '99-0'],
  );
  return commands;
}

/** Reads XINFO STREAM FULL with consumers' seen-time masked, which a replay sets anew. */
async function fullInfo(client: RawClient, key: string): Promise<string> {
  const reply = await client.call(['XINFO', 'STREAM', key, 'FULL', 'COUNT', '0']);
  return reply.toString('latin1').replace(/(seen-time\r\n):\d+/g, '$1:T');
}

async function runAll(client: RawClient, commands: string[][]): Promise<void> {
  for (const args of commands) {
    const reply = (await client.call(args)).toString('latin1');
    assert.ok(!reply.startsWith('-'), `${args.join(' ')} failed: ${reply}`);
  }
}

describe('streams in the append-only file', () => {
  after(stopAllServers);

  test('a restart from the journal rebuilds the same streams', async () => {
    const dir = makeTempDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const server = await startDamselfly({ dir, args });
    const client = await RawClient.connect(server.port);
    await runAll(client, [...workload(), ['XGROUP', 'CREATE', 's', 'late', '$']]);
    const blocked = await RawClient.connect(server.port);
    await blocked.send(
      '*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$4\r\nlate\r\n$4\r\nwait\r\n' +
        '$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n',
    );
    await sleep(100);
    await runAll(client, [['XADD', 's', '99999999999999-9', 'wake', '1']]);
    const served = (await blocked.readReply()).toString('latin1');
    assert.ok(served.includes('99999999999999-9'), `blocked read got ${served}`);
    blocked.destroy();
    const before = { s: await fullInfo(client, 's'), made: await fullInfo(client, 'made') };
    const emptied = (await client.call(['XINFO', 'STREAM', 'gone'])).toString('latin1');
    client.destroy();
    server.child.kill('SIGKILL');
    await server.exited;

    const restarted = await startDamselfly({ dir, args });
    const reader = await RawClient.connect(restarted.port);
    try {
      assert.equal(await fullInfo(reader, 's'), before.s);
      assert.equal(await fullInfo(reader, 'made'), before.made);
      assert.equal((await reader.call(['XINFO', 'STREAM', 'gone'])).toString('latin1'), emptied);
    } finally {
      reader.destroy();
      await restarted.stop();
    }
  });

  test('journal entries are concrete and exact', async () => {
    const server = await startDamselfly({
      args: ['--appendonly', 'yes', '--appendfsync', 'always', '--stream-node-max-entries', '2'],
    });
    const { journal, replies } = await journalOf(server, [
      ['XADD', 's', '1-*', 'a', '1'],
      ['XADD', 's', '*', 'a', '1'],
      ['XADD', 's', '99999999999999-1', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '~', '1', 'LIMIT', '2', '99999999999999-2', 'a', '1'],
      ['XADD', 's', '99999999999999-3', 'a', '1'],
      ['XTRIM', 's', 'MINID', '~', '99999999999999-3'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'],
      ['XACK', 's', 'g', '99999999999999-3'],
    ]);
    for (const reply of replies) assert.ok(!reply.toString().startsWith('-'), reply.toString());
    assert.deepEqual(journal, [
      'SELECT 0',
      'XADD s 1-0 a 1',
      'XADD s T-0 a 1',
      'XADD s 99999999999999-1 a 1',
      'XADD s MAXLEN = 2 99999999999999-2 a 1',
      'XADD s 99999999999999-3 a 1',
      'XTRIM s MINID = 99999999999999-3',
      'XGROUP CREATE s g 0',
      'XGROUP CREATECONSUMER s g c',
      'XCLAIM s g c 0 99999999999999-3 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 99999999999999-3',
      'XGROUP SETID s g 99999999999999-3 ENTRIESREAD 5',
      'XACK s g 99999999999999-3',
    ]);
  });
});

describe(
  'stream events and change counts against redis-server',
  { skip: redisServerSkipReason() },
  () => {
    let damselfly: ServerProcess;
    let redis: ServerProcess;

    before(async () => {
      const [ours, reference] = await Promise.all([startDamselfly(), startRedisServer()]);
      assert.ok(reference);
      damselfly = ours;
      redis = reference;
    });

    after(stopAllServers);

    const commands: string[][] = [
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '2-1', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '1', '3-1', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '5', '4-1', 'a', '1'],
      ['XADD', 'missing', 'NOMKSTREAM', '1-1', 'a', '1'],
      ['XADD', 's', '1-1', 'a', '1'],
      ['XDEL', 's', '3-1', '9-9'],
      ['XDEL', 's', '9-9'],
      ['XTRIM', 's', 'MAXLEN', '5'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XSETID', 's', '10-1'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XGROUP', 'CREATE', 't', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'nobody'],
      ['XGROUP', 'SETID', 's', 'g', '0'],
      ['XADD', 's', '11-1', 'a', '1'],
      ['XADD', 's', '12-1', 'a', '1'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'nobody', 'NOACK', 'STREAMS', 's', '>'],
      ['XCLAIM', 's', 'g', 'carol', '0', '11-1'],
      ['XCLAIM', 's', 'g', 'carol', '0', '11-1', '12-1', 'JUSTID'],
      ['XCLAIM', 's', 'g', 'dave', '0', '99-1', 'LASTID', '50-0'],
      ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0'],
      ['XDEL', 's', '12-1'],
      ['XAUTOCLAIM', 's', 'g', 'frank', '0', '0'],
      ['XACK', 's', 'g', '11-1', '12-1'],
      ['XACK', 's', 'g', '11-1'],
      ['XGROUP', 'DESTROY', 's', 'g'],
      ['XGROUP', 'DESTROY', 's', 'g'],
      ['XADD', 'u', 'MAXLEN', '~', '0', '1-1', 'a', '1'],
    ];

    test('keyspace events match', async () => {
      const [ours, theirs] = await Promise.all([
        collectEvents(damselfly.port, commands),
        collectEvents(redis.port, commands),
      ]);
      assert.deepEqual(ours, theirs);
    });

    test('change counts match', async () => {
      const [ours, theirs] = await Promise.all([
        collectChanges(damselfly.port, commands),
        collectChanges(redis.port, commands),
      ]);
      assert.deepEqual(ours, theirs);
    });
  },
);
