/**
 * Hostile clients: malformed and oversized requests, sizes announcing
 * gigabytes, slow senders, clients that never read, connection floods,
 * password guessing, KEYS by a non-admin user, and protected settings. Each
 * gets its documented refusal, the server stays up, and other clients keep
 * being served.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { RawClient } from './support/raw-client';
import { sleep, startDamselfly, stopAllServers, type ServerProcess } from './support/servers';

after(stopAllServers);

/** Checks that the server still replies to a fresh client. */
async function assertServing(port: number, password?: string): Promise<void> {
  const client = await RawClient.connect(port);
  if (password !== undefined) await client.call(['AUTH', password]);
  assert.equal((await client.call(['PING'])).toString(), '+PONG\r\n');
  client.destroy();
}

/** Sends raw bytes and returns everything the server sends until it closes or goes quiet. */
async function sendRaw(
  port: number,
  bytes: string | Buffer,
): Promise<{ reply: string; closed: boolean }> {
  const client = await RawClient.connect(port);
  await client.send(bytes).catch(() => undefined);
  const reply = (await client.readUntilQuiet(300, 5000).catch(() => Buffer.alloc(0))).toString();
  const closed = client.closed;
  client.destroy();
  return { reply, closed };
}

function infoField(info: string, name: string): number {
  const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  assert.ok(match, `${name} in INFO`);
  return Number(match[1]);
}

async function info(port: number): Promise<string> {
  const client = await RawClient.connect(port);
  const reply = (await client.call(['INFO', 'stats'])).toString();
  client.destroy();
  return reply;
}

describe('malformed and oversized requests', () => {
  let server: ServerProcess;

  before(async () => {
    server = await startDamselfly({
      args: ['--client-query-buffer-limit', '1mb', '--client-request-timeout', '1'],
    });
  });

  test('malformed RESP gets a protocol error and a close', async () => {
    const cases: [string, RegExp][] = [
      ['*abc\r\n', /^-ERR Protocol error: invalid multibulk length\r\n$/],
      ['*1\r\n$x\r\n', /^-ERR Protocol error: invalid bulk length\r\n$/],
      ['*1\r\n+3\r\nfoo\r\n', /^-ERR Protocol error: expected '\$', got '\+'\r\n$/],
      ['"unbalanced\r\n', /^-ERR Protocol error: unbalanced quotes in request\r\n$/],
      ['*2147483648\r\n', /^-ERR Protocol error: invalid multibulk length\r\n$/],
      ['*1\r\n$99999999999999\r\n', /^-ERR Protocol error: invalid bulk length\r\n$/],
    ];
    for (const [bytes, expected] of cases) {
      const { reply, closed } = await sendRaw(server.port, bytes);
      assert.match(reply, expected, JSON.stringify(bytes));
      assert.ok(closed, `closed after ${JSON.stringify(bytes)}`);
      assert.ok(!reply.includes('/'), 'no path in a protocol error');
    }
    await assertServing(server.port);
  });

  test('sizes announcing gigabytes allocate nothing', async () => {
    // 512 MB is within proto-max-bulk-len, so the server waits for the bytes,
    // which never come; the announced size is not reserved up front.
    const client = await RawClient.connect(server.port);
    await client.send('*2\r\n$3\r\nSET\r\n$536870000\r\nabc');
    await assertServing(server.port);
    const { reply } = await sendRaw(server.port, '*2000000\r\n');
    assert.match(reply, /^-ERR Protocol error: invalid multibulk length/);
    client.destroy();
  });

  test('a query buffer past client-query-buffer-limit closes the client', async () => {
    const before = infoField(await info(server.port), 'client_query_buffer_limit_disconnections');
    const client = await RawClient.connect(server.port);
    await client.send('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 24 && !client.closed; i++) await client.send(chunk).catch(() => undefined);
    await client.waitForClose(3000);
    const afterCount = infoField(
      await info(server.port),
      'client_query_buffer_limit_disconnections',
    );
    assert.equal(afterCount, before + 1);
    await assertServing(server.port);
  });

  test('a slow sender is cut off after client-request-timeout', async () => {
    const client = await RawClient.connect(server.port);
    await client.send('*2\r\n$3\r\nGET\r\n$5\r\nab');
    const started = Date.now();
    // Other clients are served while the slow request is pending.
    await assertServing(server.port);
    await client.send('c');
    const reply = (await client.readUntil('\r\n', 4000)).toString();
    assert.equal(
      reply,
      '-ERR the request did not arrive completely within client-request-timeout seconds\r\n',
    );
    await client.waitForClose(2000);
    assert.ok(Date.now() - started < 3000);
    assert.ok(infoField(await info(server.port), 'request_timeout_disconnections') >= 1);
  });
});

describe('clients that never read', () => {
  test('a subscriber past its output limit is disconnected', async () => {
    const server = await startDamselfly({
      args: ['--client-output-buffer-limit', 'pubsub 1mb 0 0'],
    });
    const subscriber = net.connect({ port: server.port, host: '127.0.0.1' });
    subscriber.on('error', () => undefined);
    subscriber.write('*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nc1\r\n');
    await sleep(100);
    // From here on the subscriber never reads, so it cannot see the close
    // either: the server's side is checked instead.
    subscriber.pause();
    const publisher = new Redis({
      port: server.port,
      host: '127.0.0.1',
      retryStrategy: () => null,
    });
    const message = 'x'.repeat(100 * 1024);
    const disconnected = async () =>
      infoField(await info(server.port), 'client_output_buffer_limit_disconnections') >= 1;
    for (let i = 0; i < 400 && !(await disconnected()); i++) await publisher.publish('c1', message);
    assert.ok(await disconnected());
    const clients = String(await publisher.client('LIST'));
    assert.ok(!clients.includes(' sub=1 '), clients);
    assert.equal(await publisher.ping(), 'PONG');
    publisher.disconnect();
    subscriber.destroy();
  });

  test('a pipelining client that never reads is paused, not buffered without bound', async () => {
    const server = await startDamselfly();
    const setup = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => null });
    await setup.set('big', 'y'.repeat(512 * 1024));
    const reader = net.connect({ port: server.port, host: '127.0.0.1' });
    reader.on('error', () => undefined);
    reader.pause();
    const request = '*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(200);
    for (let i = 0; i < 20; i++) reader.write(request);
    await sleep(1000);
    // 4000 replies of 512 KB would be 2 GB; the server stops reading from
    // this client instead, and keeps serving others.
    const started = Date.now();
    assert.equal(await setup.ping(), 'PONG');
    assert.ok(Date.now() - started < 1000);
    const memory = await setup.info('memory');
    const rss = Number(/used_memory_rss:(\d+)/.exec(memory)?.[1]);
    assert.ok(rss < 1024 * 1024 * 1024, `rss ${rss}`);
    reader.destroy();
    setup.disconnect();
  });
});

describe('connection floods', () => {
  test('connections past maxclients-per-address are refused', async () => {
    const server = await startDamselfly({ args: ['--maxclients-per-address', '50'] });
    const clients = await Promise.all(
      Array.from({ length: 200 }, () => RawClient.connect(server.port).catch(() => null)),
    );
    await sleep(300);
    const refused = clients.filter((client) => client?.closed === true);
    assert.ok(refused.length >= 150, `${refused.length} refused`);
    const open = clients.filter((client) => client !== null && !client.closed);
    assert.ok(open.length <= 50);
    const text = (
      await refused[0]!.readUntilQuiet(50, 500).catch(() => Buffer.alloc(0))
    ).toString();
    assert.ok(text === '' || text.startsWith('-ERR too many connections from this address'), text);
    for (const client of clients) client?.destroy();
    await sleep(200);
    await assertServing(server.port);
    assert.ok(infoField(await info(server.port), 'rejected_connections_per_address') >= 150);
  });

  test('connections past maxclients are refused', async () => {
    const server = await startDamselfly({ args: ['--maxclients', '20'] });
    const clients = await Promise.all(
      Array.from({ length: 60 }, () => RawClient.connect(server.port)),
    );
    await sleep(300);
    const refused = clients.filter((client) => client.closed);
    assert.ok(refused.length >= 35, `${refused.length} refused`);
    assert.match(refused[0].buffered.toString(), /^(-ERR max number of clients reached\r\n)?$/);
    for (const client of clients) client.destroy();
    await sleep(200);
    await assertServing(server.port);
  });
});

describe('password guessing', () => {
  test('parallel guesses are delayed while a legitimate client is served', async () => {
    const server = await startDamselfly({
      args: [
        '--requirepass',
        'correct-horse',
        '--auth-failure-delay',
        '100',
        '--auth-failure-delay-max',
        '1000',
      ],
    });
    const guessers = await Promise.all(
      Array.from({ length: 10 }, () => RawClient.connect(server.port)),
    );
    const started = Date.now();
    const guesses = guessers.map(async (client, index) => {
      for (let i = 0; i < 3; i++) {
        const reply = (await client.call(['AUTH', `guess-${index}-${i}`])).toString();
        assert.equal(reply, '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      }
    });
    await sleep(100);
    const legitimate = Date.now();
    await assertServing(server.port, 'correct-horse');
    assert.ok(Date.now() - legitimate < 1000);
    await Promise.all(guesses);
    assert.ok(Date.now() - started >= 500, 'guesses were slowed down');
    const stats = await RawClient.connect(server.port);
    await stats.call(['AUTH', 'correct-horse']);
    const text = (await stats.call(['INFO', 'stats'])).toString();
    assert.ok(infoField(text, 'auth_failures_delayed') >= 20);
    for (const client of [...guessers, stats]) client.destroy();
  });
});

describe('expensive and protected commands', () => {
  test('KEYS on a big database is refused to a non-admin user', async () => {
    const server = await startDamselfly();
    const admin = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => null });
    for (let batch = 0; batch < 20; batch++) {
      const pairs: string[] = [];
      for (let i = 0; i < 5000; i++) pairs.push(`key:${batch}:${i}`, 'v');
      await admin.mset(...pairs);
    }
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>pw', 'role:readwrite');
    const app = new Redis({
      port: server.port,
      host: '127.0.0.1',
      username: 'app',
      password: 'pw',
      retryStrategy: () => null,
      enableReadyCheck: false,
    });
    await assert.rejects(
      app.keys('*'),
      /NOPERM this user has no permissions to run the 'keys' command/,
    );
    await assert.rejects(app.flushall(), /NOPERM .*'flushall' command/);
    assert.equal(await app.get('key:0:0'), 'v');
    assert.equal(await admin.dbsize(), 100_000);
    app.disconnect();
    admin.disconnect();
  });

  test('protected settings and paths stay out of replies', async () => {
    const server = await startDamselfly();
    const client = await RawClient.connect(server.port);
    for (const name of ['dir', 'dbfilename', 'tls-cert-file', 'tls-ca-cert-file']) {
      const reply = (await client.call(['CONFIG', 'SET', name, '/etc'])).toString();
      assert.equal(
        reply,
        `-ERR CONFIG SET failed (possibly related to argument '${name}') - can't set protected config\r\n`,
      );
    }
    for (const name of ['aclfile', 'encryption-key-file', 'audit-log-file']) {
      const reply = (await client.call(['CONFIG', 'SET', name, '/etc/passwd'])).toString();
      assert.match(reply, /can't set (protected|immutable) config\r\n$/);
    }
    const save = (await client.call(['ACL', 'SAVE'])).toString();
    assert.ok(!save.includes('/'), save);
    client.destroy();
  });
});
