/**
 * Blocking XREAD and XREADGROUP compared with redis-server 7.0: the same
 * scenario (clients that block, then commands from another client) runs on
 * both servers, and every reply, including the blocked clients', must be
 * byte for byte the same. Then ioredis checks that waits work through a
 * client library.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';

import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  sleep,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';
import { hidePendingIdle, hideTimes } from './stream-support';

/** A step of `then` that waits the given milliseconds instead of sending a command. */
const PAUSE = 'pause-ms';

interface Scenario {
  /** Commands run first, in order. */
  setup: string[][];
  /** One command per blocking client, each on its own connection; `{id}` is its client ID. */
  blocked: string[][];
  /**
   * Commands run once every blocking client waits; `{id0}` is the first
   * blocked client's ID, and [PAUSE, ms] waits.
   */
  then: string[][];
  /** Commands run after the blocked clients replied. */
  check?: string[][];
}

/** Waits until the server reports `count` blocked clients. */
async function waitForBlocked(control: RawClient, count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const info = (await control.call(['INFO', 'clients'])).toString('latin1');
    const match = /blocked_clients:(\d+)/.exec(info);
    if (match !== null && Number(match[1]) >= count) return;
    await sleep(10);
  }
  assert.fail(`${count} clients did not block`);
}

/** Runs a scenario on one server; returns every reply as text, times masked. */
async function runScenario(port: number, scenario: Scenario): Promise<string[]> {
  const replies: string[] = [];
  const control = await RawClient.connect(port);
  const blockers: RawClient[] = [];
  const ids: string[] = [];
  try {
    await control.call(['FLUSHALL']);
    for (const args of scenario.setup) replies.push((await control.call(args)).toString('latin1'));
    for (const args of scenario.blocked) {
      const blocker = await RawClient.connect(port);
      blockers.push(blocker);
      ids.push(String(await blocker.call(['CLIENT', 'ID'])).replace(/\D/g, ''));
      await blocker.send(encode(args));
      await waitForBlocked(control, blockers.length);
    }
    for (const args of scenario.then) {
      if (args[0] === PAUSE) {
        await sleep(Number(args[1]));
        continue;
      }
      const filled = args.map((arg) => arg.replace('{id0}', ids[0]));
      replies.push((await control.call(filled)).toString('latin1'));
    }
    for (const blocker of blockers) {
      replies.push((await blocker.readReply(3000)).toString('latin1'));
    }
    for (const args of scenario.check ?? []) {
      replies.push((await control.call(args)).toString('latin1'));
    }
  } finally {
    control.destroy();
    for (const blocker of blockers) blocker.destroy();
  }
  return replies.map(maskTimes);
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

function maskTimes(text: string): string {
  let masked = text;
  for (const [pattern, replacement] of [...hideTimes, hidePendingIdle] as [RegExp, string][]) {
    masked = masked.replace(pattern, replacement);
  }
  return masked;
}

const scenarios: Record<string, Scenario> = {
  'XREAD with $ gets only newer entries': {
    setup: [['XADD', 's', '1-1', 'a', '1']],
    blocked: [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$']],
    then: [['XADD', 's', '2-1', 'b', '2']],
  },
  'XREAD waits for a key to be created': {
    setup: [],
    blocked: [['XREAD', 'BLOCK', '0', 'STREAMS', 'other', 's', '$', '$']],
    then: [['XADD', 's', '5-1', 'a', '1']],
  },
  'XREAD after an ID gets every newer entry': {
    setup: [['XADD', 's', '1-1', 'a', '1']],
    blocked: [['XREAD', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 's', '1-1']],
    then: [
      ['MULTI'],
      ['XADD', 's', '2-1', 'a', '1'],
      ['XADD', 's', '3-1', 'a', '1'],
      ['XADD', 's', '4-1', 'a', '1'],
      ['EXEC'],
    ],
  },
  'XREAD times out with nil': {
    setup: [['XADD', 's', '1-1', 'a', '1']],
    blocked: [['XREAD', 'BLOCK', '200', 'STREAMS', 's', '$']],
    then: [],
  },
  'XREAD keeps waiting when its key is deleted': {
    setup: [['XADD', 's', '1-1', 'a', '1']],
    blocked: [['XREAD', 'BLOCK', '300', 'STREAMS', 's', '$']],
    then: [
      ['DEL', 's'],
      ['SET', 's', 'string'],
    ],
  },
  'XREAD ended by CLIENT UNBLOCK': {
    setup: [],
    blocked: [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$']],
    then: [['CLIENT', 'UNBLOCK', '{id0}']],
  },
  'XREAD ended by CLIENT UNBLOCK ERROR': {
    setup: [],
    blocked: [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$']],
    then: [['CLIENT', 'UNBLOCK', '{id0}', 'ERROR']],
  },
  'several XREAD clients get the same entry': {
    setup: [['XADD', 's', '1-1', 'a', '1']],
    blocked: [
      ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'],
      ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '1-1'],
    ],
    then: [['XADD', 's', '2-1', 'b', '2']],
  },
  'XREADGROUP gets new entries': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [['XADD', 's', '1-1', 'a', '1']],
    check: [
      ['XPENDING', 's', 'g', '-', '+', '10'],
      ['XINFO', 'GROUPS', 's'],
      ['XINFO', 'CONSUMERS', 's', 'g'],
    ],
  },
  'XREADGROUP consumers share entries': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'bob', 'BLOCK', '0', 'STREAMS', 's', '>'],
    ],
    then: [
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '2-1', 'b', '2'],
    ],
    check: [['XPENDING', 's', 'g', '-', '+', '10']],
  },
  'XREADGROUP with NOACK leaves nothing pending': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'NOACK', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [['XADD', 's', '1-1', 'a', '1']],
    check: [
      ['XPENDING', 's', 'g'],
      ['XINFO', 'GROUPS', 's'],
    ],
  },
  'XREADGROUP ends when its key is deleted': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [['DEL', 's']],
  },
  'XREADGROUP ends when its key changes type': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [['SET', 's', 'string']],
  },
  'XREADGROUP ends when its key is renamed away': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [['RENAME', 's', 't']],
  },
  'XREADGROUP ends on FLUSHALL': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [['FLUSHALL']],
  },
  'XREADGROUP ends when SWAPDB takes its key': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [
      ['SWAPDB', '0', '1'],
      ['SWAPDB', '0', '1'],
    ],
  },
  'XREADGROUP ends when its key expires': {
    setup: [
      ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
      ['PEXPIRE', 's', '100'],
    ],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [
      [PAUSE, '200'],
      ['EXISTS', 's'],
    ],
  },
  'XREADGROUP ends when its group is destroyed': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [['XGROUP', 'DESTROY', 's', 'g']],
  },
  'XREADGROUP times out with nil': {
    setup: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '200', 'STREAMS', 's', '>']],
    then: [],
    check: [['XINFO', 'CONSUMERS', 's', 'g']],
  },
  'XREADGROUP after XGROUP SETID moves back': {
    setup: [
      ['XADD', 's', '1-1', 'a', '1'],
      ['XGROUP', 'CREATE', 's', 'g', '$'],
    ],
    blocked: [['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '5', 'BLOCK', '0', 'STREAMS', 's', '>']],
    then: [
      ['XGROUP', 'SETID', 's', 'g', '0'],
      ['XADD', 's', '2-1', 'b', '2'],
    ],
    check: [['XINFO', 'GROUPS', 's']],
  },
};

describe('blocking stream reads against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    const [ours, reference] = await Promise.all([startDamselfly(), startRedisServer()]);
    assert.ok(reference);
    damselfly = ours;
    redis = reference;
  });

  after(stopAllServers);

  for (const [name, scenario] of Object.entries(scenarios)) {
    test(name, async () => {
      const [ours, theirs] = await Promise.all([
        runScenario(damselfly.port, scenario),
        runScenario(redis.port, scenario),
      ]);
      assert.deepEqual(ours, theirs);
    });
  }

  test('blocked reply in RESP3 is a map', async () => {
    const scenario: Scenario = {
      setup: [],
      blocked: [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$']],
      then: [['XADD', 's', '1-1', 'a', '1']],
    };
    const run = async (port: number) => {
      const blocker = await RawClient.connect(port);
      const control = await RawClient.connect(port);
      try {
        await control.call(['FLUSHALL']);
        await blocker.call(['HELLO', '3']);
        await blocker.send(encode(scenario.blocked[0]));
        await waitForBlocked(control, 1);
        await control.call(scenario.then[0]);
        return (await blocker.readReply(3000)).toString('latin1');
      } finally {
        blocker.destroy();
        control.destroy();
      }
    };
    const [ours, theirs] = await Promise.all([run(damselfly.port), run(redis.port)]);
    assert.equal(ours, theirs);
    assert.ok(ours.startsWith('%1\r\n'), `expected a map, got ${JSON.stringify(ours)}`);
  });
});

describe('blocking stream reads through ioredis', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('XREAD BLOCK wakes on XADD', async () => {
    const reader = new Redis(damselfly.port, '127.0.0.1');
    const writer = new Redis(damselfly.port, '127.0.0.1');
    try {
      await writer.xadd('events', '5-1', 'old', '1');
      const pending = reader.xread('BLOCK', 5000, 'STREAMS', 'events', '$');
      await sleep(100);
      await writer.xadd('events', '6-1', 'new', '2');
      const result = await pending;
      assert.deepEqual(result, [['events', [['6-1', ['new', '2']]]]]);
    } finally {
      reader.disconnect();
      writer.disconnect();
    }
  });

  test('XREADGROUP BLOCK delivers once per group', async () => {
    const first = new Redis(damselfly.port, '127.0.0.1');
    const second = new Redis(damselfly.port, '127.0.0.1');
    const writer = new Redis(damselfly.port, '127.0.0.1');
    try {
      await writer.xgroup('CREATE', 'jobs', 'workers', '$', 'MKSTREAM');
      const read = (client: Redis, name: string) =>
        client.xreadgroup('GROUP', 'workers', name, 'BLOCK', 5000, 'STREAMS', 'jobs', '>');
      const readers = [read(first, 'one'), read(second, 'two')];
      await sleep(100);
      await writer.xadd('jobs', '1-1', 'task', 'a');
      await writer.xadd('jobs', '2-1', 'task', 'b');
      const results = await Promise.all(readers);
      const delivered = results.map(
        (result) => (result as [string, [string, string[]][]][])[0][1][0][0],
      );
      assert.deepEqual(delivered.sort(), ['1-1', '2-1']);
      assert.equal(await writer.xlen('jobs'), 2);
      const summary = (await writer.xpending('jobs', 'workers')) as unknown[];
      assert.equal(summary[0], 2);
    } finally {
      first.disconnect();
      second.disconnect();
      writer.disconnect();
    }
  });
});
