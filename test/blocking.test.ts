/**
 * Blocking list commands. Each scenario runs on Damselfly and on
 * redis-server with several raw connections, and the transcripts (every
 * reply each connection received, in order) must match byte for byte:
 * service order, timeouts, disconnects, pipelines, MULTI, chained moves,
 * events and the journal. Then the same behaviours through ioredis and
 * node-redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';
import { createClient } from 'redis';

import { journalOf } from './collection-support';
import { assertDifferential } from './support/differential';
import { RawClient, encodeCommand } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

const POLL_MS = 5;
const WAIT_LIMIT_MS = 5000;

/** Several connections to one server, plus a control connection for INFO and FLUSHALL. */
class Session {
  readonly clients: RawClient[];
  readonly #control: RawClient;

  private constructor(control: RawClient, clients: RawClient[]) {
    this.#control = control;
    this.clients = clients;
  }

  static async open(port: number, count: number): Promise<Session> {
    const control = await RawClient.connect(port);
    await control.call(['FLUSHALL']);
    const clients = [];
    for (let i = 0; i < count; i++) clients.push(await RawClient.connect(port));
    return new Session(control, clients);
  }

  /** Sends the commands of one client in a single write. */
  async send(index: number, ...commands: string[][]): Promise<void> {
    await this.clients[index].send(Buffer.concat(commands.map((args) => encodeCommand(args))));
  }

  /** Reads `count` replies of one client, as one byte string. */
  async read(index: number, count = 1): Promise<string> {
    const replies = await this.clients[index].readReplies(count);
    return Buffer.concat(replies).toString('latin1');
  }

  /** Sends one command on the control connection and returns its reply. */
  async control(...args: string[]): Promise<string> {
    return (await this.#control.call(args)).toString('latin1');
  }

  /** Waits until the server reports `count` blocked clients. */
  async waitBlocked(count: number): Promise<void> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const info = await this.control('INFO', 'clients');
      const match = /blocked_clients:(\d+)/.exec(info);
      assert.ok(match, 'INFO clients lacks blocked_clients');
      if (Number(match[1]) === count) return;
      if (Date.now() > deadline) assert.fail(`blocked_clients stayed ${match[1]}, not ${count}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  close(): void {
    this.#control.destroy();
    for (const client of this.clients) client.destroy();
  }
}

type Scenario = (session: Session) => Promise<string[]>;

/** Runs a scenario on a fresh session of each server and returns both transcripts. */
async function runOnBoth(
  servers: [ServerProcess, ServerProcess],
  clients: number,
  scenario: Scenario,
): Promise<[string[], string[]]> {
  const transcripts: string[][] = [];
  for (const server of servers) {
    const session = await Session.open(server.port, clients);
    try {
      transcripts.push(await scenario(session));
    } finally {
      session.close();
    }
  }
  return [transcripts[0], transcripts[1]];
}

/** Asserts that both servers produce `expected` (which documents Redis's behaviour). */
async function expectOnBoth(
  servers: [ServerProcess, ServerProcess],
  clients: number,
  scenario: Scenario,
  expected: string[],
): Promise<void> {
  const [damselfly, redis] = await runOnBoth(servers, clients, scenario);
  assert.deepEqual(redis, expected, 'redis-server no longer behaves as this test expects');
  assert.deepEqual(damselfly, redis);
}

const nilArray = '*-1\r\n';

function pair(key: string, value: string): string {
  return `*2\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
}

describe('blocking commands against redis-server', { skip: redisServerSkipReason() }, () => {
  let servers: [ServerProcess, ServerProcess];

  before(async () => {
    const damselfly = await startDamselfly();
    const redis = await startRedisServer();
    assert.ok(redis);
    servers = [damselfly, redis];
  });

  after(stopAllServers);

  test('timeout arguments and errors', async () => {
    const [damselfly, redis] = servers;
    await assertDifferential(damselfly, redis, [
      ['BLPOP', 'k', 'abc'],
      ['BLPOP', 'k', '-1'],
      ['BLPOP', 'k', '-0.0011'],
      ['BLPOP', 'k', 'inf'],
      ['BLPOP', 'k', '-inf'],
      ['BLPOP', 'k', 'nan'],
      ['BLPOP', 'k', '1e20'],
      ['BLPOP', 'k', '9223372036854775.808'],
      ['BLPOP', 'k', ' 1'],
      ['BLPOP', 'k', '1 '],
      ['BLPOP', 'k', ''],
      ['BLPOP', 'k', '1e5000'],
      ['BLPOP', 'k', '1e-5000'],
      ['BLPOP', 'k', '0.0001'],
      ['BLPOP', 'k', '1e-400'],
      ['BRPOP', 'k', 'k2', '0.01'],
      ['BRPOP', 'k', 'x'],
      ['BLMOVE', 'a', 'b', 'UP', 'LEFT', 'x'],
      ['BLMOVE', 'a', 'b', 'LEFT', 'DOWN', 'x'],
      ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', 'x'],
      ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '0.01'],
      ['BRPOPLPUSH', 'a', 'b', '-1'],
      ['BRPOPLPUSH', 'a', 'b', '0.01'],
      ['BLMPOP', 'x', '0', 'k', 'LEFT'],
      ['BLMPOP', 'x', '1', 'k', 'LEFT', 'COUNT', '0'],
      ['BLMPOP', '0', '2', 'k', 'LEFT'],
      ['BLMPOP', '-1', '1', 'k', 'LEFT'],
      ['BLMPOP', '0.01', '1', 'k', 'RIGHT', 'COUNT', '3'],
      ['BLPOP', 'k'],
      ['BLMPOP', '0', '1', 'k'],
      ['RPUSH', 'k', 'a'],
      ['BLPOP', 'k', 'abc'],
      ['BLPOP', 'k', '0x10'],
    ]);
  });

  test('MULTI runs blocking commands without blocking', async () => {
    const [damselfly, redis] = servers;
    await assertDifferential(damselfly, redis, [
      ['MULTI'],
      ['BLPOP', 'k', '0'],
      ['BRPOP', 'k', 'k2', '0'],
      ['BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0'],
      ['BRPOPLPUSH', 'k', 'd', '0'],
      ['BLMPOP', '0', '1', 'k', 'LEFT'],
      ['BLPOP', 'k', '-1'],
      ['RPUSH', 'k', 'a', 'b', 'c', 'd'],
      ['BLPOP', 'k', '0'],
      ['BRPOPLPUSH', 'k', 'd', '0'],
      ['BLMPOP', '0', '1', 'k', 'RIGHT', 'COUNT', '5'],
      ['EXEC'],
      ['LRANGE', 'd', '0', '-1'],
    ]);
  });

  test('clients are served in the order they blocked', async () => {
    await expectOnBoth(
      servers,
      4,
      async (session) => {
        for (let i = 0; i < 3; i++) {
          await session.send(i, ['BLPOP', 'k', '0']);
          await session.waitBlocked(i + 1);
        }
        await session.send(3, ['RPUSH', 'k', 'a', 'b']);
        const replies = [await session.read(3), await session.read(0), await session.read(1)];
        await session.send(3, ['RPUSH', 'k', 'c', 'd'], ['LRANGE', 'k', '0', '-1']);
        replies.push(await session.read(3, 2), await session.read(2));
        return replies;
      },
      [':2\r\n', pair('k', 'a'), pair('k', 'b'), ':2\r\n*1\r\n$1\r\nd\r\n', pair('k', 'c')],
    );
  });

  test('a push is served before the pusher runs its next command', async () => {
    await expectOnBoth(
      servers,
      2,
      async (session) => {
        await session.send(0, ['BRPOP', 'k', '0']);
        await session.waitBlocked(1);
        await session.send(1, ['RPUSH', 'k', 'x', 'y'], ['LLEN', 'k'], ['LRANGE', 'k', '0', '-1']);
        return [await session.read(1, 3), await session.read(0)];
      },
      [':2\r\n:1\r\n*1\r\n$1\r\nx\r\n', pair('k', 'y')],
    );
  });

  test('a client blocked inside a pipeline keeps its replies in order', async () => {
    await expectOnBoth(
      servers,
      2,
      async (session) => {
        await session.send(
          0,
          ['BLPOP', 'k', '0'],
          ['PING'],
          ['LLEN', 'k'],
          ['BLPOP', 'k', '0'],
          ['ECHO', 'last'],
        );
        await session.waitBlocked(1);
        await session.send(1, ['RPUSH', 'k', 'a', 'b']);
        const first = [await session.read(1), await session.read(0, 5)];
        await session.waitBlocked(0);
        await session.send(1, ['BLPOP', 'k', '0'], ['PING']);
        await session.waitBlocked(1);
        await session.send(0, ['RPUSH', 'k', 'c']);
        return [...first, await session.read(0), await session.read(1, 2)];
      },
      [
        ':2\r\n',
        `${pair('k', 'a')}+PONG\r\n:1\r\n${pair('k', 'b')}$4\r\nlast\r\n`,
        ':1\r\n',
        `${pair('k', 'c')}+PONG\r\n`,
      ],
    );
  });

  test('timeouts reply a nil array, also for moves', async () => {
    await expectOnBoth(
      servers,
      3,
      async (session) => {
        await session.send(0, ['BLPOP', 'k', '0.05'], ['PING']);
        await session.send(1, ['BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0.05']);
        await session.send(2, ['BLMPOP', '0.05', '2', 'k', 'j', 'LEFT', 'COUNT', '2']);
        const replies = [await session.read(0, 2), await session.read(1), await session.read(2)];
        await session.waitBlocked(0);
        await session.send(0, ['RPUSH', 'k', 'x'], ['LLEN', 'k']);
        replies.push(await session.read(0, 2));
        return replies;
      },
      [`${nilArray}+PONG\r\n`, nilArray, nilArray, ':1\r\n:1\r\n'],
    );
  });

  test('a timeout waits at least as long as asked', async () => {
    const session = await Session.open(servers[0].port, 1);
    try {
      const started = Date.now();
      assert.equal((await session.clients[0].call(['BLPOP', 'k', '0.15'])).toString(), nilArray);
      assert.ok(Date.now() - started >= 140, `timed out after ${Date.now() - started} ms`);
    } finally {
      session.close();
    }
  });

  test('a client that disconnects while blocked leaves the queue', async () => {
    await expectOnBoth(
      servers,
      3,
      async (session) => {
        await session.send(0, ['BLPOP', 'k', '0']);
        await session.send(1, ['BLPOP', 'k', '0']);
        await session.waitBlocked(2);
        session.clients[0].destroy();
        await session.waitBlocked(1);
        await session.send(2, ['RPUSH', 'k', 'a', 'b'], ['LRANGE', 'k', '0', '-1']);
        const replies = [await session.read(2, 2), await session.read(1)];
        session.clients[1].destroy();
        await session.waitBlocked(0);
        return replies;
      },
      [':2\r\n*1\r\n$1\r\nb\r\n', pair('k', 'a')],
    );
  });

  test('a waiter is served from whichever of its keys gets data', async () => {
    await expectOnBoth(
      servers,
      3,
      async (session) => {
        await session.send(0, ['BLPOP', 'k1', 'k2', 'k3', '0']);
        await session.send(1, ['BLMPOP', '0', '2', 'k3', 'k2', 'RIGHT', 'COUNT', '2']);
        await session.waitBlocked(2);
        await session.send(2, ['RPUSH', 'k2', 'a', 'b', 'c', 'd']);
        return [await session.read(2), await session.read(0), await session.read(1)];
      },
      [':4\r\n', pair('k2', 'a'), '*2\r\n$2\r\nk2\r\n*2\r\n$1\r\nd\r\n$1\r\nc\r\n'],
    );
  });

  test('moves wake clients blocked on the destination', async () => {
    await expectOnBoth(
      servers,
      4,
      async (session) => {
        await session.send(0, ['BLMOVE', 'src', 'mid', 'LEFT', 'RIGHT', '0']);
        await session.send(1, ['BLPOP', 'mid', '0']);
        await session.send(2, ['BRPOPLPUSH', 'other', 'src', '0']);
        await session.waitBlocked(3);
        await session.send(3, ['RPUSH', 'src', 'x'], ['EXISTS', 'src', 'mid']);
        const replies = [await session.read(3, 2), await session.read(0), await session.read(1)];
        await session.send(3, ['RPUSH', 'tmp', 'y'], ['RPOPLPUSH', 'tmp', 'other']);
        replies.push(await session.read(3, 2), await session.read(2));
        await session.send(3, ['LRANGE', 'src', '0', '-1']);
        replies.push(await session.read(3));
        return replies;
      },
      [
        ':1\r\n:0\r\n',
        '$1\r\nx\r\n',
        pair('mid', 'x'),
        ':1\r\n$1\r\ny\r\n',
        '$1\r\ny\r\n',
        '*1\r\n$1\r\ny\r\n',
      ],
    );
  });

  test('a wrong-type destination fails the served move and keeps the element', async () => {
    await expectOnBoth(
      servers,
      3,
      async (session) => {
        await session.send(0, ['BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0'], ['PING']);
        await session.send(1, ['BLPOP', 'src', '0']);
        await session.waitBlocked(2);
        await session.send(2, ['SET', 'dst', 'v'], ['RPUSH', 'src', 'a', 'b'], ['LLEN', 'src']);
        return [await session.read(2, 3), await session.read(0, 2), await session.read(1)];
      },
      [
        '+OK\r\n:2\r\n:1\r\n',
        '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+PONG\r\n',
        pair('src', 'a'),
      ],
    );
  });

  test('keys of another type or deleted in a transaction keep clients waiting', async () => {
    await expectOnBoth(
      servers,
      2,
      async (session) => {
        await session.send(0, ['BLPOP', 'k', '0']);
        await session.waitBlocked(1);
        await session.send(1, ['SET', 'k', 'v'], ['DEL', 'k']);
        await session.send(1, ['MULTI'], ['RPUSH', 'k', 'a'], ['DEL', 'k'], ['EXEC']);
        const replies = [await session.read(1, 6)];
        await session.waitBlocked(1);
        await session.send(1, ['MULTI'], ['RPUSH', 'k', 'a', 'b'], ['LPOP', 'k'], ['EXEC']);
        replies.push(await session.read(1, 4), await session.read(0));
        return replies;
      },
      [
        '+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:1\r\n',
        '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n$1\r\na\r\n',
        pair('k', 'b'),
      ],
    );
  });

  test('RESP3 clients time out with a null', async () => {
    await expectOnBoth(
      servers,
      1,
      async (session) => {
        await session.send(0, ['HELLO', '3']);
        await session.read(0);
        await session.send(0, ['BLPOP', 'k', '0.01'], ['BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0.01']);
        return [await session.read(0, 2)];
      },
      ['_\r\n_\r\n'],
    );
  });

  test('served pops send the events of their non-blocking forms', async () => {
    const events: string[][] = [];
    for (const server of servers) {
      const session = await Session.open(server.port, 3);
      try {
        await session.control('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
        await session.send(2, ['PSUBSCRIBE', '__keyevent@*__:*']);
        await session.read(2);
        await session.send(0, ['BLPOP', 'a', '0']);
        await session.send(1, ['BLMOVE', 'b', 'c', 'RIGHT', 'LEFT', '0']);
        await session.waitBlocked(2);
        await session.control('RPUSH', 'a', '1');
        await session.control('RPUSH', 'b', '1');
        await session.read(0);
        await session.read(1);
        const data = await session.clients[2].readUntilQuiet(150);
        events.push(
          [...data.toString('latin1').matchAll(/__keyevent@0__:(\w+)\r\n\$\d+\r\n(\w+)/g)].map(
            (match) => `${match[1]} ${match[2]}`,
          ),
        );
        await session.control('CONFIG', 'SET', 'notify-keyspace-events', '');
      } finally {
        session.close();
      }
    }
    assert.deepEqual(events[1], [
      'rpush a',
      'lpop a',
      'del a',
      'rpush b',
      'lpush c',
      'rpop b',
      'del b',
    ]);
    assert.deepEqual(events[0], events[1]);
  });

  test('CLIENT UNBLOCK ends a wait with a timeout or an error', async () => {
    await expectOnBoth(
      servers,
      3,
      async (session) => {
        const ids = [];
        for (let i = 0; i < 2; i++) {
          await session.send(i, ['CLIENT', 'ID']);
          ids.push((await session.read(i)).slice(1, -2));
        }
        await session.send(0, ['BLPOP', 'k', '0'], ['PING']);
        await session.send(1, ['BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0']);
        await session.waitBlocked(2);
        const replies = [
          await session.control('CLIENT', 'UNBLOCK', ids[0]),
          await session.read(0, 2),
          await session.control('CLIENT', 'UNBLOCK', ids[1], 'error'),
          await session.read(1),
          await session.control('CLIENT', 'UNBLOCK', ids[1]),
          await session.control('CLIENT', 'UNBLOCK', ids[1], 'sometimes'),
          await session.control('CLIENT', 'UNBLOCK', 'x'),
          await session.control('CLIENT', 'UNBLOCK', ids[1], 'TIMEOUT', 'more'),
        ];
        return replies;
      },
      [
        ':1\r\n',
        `${nilArray}+PONG\r\n`,
        ':1\r\n',
        '-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n',
        ':0\r\n',
        '-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n',
        '-ERR value is not an integer or out of range\r\n',
        "-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.\r\n",
      ],
    );
  });
});

describe('blocking journal against redis-server', { skip: redisServerSkipReason() }, () => {
  const aof = ['--appendonly', 'yes', '--appendfsync', 'always'];

  after(stopAllServers);

  test('served waiters journal their non-blocking forms', async () => {
    const journals: string[][] = [];
    for (const start of [startDamselfly, startRedisServer]) {
      const server = await start({ args: aof });
      assert.ok(server);
      const session = await Session.open(server.port, 4);
      try {
        await session.send(0, ['BLPOP', 'a', '0']);
        await session.send(1, ['BLMPOP', '0', '1', 'b', 'RIGHT', 'COUNT', '5']);
        await session.send(2, ['BLMOVE', 'c', 'd', 'LEFT', 'RIGHT', '0']);
        await session.send(3, ['BRPOPLPUSH', 'e', 'f', '0']);
        await session.waitBlocked(4);
        const { journal } = await journalOf(server, [
          ['RPUSH', 'a', '1', '2'],
          ['RPUSH', 'b', '1', '2', '3'],
          ['RPUSH', 'c', '1'],
          ['RPUSH', 'e', '1'],
        ]);
        journals.push(journal.filter((line) => !/^(SELECT|FLUSHALL)/.test(line)));
      } finally {
        session.close();
      }
    }
    assert.deepEqual(journals[1], [
      'RPUSH a 1 2',
      'LPOP a',
      'RPUSH b 1 2 3',
      'RPOP b 3',
      'RPUSH c 1',
      'LMOVE c d left right',
      'RPUSH e 1',
      'RPOPLPUSH e f',
    ]);
    assert.deepEqual(journals[0], journals[1]);
  });
});

describe('blocking through client libraries', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  /** Waits until Damselfly reports `count` blocked clients. */
  async function waitBlocked(count: number): Promise<void> {
    const control = new Redis({ port: damselfly.port, host: '127.0.0.1' });
    try {
      const deadline = Date.now() + WAIT_LIMIT_MS;
      while (!(await control.info('clients')).includes(`blocked_clients:${count}\r`)) {
        if (Date.now() > deadline) assert.fail(`never saw ${count} blocked clients`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      control.disconnect();
    }
  }

  test('ioredis clients are served in order and time out', async () => {
    const pusher = new Redis({ port: damselfly.port, host: '127.0.0.1' });
    const waiters = [0, 1, 2].map(() => new Redis({ port: damselfly.port, host: '127.0.0.1' }));
    try {
      await pusher.flushall();
      const results: Promise<[string, string] | null>[] = [];
      for (const [index, waiter] of waiters.entries()) {
        results.push(waiter.blpop('jobs', 0));
        await waitBlocked(index + 1);
      }
      assert.equal(await pusher.rpush('jobs', 'one', 'two', 'three'), 3);
      assert.deepEqual(await Promise.all(results), [
        ['jobs', 'one'],
        ['jobs', 'two'],
        ['jobs', 'three'],
      ]);
      assert.equal(await waiters[0].brpop('jobs', 0.05), null);
      assert.equal(await waiters[1].blmove('jobs', 'done', 'LEFT', 'LEFT', 0.05), null);
    } finally {
      pusher.disconnect();
      for (const waiter of waiters) waiter.disconnect();
    }
  });

  test('ioredis client disconnecting while blocked loses nothing', async () => {
    const pusher = new Redis({ port: damselfly.port, host: '127.0.0.1' });
    const leaver = new Redis({ port: damselfly.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    const stayer = new Redis({ port: damselfly.port, host: '127.0.0.1' });
    try {
      await pusher.flushall();
      const abandoned = leaver.blpop('jobs', 0).catch(() => 'disconnected');
      await waitBlocked(1);
      const kept = stayer.blpop('jobs', 0);
      await waitBlocked(2);
      leaver.disconnect();
      assert.equal(await abandoned, 'disconnected');
      await waitBlocked(1);
      await pusher.rpush('jobs', 'a', 'b');
      assert.deepEqual(await kept, ['jobs', 'a']);
      assert.deepEqual(await pusher.lrange('jobs', 0, -1), ['b']);
    } finally {
      pusher.disconnect();
      stayer.disconnect();
    }
  });

  test('node-redis blocking pops, moves and MULTI', async () => {
    const options = { socket: { port: damselfly.port, host: '127.0.0.1' } };
    const pusher = createClient(options);
    const first = createClient(options);
    const second = createClient(options);
    await Promise.all([pusher.connect(), first.connect(), second.connect()]);
    try {
      await pusher.flushAll();
      const popped = first.blPop(['a', 'b'], 0);
      await waitBlocked(1);
      const moved = second.blMove('b', 'c', 'RIGHT', 'LEFT', 0);
      await waitBlocked(2);
      await pusher.rPush('b', ['x', 'y']);
      assert.deepEqual(await popped, { key: 'b', element: 'x' });
      assert.equal(await moved, 'y');
      assert.deepEqual(await pusher.lRange('c', 0, -1), ['y']);
      const pipelined = first.multi().blPop('c', 0).ping().exec();
      assert.deepEqual(await pipelined, [{ key: 'c', element: 'y' }, 'PONG']);
      assert.equal(await second.blPop('c', 0.05), null);
      assert.deepEqual(await second.blmPop(0.05, ['c'], 'LEFT'), null);
    } finally {
      await Promise.all([pusher.quit(), first.quit(), second.quit()]);
    }
  });
});
