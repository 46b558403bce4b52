/**
 * CLIENT subcommands: replies and error texts compared byte for byte with
 * redis-server, the CLIENT LIST line's fields, CLIENT KILL closing real
 * connections, CLIENT SETINFO, and the ioredis and node-redis handshakes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';
import { createClient } from 'redis';

import { assertDifferential, type Normalizer } from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Parses a CLIENT LIST line into its fields, in order. */
function parseClientLine(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const pair of line.trim().split(' ')) {
    const equals = pair.indexOf('=');
    fields.set(pair.slice(0, equals), pair.slice(equals + 1));
  }
  return fields;
}

async function clientInfo(client: Redis): Promise<Map<string, string>> {
  return parseClientLine(String(await client.call('CLIENT', 'INFO')));
}

/** Replaces the connection id in HELLO's reply, which differs between servers. */
const helloId: Normalizer = [/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n:ID\r\n'];

describe('CLIENT against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('SETNAME and GETNAME', async () => {
    await assertDifferential(damselfly, redis, [
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'a b'],
      ['CLIENT', 'SETNAME', 'a\nb'],
      ['CLIENT', 'SETNAME', 'caf\u00e9'],
      ['CLIENT', 'SETNAME', 'worker-1'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME'],
      ['CLIENT', 'SETNAME', 'a', 'b'],
      ['CLIENT', 'GETNAME', 'x'],
      ['CLIENT', 'ID', 'x'],
      ['CLIENT', 'INFO', 'x'],
    ]);
  });

  test('LIST options and errors', async () => {
    await assertDifferential(damselfly, redis, [
      ['CLIENT', 'LIST', 'TYPE', 'foo'],
      ['CLIENT', 'LIST', 'TYPE'],
      ['CLIENT', 'LIST', 'TYPE', 'normal', 'extra'],
      ['CLIENT', 'LIST', 'TYPE', 'normal', 'ID', '1'],
      ['CLIENT', 'LIST', 'ID'],
      ['CLIENT', 'LIST', 'ID', 'x'],
      ['CLIENT', 'LIST', 'ID', '1', 'TYPE', 'normal'],
      ['CLIENT', 'LIST', 'ID', '0'],
      ['CLIENT', 'LIST', 'ID', '-1', '99999'],
      ['CLIENT', 'LIST', 'foo'],
      ['CLIENT', 'LIST', 'TYPE', 'pubsub'],
      ['CLIENT', 'LIST', 'TYPE', 'MASTER'],
      ['CLIENT', 'LIST', 'TYPE', 'replica'],
      ['CLIENT', 'LIST', 'TYPE', 'slave'],
      { command: ['HELLO', '3'], normalize: helloId },
      ['CLIENT', 'LIST', 'ID', '99999'],
    ]);
  });

  test('KILL errors and filters that match nothing', async () => {
    await assertDifferential(damselfly, redis, [
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID'],
      ['CLIENT', 'KILL', 'ID', '99999'],
      ['CLIENT', 'KILL', 'ID', 'x'],
      ['CLIENT', 'KILL', 'ID', '0'],
      ['CLIENT', 'KILL', 'ID', '-5'],
      ['CLIENT', 'KILL', 'ID', '1', 'ID', '2'],
      ['CLIENT', 'KILL', 'TYPE', 'foo'],
      ['CLIENT', 'KILL', 'TYPE', 'pubsub'],
      ['CLIENT', 'KILL', 'TYPE', 'master'],
      ['CLIENT', 'KILL', 'foo', 'bar'],
      ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
      ['CLIENT', 'KILL', 'ID', '1', 'SKIPME'],
      ['CLIENT', 'KILL', 'USER', 'nosuch'],
      ['CLIENT', 'KILL', 'USER', 'default'],
      ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'LADDR', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'MAXAGE', '10'],
      ['CLIENT', 'KILL'],
    ]);
  });

  test('NO-EVICT, GETREDIR, HELP arity and unknown subcommands', async () => {
    await assertDifferential(damselfly, redis, [
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'NO-EVICT', 'OFF'],
      ['CLIENT', 'NO-EVICT', 'x'],
      ['CLIENT', 'NO-EVICT'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'HELP', 'x'],
      ['CLIENT'],
      ['CLIENT', 'foo'],
      ['CLIENT', 'foo', 'bar'],
    ]);
  });

  test('CLIENT LIST line has the same fields as Redis', async () => {
    const ours = new Redis(damselfly.port);
    const theirs = new Redis(redis.port);
    try {
      const ourFields = [...(await clientInfo(ours)).keys()];
      const theirFields = [...(await clientInfo(theirs)).keys()];
      assert.deepEqual(ourFields, theirFields);
      const listed = String(await ours.call('CLIENT', 'LIST'))
        .split('\n')
        .filter(Boolean);
      for (const line of listed) assert.deepEqual([...parseClientLine(line).keys()], theirFields);
    } finally {
      ours.disconnect();
      theirs.disconnect();
    }
  });

  test('CLIENT INFO values follow the connection state', async () => {
    const client = new Redis(redis.port);
    const ours = new Redis(damselfly.port);
    try {
      for (const connection of [client, ours]) {
        await connection.call('CLIENT', 'SETNAME', 'probe');
        await connection.call('SELECT', '3');
        const fields = await clientInfo(connection);
        assert.equal(fields.get('id'), String(await connection.call('CLIENT', 'ID')));
        assert.equal(fields.get('name'), 'probe');
        assert.equal(fields.get('db'), '3');
        assert.equal(fields.get('flags'), 'N');
        assert.equal(fields.get('multi'), '-1');
        assert.equal(fields.get('cmd'), 'client|info');
        assert.equal(fields.get('user'), 'default');
        assert.equal(fields.get('resp'), '2');
        assert.equal(fields.get('redir'), '-1');
        assert.match(fields.get('addr') ?? '', /^127\.0\.0\.1:\d+$/);
        assert.equal(fields.get('laddr'), `127.0.0.1:${connection.options.port}`);
      }
    } finally {
      client.disconnect();
      ours.disconnect();
    }
  });
});

describe('CLIENT on Damselfly', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('LIST shows flags of MULTI and pub/sub clients', async () => {
    const subscriber = await RawClient.connect(damselfly.port);
    const observer = new Redis(damselfly.port);
    try {
      await subscriber.call(['CLIENT', 'SETNAME', 'subscriber']);
      await subscriber.send('*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n');
      await subscriber.readReplies(2);
      await subscriber.call(['PSUBSCRIBE', 'p*']);
      const pubsub = String(await observer.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const fields = parseClientLine(pubsub);
      assert.equal(fields.get('name'), 'subscriber');
      assert.equal(fields.get('flags'), 'P');
      assert.equal(fields.get('sub'), '2');
      assert.equal(fields.get('psub'), '1');
      const normal = String(await observer.call('CLIENT', 'LIST', 'TYPE', 'normal'));
      assert.doesNotMatch(normal, /name=subscriber/);

      const multi = await RawClient.connect(damselfly.port);
      try {
        const id = (await multi.call(['CLIENT', 'ID'])).toString('latin1').slice(1).trim();
        await multi.call(['MULTI']);
        await multi.call(['SET', 'k', 'v']);
        const line = String(await observer.call('CLIENT', 'LIST', 'ID', id));
        const multiFields = parseClientLine(line);
        assert.equal(multiFields.get('flags'), 'x');
        assert.equal(multiFields.get('multi'), '1');
        assert.equal(multiFields.get('cmd'), 'set');
        assert.ok(Number(multiFields.get('multi-mem')) > 0, line);
      } finally {
        multi.destroy();
      }
    } finally {
      subscriber.destroy();
      observer.disconnect();
    }
  });

  test('LIST shows unread replies and unparsed requests', async () => {
    const reader = await RawClient.connect(damselfly.port);
    const observer = new Redis(damselfly.port);
    try {
      const id = (await reader.call(['CLIENT', 'ID'])).toString('latin1').slice(1).trim();
      await reader.call(['SET', 'big', 'x'.repeat(1_000_000)]);
      let gets = '';
      for (let i = 0; i < 40; i++) gets += '*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n';
      // The replies are never read, and the last request never ends.
      await reader.send(`${gets}*1\r\n$4\r\nPI`);
      let fields = new Map<string, string>();
      for (let attempt = 0; attempt < 50; attempt++) {
        fields = parseClientLine(String(await observer.call('CLIENT', 'LIST', 'ID', id)));
        if (Number(fields.get('omem')) > 0 && Number(fields.get('qbuf')) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(Number(fields.get('omem')) > 0, `omem=${fields.get('omem')}`);
      assert.ok(Number(fields.get('qbuf')) > 0, `qbuf=${fields.get('qbuf')}`);
      assert.equal(fields.get('events'), 'rw');
    } finally {
      reader.destroy();
      observer.disconnect();
    }
  });

  test('LIST ID lists the given clients in order', async () => {
    const first = new Redis(damselfly.port);
    const second = new Redis(damselfly.port);
    try {
      const firstId = String(await first.call('CLIENT', 'ID'));
      const secondId = String(await second.call('CLIENT', 'ID'));
      const listed = String(
        await first.call('CLIENT', 'LIST', 'ID', secondId, '99999', firstId, secondId),
      );
      const ids = listed
        .split('\n')
        .filter(Boolean)
        .map((line) => parseClientLine(line).get('id'));
      assert.deepEqual(ids, [secondId, firstId, secondId]);
    } finally {
      first.disconnect();
      second.disconnect();
    }
  });

  test('KILL ID closes the other connection', async () => {
    const victim = await RawClient.connect(damselfly.port);
    const killer = new Redis(damselfly.port);
    try {
      const id = (await victim.call(['CLIENT', 'ID'])).toString('latin1').slice(1).trim();
      assert.equal(await killer.call('CLIENT', 'KILL', 'ID', id), 1);
      await victim.waitForClose();
      assert.equal(await killer.call('CLIENT', 'KILL', 'ID', id), 0);
    } finally {
      victim.destroy();
      killer.disconnect();
    }
  });

  test('KILL addr closes the connection from that address', async () => {
    const victim = await RawClient.connect(damselfly.port);
    const killer = new Redis(damselfly.port);
    try {
      const info = (await victim.call(['CLIENT', 'INFO'])).toString('latin1');
      const addr = parseClientLine(info.split('\r\n')[1]).get('addr') ?? '';
      assert.equal(await killer.call('CLIENT', 'KILL', addr), 'OK');
      await victim.waitForClose();
      await assert.rejects(killer.call('CLIENT', 'KILL', addr), { message: 'ERR No such client' });
    } finally {
      victim.destroy();
      killer.disconnect();
    }
  });

  test('KILL TYPE pubsub closes only subscribers', async () => {
    const subscriber = await RawClient.connect(damselfly.port);
    const bystander = await RawClient.connect(damselfly.port);
    const killer = new Redis(damselfly.port);
    try {
      await subscriber.call(['SUBSCRIBE', 'news']);
      assert.equal(await killer.call('CLIENT', 'KILL', 'TYPE', 'pubsub'), 1);
      await subscriber.waitForClose();
      assert.equal((await bystander.call(['PING'])).toString('latin1'), '+PONG\r\n');
    } finally {
      subscriber.destroy();
      bystander.destroy();
      killer.disconnect();
    }
  });

  test('KILL SKIPME no closes the caller after its reply', async () => {
    const caller = await RawClient.connect(damselfly.port);
    try {
      const id = (await caller.call(['CLIENT', 'ID'])).toString('latin1').slice(1).trim();
      const reply = await caller.call(['CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no']);
      assert.equal(reply.toString('latin1'), ':1\r\n');
      await caller.waitForClose();
    } finally {
      caller.destroy();
    }
  });

  test('SETINFO records the library name and version', async () => {
    const client = await RawClient.connect(damselfly.port);
    try {
      const replies = async (args: string[]): Promise<string> =>
        (await client.call(args)).toString('latin1');
      assert.equal(await replies(['CLIENT', 'SETINFO', 'LIB-NAME', 'tester']), '+OK\r\n');
      assert.equal(await replies(['CLIENT', 'SETINFO', 'lib-ver', '1.2.3']), '+OK\r\n');
      assert.equal(await replies(['CLIENT', 'SETINFO', 'lib-ver', '']), '+OK\r\n');
      assert.equal(
        await replies(['CLIENT', 'SETINFO', 'LIB-FOO', 'x']),
        "-ERR Unrecognized option 'LIB-FOO'\r\n",
      );
      assert.equal(
        await replies(['CLIENT', 'SETINFO', 'LIB-NAME', 'a b']),
        '-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n',
      );
      assert.equal(
        await replies(['CLIENT', 'SETINFO', 'lib-ver', '1\n2']),
        '-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n',
      );
      assert.equal(
        await replies(['CLIENT', 'SETINFO', 'lib-name']),
        "-ERR wrong number of arguments for 'client|setinfo' command\r\n",
      );
    } finally {
      client.destroy();
    }
  });

  test('NO-TOUCH sets the T flag', async () => {
    const client = new Redis(damselfly.port);
    try {
      assert.equal(await client.call('CLIENT', 'NO-TOUCH', 'on'), 'OK');
      assert.equal((await clientInfo(client)).get('flags'), 'T');
      assert.equal(await client.call('CLIENT', 'NO-TOUCH', 'off'), 'OK');
      assert.equal((await clientInfo(client)).get('flags'), 'N');
      await assert.rejects(client.call('CLIENT', 'NO-TOUCH', 'x'), { message: 'ERR syntax error' });
    } finally {
      client.disconnect();
    }
  });

  test('HELP lists every subcommand', async () => {
    const client = new Redis(damselfly.port);
    try {
      const help = (await client.call('CLIENT', 'HELP')) as string[];
      for (const name of [
        'GETNAME',
        'ID',
        'INFO',
        'KILL',
        'LIST',
        'NO-EVICT',
        'SETINFO',
        'SETNAME',
        'HELP',
      ]) {
        assert.ok(
          help.some((line) => line.startsWith(name)),
          `${name} missing from HELP`,
        );
      }
    } finally {
      client.disconnect();
    }
  });
});

describe('client libraries handshake', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('ioredis connects and its handshake commands succeed', async () => {
    const errors: Error[] = [];
    const client = new Redis(damselfly.port, { connectionName: 'ioredis-test' });
    client.on('error', (error: Error) => errors.push(error));
    try {
      assert.equal(await client.set('library', 'ioredis'), 'OK');
      assert.equal(await client.get('library'), 'ioredis');
      assert.equal(await client.client('GETNAME'), 'ioredis-test');
      const info = await client.info('server');
      assert.match(info, /\r\nredis_version:7\.0\.\d+\r\n/);
      assert.deepEqual(errors, []);
      await assertHandshakeSucceeded(client);
    } finally {
      client.disconnect();
    }
  });

  test('node-redis connects and its handshake commands succeed', async () => {
    const errors: Error[] = [];
    const client = createClient({ url: `redis://127.0.0.1:${damselfly.port}`, name: 'nr-test' });
    client.on('error', (error: Error) => errors.push(error));
    await client.connect();
    try {
      assert.equal(await client.set('library', 'node-redis'), 'OK');
      assert.equal(await client.clientGetName(), 'nr-test');
      assert.match(await client.info('server'), /\r\nredis_mode:standalone\r\n/);
      assert.deepEqual(errors, []);
    } finally {
      await client.quit();
    }
    const observer = new Redis(damselfly.port);
    try {
      await assertHandshakeSucceeded(observer);
    } finally {
      observer.disconnect();
    }
  });
});

/** Checks INFO commandstats: CLIENT SETINFO ran, and no handshake command failed. */
async function assertHandshakeSucceeded(client: Redis): Promise<void> {
  const stats = await client.info('commandstats');
  assert.match(stats, /cmdstat_client\|setinfo:calls=[1-9]\d*,/);
  for (const line of stats.split('\r\n')) {
    if (!/^cmdstat_(client|info|hello)/.test(line)) continue;
    assert.match(line, /rejected_calls=0,failed_calls=0$/, line);
  }
}
