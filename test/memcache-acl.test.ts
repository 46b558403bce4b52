import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import Redis from 'ioredis';
import { findFreePort, stopAllServers } from './support/server-process';
import { startDamselfly } from './support/servers';

after(stopAllServers);

/** Sends one request to the memcached port and returns what arrives within 200 ms. */
async function exchange(socket: net.Socket, request: string): Promise<string> {
  let received = '';
  const onData = (chunk: Buffer): void => {
    received += chunk.toString('latin1');
  };
  socket.on('data', onData);
  socket.write(request);
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.off('data', onData);
  return received;
}

test('memcached clients are held to their ACL user', async () => {
  const memcachedPort = await findFreePort();
  const server = await startDamselfly({
    args: ['--requirepass', 'admin-pw', '--memcached-port', String(memcachedPort)],
  });
  const admin = new Redis({ port: server.port, password: 'admin-pw', retryStrategy: () => null });
  await admin.call('ACL', 'SETUSER', 'reader', 'on', '>reader-pw', '~pub:*', '-@all', '+get');
  await admin.set('secret:1', 'hidden');
  await admin.set('pub:1', 'open');

  const socket = net.connect(memcachedPort, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  assert.equal(await exchange(socket, 'set auth 0 0 16\r\nreader reader-pw\r\n'), 'STORED\r\n');
  const denied = 'CLIENT_ERROR permission denied by ACL rules\r\n';
  assert.equal(await exchange(socket, 'get secret:1\r\n'), denied);
  assert.equal(await exchange(socket, 'get pub:1\r\n'), 'VALUE pub:1 0 4\r\nopen\r\nEND\r\n');
  assert.equal(await exchange(socket, 'get pub:1 secret:1\r\n'), denied);
  assert.equal(await exchange(socket, 'set pub:2 0 0 5\r\nowned\r\n'), denied);
  assert.equal(await exchange(socket, 'delete pub:1\r\n'), denied);
  assert.equal(await exchange(socket, 'flush_all\r\n'), denied);
  assert.equal(await exchange(socket, 'mg secret:1 v\r\n'), denied);
  assert.equal(await exchange(socket, 'mn\r\n'), 'MN\r\n', 'the refused data block was skipped');
  socket.destroy();

  assert.equal(await admin.get('secret:1'), 'hidden');
  assert.equal(await admin.exists('pub:2'), 0);
  assert.equal(await admin.dbsize(), 2);
  const log = (await admin.call('ACL', 'LOG')) as unknown[];
  assert.ok(log.length > 0, 'denials reach ACL LOG');
  admin.disconnect();
});
