import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';

import { RawClient } from './raw-client';
import { sleep } from './server-process';

type Script = (socket: net.Socket) => Promise<void>;

const mockServers: net.Server[] = [];
const mockSockets: net.Socket[] = [];

/** Starts a TCP server on 127.0.0.1 that runs `script` on each accepted connection. */
async function startMockServer(script: Script): Promise<number> {
  const server = net.createServer((socket) => {
    mockSockets.push(socket);
    socket.on('error', () => socket.destroy());
    void script(socket);
  });
  mockServers.push(server);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Connects to a mock server that runs `script`. */
async function connectToMock(script: Script): Promise<RawClient> {
  return RawClient.connect(await startMockServer(script));
}

/** Writes each chunk with a pause before it, so the client sees split input. */
async function writeChunks(socket: net.Socket, chunks: string[], pauseMs = 20): Promise<void> {
  for (const chunk of chunks) {
    await sleep(pauseMs);
    socket.write(Buffer.from(chunk, 'latin1'));
  }
}

after(() => {
  for (const socket of mockSockets) socket.destroy();
  for (const server of mockServers) server.close();
});

describe('RawClient', () => {
  test('reads a reply split across writes', async () => {
    const client = await connectToMock((socket) =>
      writeChunks(socket, ['*2\r\n$5\r\nhe', 'llo\r\n', ':1', '\r\n+OK\r\n']),
    );

    assert.equal((await client.readReply()).toString(), '*2\r\n$5\r\nhello\r\n:1\r\n');
    assert.equal((await client.readReply()).toString(), '+OK\r\n');
    client.destroy();
  });

  test('reads several replies from one write', async () => {
    const client = await connectToMock((socket) =>
      writeChunks(socket, ['+A\r\n:2\r\n$1\r\nc\r\n']),
    );
    const replies = await client.readReplies(3);

    assert.deepEqual(
      replies.map((reply) => reply.toString()),
      ['+A\r\n', ':2\r\n', '$1\r\nc\r\n'],
    );
    client.destroy();
  });

  test('echoes sent bytes through call', async () => {
    const client = await connectToMock(async (socket) => {
      socket.on('data', (data) =>
        socket.write(`$${data.length}\r\n${data.toString('latin1')}\r\n`),
      );
    });
    const reply = await client.call(['PING']);

    assert.equal(reply.toString(), '$14\r\n*1\r\n$4\r\nPING\r\n\r\n');
    client.destroy();
  });

  test('reads until the connection is quiet', async () => {
    const client = await connectToMock((socket) => writeChunks(socket, ['ab', 'cd', 'ef'], 10));
    const bytes = await client.readUntilQuiet(150);

    assert.equal(bytes.toString(), 'abcdef');
    client.destroy();
  });

  test('stops a quiet read when data never stops', async () => {
    const client = await connectToMock(async (socket) => {
      const timer = setInterval(() => socket.write('x'), 5);
      socket.on('close', () => clearInterval(timer));
    });

    await assert.rejects(client.readUntilQuiet(50, 300), /data still arriving after 300 ms/);
    client.destroy();
  });

  test('reads up to a delimiter and an exact byte count', async () => {
    const client = await connectToMock((socket) => writeChunks(socket, ['VALUE k 0 3\r', '\nabc']));

    assert.equal((await client.readUntil('\r\n')).toString(), 'VALUE k 0 3\r\n');
    assert.equal((await client.readBytes(3)).toString(), 'abc');
    client.destroy();
  });

  test('rejects a read when the server closes', async () => {
    const client = await connectToMock(async (socket) => {
      await writeChunks(socket, ['$5\r\nhel']);
      socket.end();
    });

    await assert.rejects(
      client.readReply(),
      /connection closed before a RESP reply.*"\$5\\r\\nhel"/,
    );
    assert.equal(client.closed, true);
  });

  test('waits for the server to close', async () => {
    const client = await connectToMock(async (socket) => {
      await writeChunks(socket, ['-ERR Protocol error\r\n']);
      socket.end();
    });

    await client.waitForClose();
    assert.equal(client.closed, true);
    assert.equal((await client.readReply()).toString(), '-ERR Protocol error\r\n');
  });

  test('times out a read and names the received bytes', async () => {
    const client = await connectToMock((socket) => writeChunks(socket, [':12']));

    await assert.rejects(client.readReply(100), /timed out after 100 ms.*":12"/);
    client.destroy();
  });

  test('times out waiting for a close', async () => {
    const client = await connectToMock(async () => {});

    await assert.rejects(client.waitForClose(100), /connection still open after 100 ms/);
    client.destroy();
  });

  test('rejects a second concurrent read', async () => {
    const client = await connectToMock((socket) => writeChunks(socket, ['+OK\r\n'], 50));
    const first = client.readReply();

    await assert.rejects(client.readReply(), /another read is already pending/);
    assert.equal((await first).toString(), '+OK\r\n');
    client.destroy();
  });

  test('rejects malformed replies', async () => {
    const client = await connectToMock((socket) => writeChunks(socket, ['?\r\n']));

    await assert.rejects(client.readReply(), { name: 'RespSyntaxError' });
    client.destroy();
  });
});
