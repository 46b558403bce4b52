/**
 * Reading accepted sockets through one shared static buffer: every byte
 * arrives once and in order on each of many connections at once, pause and
 * resume still stop and restart the flow, and the end of input is still
 * announced. On Node.js 20 the static-buffer mode must be the one in use.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readSocket } from '../src/net/static-read';

interface Accepted {
  socket: net.Socket;
  chunks: Buffer[];
  staticMode: boolean;
  ended: Promise<void>;
}

let server: net.Server;
const accepted: Accepted[] = [];
const waiting: Array<(connection: Accepted) => void> = [];

before(async () => {
  server = net.createServer((socket) => {
    const chunks: Buffer[] = [];
    const staticMode = readSocket(socket, (chunk) => chunks.push(chunk));
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    socket.on('end', () => socket.end());
    const connection = { socket, chunks, staticMode, ended };
    const next = waiting.shift();
    if (next === undefined) accepted.push(connection);
    else next(connection);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(() => server.close());

/** Connects a client and returns it with the server's side of the connection. */
async function connect(): Promise<[net.Socket, Accepted]> {
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  const serverSide = new Promise<Accepted>((resolve) => {
    const ready = accepted.shift();
    if (ready === undefined) waiting.push(resolve);
    else resolve(ready);
  });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  return [client, await serverSide];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('static read buffer', () => {
  test('node 20 uses the static mode', async (context) => {
    if (process.versions.node.split('.')[0] !== '20') {
      context.skip('the private fields are checked on Node.js 20 only');
      return;
    }
    const [client, serverSide] = await connect();
    assert.equal(serverSide.staticMode, true);
    client.destroy();
  });

  test('many connections each get their bytes in order', async () => {
    const pairs = await Promise.all(Array.from({ length: 8 }, () => connect()));
    const sent = pairs.map(() => crypto.randomBytes(300_000));
    await Promise.all(
      pairs.map(async ([client], index) => {
        for (let at = 0; at < sent[index].length; at += 7_000) {
          client.write(sent[index].subarray(at, at + 7_000));
          if (at % 70_000 === 0) await sleep(1);
        }
        client.end();
      }),
    );
    for (const [index, [client, serverSide]] of pairs.entries()) {
      await serverSide.ended;
      assert.ok(Buffer.concat(serverSide.chunks).equals(sent[index]), `connection ${index}`);
      client.destroy();
    }
  });

  test('pause stops delivery until resume', async () => {
    const [client, serverSide] = await connect();
    serverSide.socket.pause();
    client.write('held back');
    await sleep(100);
    assert.equal(serverSide.chunks.length, 0);
    serverSide.socket.resume();
    client.end();
    await serverSide.ended;
    assert.equal(Buffer.concat(serverSide.chunks).toString(), 'held back');
    client.destroy();
  });
});
