/**
 * Stream entry commands compared byte for byte with redis-server 7.0:
 * XADD in every form with its trimming options, XRANGE, XREVRANGE, XLEN,
 * XDEL, XTRIM and XSETID with their errors. Also how streams behave as
 * keys: TYPE, OBJECT ENCODING, SCAN TYPE, COPY, RENAME and MOVE. IDs from
 * `*` differ between servers, so they are checked by shape here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';
import { fillStream, hideRadixNodes } from './stream-support';

describe('stream entries against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const compare = (steps: Step[]) =>
    assertDifferential(damselfly, redis, steps, { normalize: [hideRadixNodes] });

  before(async () => {
    const [ours, reference] = await Promise.all([startDamselfly(), startRedisServer()]);
    assert.ok(reference);
    damselfly = ours;
    redis = reference;
  });

  after(stopAllServers);

  test('XADD with explicit IDs', async () => {
    await compare([
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '1', 'a', '1'],
      ['XADD', 's', '1-*', 'b', '2', 'c', '3'],
      ['XADD', 's', '1-*', 'b', '2'],
      ['XADD', 's', '0-*', 'b', '2'],
      ['XADD', 's', '5', 'x', 'y'],
      ['XADD', 's', '5-*', 'x', 'y'],
      ['XADD', 's', '6-18446744073709551615', 'x', 'y'],
      ['XADD', 's', '6-*', 'x', 'y'],
      ['XADD', 's', '7-*', 'x', 'y'],
      ['XRANGE', 's', '-', '+'],
      ['XLEN', 's'],
      ['XADD', 'z', '0-*', 'a', '1'],
      ['XADD', 'z2', '0-0', 'a', '1'],
      ['XADD', 'z2', '0', 'a', '1'],
      ['EXISTS', 'z2'],
      ['XADD', 'big', '18446744073709551615-18446744073709551614', 'a', '1'],
      ['XADD', 'big', '18446744073709551615-*', 'a', '1'],
      ['XADD', 'big', '18446744073709551615-*', 'a', '1'],
      ['XADD', 'big', '*', 'a', '1'],
      ['XADD', 'big', '1-1', 'a', '1'],
      ['XRANGE', 'big', '-', '+'],
      ['XINFO', 'STREAM', 'big'],
    ]);
  });

  test('XADD ID parsing', async () => {
    await compare([
      ['XADD', 's', '1- 1', 'a', '1'],
      ['XADD', 's', '1-+2', 'a', '1'],
      ['XADD', 's', ' 2-1', 'a', '1'],
      ['XADD', 's', '02-2', 'a', '1'],
      ['XADD', 's', '+3-1', 'a', '1'],
      ['XADD', 's', '3- -1', 'a', '1'],
      ['XADD', 's', '4--05', 'a', '1'],
      ['XADD', 's', '5-\t7', 'a', '1'],
      ['XADD', 's', '9223372036854775808-1', 'a', '1'],
      ['XADD', 's', '9223372036854775809-00', 'a', '1'],
      ['XRANGE', 's', '-', '+'],
      ['XADD', 't', '1-x', 'a', '1'],
      ['XADD', 't', 'abc', 'a', '1'],
      ['XADD', 't', '-1', 'a', '1'],
      ['XADD', 't', '1-', 'a', '1'],
      ['XADD', 't', '-1-1', 'a', '1'],
      ['XADD', 't', '1--1', 'a', '1'],
      ['XADD', 't', '18446744073709551616-1', 'a', '1'],
      ['XADD', 't', '1-18446744073709551616', 'a', '1'],
      ['XADD', 't', '1-1-1', 'a', '1'],
      ['XADD', 't', '1.5-1', 'a', '1'],
      ['XADD', 't', '', 'a', '1'],
      ['XADD', 't', ' ', 'a', '1'],
      ['XADD', 't', '-', 'a', '1'],
      ['XADD', 't', '+', 'a', '1'],
      ['XADD', 't', '**', 'a', '1'],
      ['XADD', 't', '1-**', 'a', '1'],
      ['XADD', 't', `${'1'.repeat(128)}`, 'a', '1'],
      ['XADD', 't', '1\x002', 'a', '1'],
      ['XRANGE', 't', '-', '+'],
      ['EXISTS', 't'],
    ]);
  });

  test('XADD option and arity errors', async () => {
    await compare([
      ['XADD', 's', '0-0', 'a'],
      ['XADD', 's', '*', 'a'],
      ['XADD', 's', '*', 'a', 'b', 'c'],
      ['XADD', 's', 'abc', 'a'],
      ['XADD', 's', 'NOMKSTREAM', '*', 'a'],
      ['XADD', 's', 'MAXLEN', '5', 'NOMKSTREAM'],
      ['XADD', 's', 'MAXLEN', 'abc', '*', 'a'],
      ['XADD', 's', 'MAXLEN', '-1', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '~', '1', 'LIMIT', '10', '1-1', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '1', 'LIMIT', '10', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '=', '1', 'LIMIT', '10', '*', 'a', '1'],
      ['XADD', 's', 'MINID', '5', 'MAXLEN', '1', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '5', 'MINID', '1', '*', 'a', '1'],
      ['XADD', 's', 'LIMIT', '5', '*', 'a', '1'],
      ['XADD', 's', 'LIMIT', '0', '*', 'a', '1'],
      ['XADD', 's', 'LIMIT', '-1', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '5', 'LIMIT', '-1', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '5', 'LIMIT', 'x', '*', 'a', '1'],
      ['XADD', 's', 'MINID', 'abc', '*', 'a', '1'],
      ['XADD', 's', 'MINID', '-', '*', 'a', '1'],
      ['XADD', 's', 'MINID', '~', '+', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '9223372036854775808', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '=', '=', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '~', '*', 'a', '1'],
      ['XADD', 's', 'MAXLEN', '~'],
      ['XADD', 's', 'MAXLEN'],
      ['XADD', 's', 'FOO', '*', 'a', '1'],
      ['XADD', 'missing', 'NOMKSTREAM', '1-1', 'a', '1'],
      ['XADD', 'missing', 'nomkstream', 'maxlen', '5', '1-1', 'a', '1'],
      ['EXISTS', 'missing', 's'],
      ['XADD'],
      ['XADD', 's', '1-1', 'a'],
      ['SET', 'str', 'v'],
      ['XADD', 'str', '1-1', 'a', '1'],
      ['XADD', 'str', '0-0', 'a', '1'],
      ['XADD', 'str', '1-1', 'a'],
      ['XADD', 'str', 'NOMKSTREAM', '1-1', 'a', '1'],
    ]);
  });

  test('XADD trimming by length and ID', async () => {
    await compare([
      ...fillStream('s', 250),
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', 'MAXLEN', '~', '120', '251-1', 'f', 'v'],
      ['XLEN', 's'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', 'MAXLEN', '=', '120', '252-1', 'f', 'v'],
      ['XLEN', 's'],
      ['XRANGE', 's', '-', '+', 'COUNT', '2'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', 'MAXLEN', '100', '253-1', 'f', 'v'],
      ['XRANGE', 's', '-', '+', 'COUNT', '2'],
      ['XADD', 's', 'MINID', '~', '210', '254-1', 'f', 'v'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', 'MINID', '215', '255-1', 'f', 'v'],
      ['XRANGE', 's', '-', '+', 'COUNT', '2'],
      ['XADD', 's', 'MAXLEN', '~', '0', 'LIMIT', '30', '256-1', 'f', 'v'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', 'MAXLEN', '~', '0', 'LIMIT', '0', '257-1', 'f', 'v'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', 'MAXLEN', '0', '258-1', 'f', 'v'],
      ['XINFO', 'STREAM', 's'],
      ['EXISTS', 's'],
      ['XADD', 's', 'MINID', '~', '99999', '259-1', 'f', 'v'],
      ['XINFO', 'STREAM', 's'],
    ]);
  });

  test('nodes split by stream-node-max-bytes', async () => {
    const steps: Step[] = [['CONFIG', 'SET', 'stream-node-max-bytes', '300']];
    for (let i = 1; i <= 40; i++) {
      const fields = i % 3 === 0 ? ['other', 'x'.repeat(i)] : ['f', String(i * 1000), 'g', 'v'];
      steps.push(['XADD', 'bytes', `${i}-${i % 4}`, ...fields]);
    }
    steps.push(['XINFO', 'STREAM', 'bytes']);
    steps.push(['XADD', 'bytes', 'MAXLEN', '~', '20', '100-0', 'f', 'v']);
    steps.push(['XINFO', 'STREAM', 'bytes']);
    steps.push(['CONFIG', 'SET', 'stream-node-max-bytes', '4096']);
    steps.push(['CONFIG', 'SET', 'stream-node-max-entries', '7']);
    steps.push(...fillStream('entries', 30));
    steps.push(['XINFO', 'STREAM', 'entries']);
    steps.push(['XDEL', 'entries', '8-1', '9-1', '10-1', '11-1', '12-1', '13-1', '14-1']);
    steps.push(['XINFO', 'STREAM', 'entries']);
    steps.push(['XTRIM', 'entries', 'MAXLEN', '~', '10']);
    steps.push(['XINFO', 'STREAM', 'entries']);
    steps.push(['CONFIG', 'SET', 'stream-node-max-entries', '100']);
    await compare(steps);
  });

  test('XRANGE and XREVRANGE', async () => {
    await compare([
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '2-1', 'b', '2', 'c', '3'],
      ['XADD', 's', '2-5', 'd', '4'],
      ['XADD', 's', '3-1', 'a', '4'],
      ['XRANGE', 's', '-', '+'],
      ['XRANGE', 's', '-', '+', 'COUNT', '0'],
      ['XRANGE', 's', '-', '+', 'COUNT', '-1'],
      ['XRANGE', 's', '-', '+', 'COUNT', '2'],
      ['XRANGE', 's', '-', '+', 'count', '1', 'COUNT', '3'],
      ['XRANGE', 's', '2', '2'],
      ['XRANGE', 's', '2-1', '2-1'],
      ['XRANGE', 's', '(2-1', '+'],
      ['XRANGE', 's', '-', '(2-5'],
      ['XRANGE', 's', '(1', '(3'],
      ['XRANGE', 's', '(1-1', '(3-1'],
      ['XRANGE', 's', '(0-18446744073709551615', '+'],
      ['XRANGE', 's', '3', '2'],
      ['XRANGE', 's', '(18446744073709551615-18446744073709551615', '+'],
      ['XRANGE', 's', '-', '(0-0'],
      ['XRANGE', 's', '-', '(0'],
      ['XRANGE', 's', '(', '+'],
      ['XRANGE', 's', '(-', '+'],
      ['XRANGE', 's', '-', '(+'],
      ['XRANGE', 's', '--', '+'],
      ['XRANGE', 's', 'x', '+'],
      ['XRANGE', 's', '-', 'x'],
      ['XRANGE', 's', 'x', '+', 'COUNT', 'y'],
      ['XRANGE', 's', '-', '+', 'COUNT', 'y'],
      ['XRANGE', 's', '-', '+', 'COUNT'],
      ['XRANGE', 's', '-', '+', 'FOO', '1'],
      ['XRANGE', 's', '(18446744073709551615-18446744073709551615', 'x'],
      ['XREVRANGE', 's', '+', '-'],
      ['XREVRANGE', 's', '+', '-', 'COUNT', '2'],
      ['XREVRANGE', 's', '2', '-'],
      ['XREVRANGE', 's', '(2-5', '(1-1'],
      ['XREVRANGE', 's', '1', '3'],
      ['XREVRANGE', 's', '+', '(18446744073709551615-18446744073709551615'],
      ['XREVRANGE', 's', '(0-0', '-'],
      ['XRANGE', 'missing', '-', '+'],
      ['XREVRANGE', 'missing', '+', '-'],
      ['XRANGE', 'missing', 'x', '+'],
      ['XLEN', 's'],
      ['XLEN', 'missing'],
      ['SET', 'str', 'v'],
      ['XLEN', 'str'],
      ['XRANGE', 'str', '-', '+'],
      ['XRANGE', 'str', 'x', '+'],
      ['XREVRANGE', 'str', '+', '-'],
      ['XRANGE', 'missing', '-', '+', 'COUNT', '0'],
      { command: ['HELLO', '3'], ignore: true },
      ['XRANGE', 's', '-', '+'],
      ['XRANGE', 's', '-', '+', 'COUNT', '0'],
      ['XRANGE', 'missing', '-', '+'],
    ]);
  });

  test('ranges across many nodes', async () => {
    const steps: Step[] = [...fillStream('s', 450)];
    steps.push(['XDEL', 's', '100-1', '101-1', '250-1']);
    for (const [start, end] of [
      ['-', '+'],
      ['95', '105'],
      ['(99-1', '(102-1'],
      ['199-1', '201-1'],
      ['440', '+'],
      ['250', '250'],
    ]) {
      steps.push(['XRANGE', 's', start, end, 'COUNT', '7']);
      steps.push(['XREVRANGE', 's', end, start, 'COUNT', '7']);
    }
    steps.push(['XRANGE', 's', '-', '+']);
    steps.push(['XREVRANGE', 's', '+', '-']);
    await compare(steps);
  });

  test('XDEL', async () => {
    await compare([
      ...fillStream('s', 5),
      ['XDEL', 's', '2-1', '3-1', '2-1', '9-9'],
      ['XDEL', 's', '1-1', 'x'],
      ['XDEL', 's', '-'],
      ['XDEL', 's', '1'],
      ['XRANGE', 's', '-', '+'],
      ['XINFO', 'STREAM', 's'],
      ['XDEL', 's', '1-1'],
      ['XINFO', 'STREAM', 's'],
      ['XDEL', 's', '4-1', '5-1'],
      ['XINFO', 'STREAM', 's'],
      ['EXISTS', 's'],
      ['XLEN', 's'],
      ['XDEL', 'missing', 'x'],
      ['SET', 'str', 'v'],
      ['XDEL', 'str', '1-1'],
      ['XDEL', 'str', 'x'],
    ]);
  });

  test('XTRIM', async () => {
    await compare([
      ['XTRIM', 'missing', 'MAXLEN', 'x'],
      ['XTRIM', 'missing', 'FOO'],
      ...fillStream('s', 300),
      ['XTRIM', 's'],
      ['XTRIM', 's', 'FOO'],
      ['XTRIM', 's', 'LIMIT', '5'],
      ['XTRIM', 's', 'LIMIT', '0'],
      ['XTRIM', 's', 'MAXLEN'],
      ['XTRIM', 's', 'MAXLEN', '-1'],
      ['XTRIM', 's', 'MAXLEN', '5', 'LIMIT', '3'],
      ['XTRIM', 's', 'MAXLEN', '5', 'MINID', '3'],
      ['XTRIM', 's', 'MAXLEN', '5', 'FOO'],
      ['XTRIM', 's', 'MAXLEN', '5', '*'],
      ['XTRIM', 's', 'MINID', '*'],
      ['XTRIM', 's', 'MAXLEN', '~', '250'],
      ['XTRIM', 's', 'MAXLEN', '~', '150'],
      ['XTRIM', 's', 'MAXLEN', '280'],
      ['XTRIM', 's', 'MAXLEN', '~', '0', 'LIMIT', '50'],
      ['XTRIM', 's', 'MAXLEN', '~', '0', 'LIMIT', '150'],
      ['XINFO', 'STREAM', 's'],
      ['XTRIM', 's', 'MINID', '~', '230-5'],
      ['XTRIM', 's', 'MINID', '230-5'],
      ['XTRIM', 's', 'minid', '=', '240'],
      ['XTRIM', 's', 'maxlen', '=', '10'],
      ['XRANGE', 's', '-', '+', 'COUNT', '3'],
      ['XINFO', 'STREAM', 's'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XINFO', 'STREAM', 's'],
      ['EXISTS', 's'],
      ['SET', 'str', 'v'],
      ['XTRIM', 'str', 'MAXLEN', '0'],
      ['XTRIM', 'str', 'FOO'],
    ]);
  });

  test('XSETID', async () => {
    await compare([
      ['XSETID', 'missing', '1-1'],
      ['XSETID', 'missing', 'x'],
      ...fillStream('s', 3),
      ['XSETID', 's', '2-1'],
      ['XSETID', 's', '3-1'],
      ['XSETID', 's', '-'],
      ['XSETID', 's', '10-0'],
      ['XADD', 's', '9-1', 'a', '1'],
      ['XADD', 's', '10-*', 'a', '1'],
      ['XSETID', 's', '20', 'ENTRIESADDED', '1'],
      ['XSETID', 's', '20', 'ENTRIESADDED', '-1'],
      ['XSETID', 's', '20', 'ENTRIESADDED', 'x'],
      ['XSETID', 's', '20', 'ENTRIESADDED', '100', 'MAXDELETEDID', '5-0'],
      ['XINFO', 'STREAM', 's'],
      ['XSETID', 's', '20', 'MAXDELETEDID', '30-0'],
      ['XSETID', 's', '20', 'MAXDELETEDID', 'x'],
      ['XSETID', 's', '20', 'MAXDELETEDID'],
      ['XSETID', 's', '20', 'FOO', '1'],
      ['XDEL', 's', '10-1'],
      ['XSETID', 's', '10-0'],
      ['XSETID', 's', '10-1'],
      ['XINFO', 'STREAM', 's'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XSETID', 's', '15-0'],
      ['XSETID', 's', '9-0'],
      ['XSETID', 's', '15-0', 'ENTRIESADDED', '0'],
      ['XINFO', 'STREAM', 's'],
      ['XSETID', 's', '18446744073709551615-18446744073709551615'],
      ['XADD', 's', '*', 'a', '1'],
      ['SET', 'str', 'v'],
      ['XSETID', 'str', '1-1'],
    ]);
  });

  test('binary and empty fields', async () => {
    await compare([
      ['XADD', 's', '1-1', '', ''],
      ['XADD', 's', '2-1', Buffer.from([0, 255, 13, 10]), Buffer.from('\u00e9t\u00e9', 'utf8')],
      ['XADD', 's', '3-1', 'x'.repeat(5000), '-12345678901234567890'],
      ['XADD', 's', '4-1', '9223372036854775807', '-9223372036854775808', 'a', '007'],
      ['XRANGE', 's', '-', '+'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', Buffer.from([0, 1, 255]), '1-1', 'k', 'v'],
      ['XRANGE', Buffer.from([0, 1, 255]), '-', '+'],
    ]);
  });

  test('large counters', async () => {
    await compare([
      ['XADD', 's', '1-1', 'a', '1'],
      ['XSETID', 's', '5-0', 'ENTRIESADDED', '9223372036854775807'],
      ['XINFO', 'STREAM', 's'],
      ['XADD', 's', '6-0', 'a', '1'],
      ['XINFO', 'STREAM', 's'],
      ['XSETID', 's', '7-0', 'ENTRIESADDED', '9007199254740993'],
      ['XADD', 's', '8-0', 'a', '1'],
      ['XINFO', 'STREAM', 's'],
      ['XGROUP', 'CREATE', 's', 'g', '0', 'ENTRIESREAD', '9007199254740990'],
      ['XINFO', 'GROUPS', 's'],
      ['XGROUP', 'SETID', 's', 'g', '1-1', 'ENTRIESREAD', '9223372036854775807'],
      ['XINFO', 'GROUPS', 's'],
    ]);
  });

  test('streams as keys', async () => {
    await compare([
      ...fillStream('s', 3),
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', 's', '>'],
      ['TYPE', 's'],
      ['OBJECT', 'ENCODING', 's'],
      ['SET', 'str', 'v'],
      ['SCAN', '0', 'TYPE', 'stream'],
      ['COPY', 's', 'copy'],
      ['XADD', 'copy', '10-1', 'new', '1'],
      ['XLEN', 's'],
      ['XPENDING', 'copy', 'g'],
      ['XINFO', 'GROUPS', 'copy'],
      ['RENAME', 'copy', 'renamed'],
      ['XRANGE', 'renamed', '-', '+'],
      ['MOVE', 'renamed', '1'],
      ['SELECT', '1'],
      ['XRANGE', 'renamed', '-', '+'],
      ['XINFO', 'GROUPS', 'renamed'],
      ['SELECT', '0'],
      ['XADD', 'empty', '1-1', 'a', '1'],
      ['XDEL', 'empty', '1-1'],
      ['TYPE', 'empty'],
      ['COPY', 'empty', 'empty2'],
      ['TYPE', 'empty2'],
      ['DEL', 's', 'empty', 'empty2'],
      ['EXISTS', 's'],
      ['XLEN', 'str'],
      ['LPUSH', 'renamed', 'x'],
    ]);
  });
});

describe('stream IDs from *', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('generated IDs are time based and increase', async () => {
    const client = await RawClient.connect(damselfly.port);
    try {
      const ids: string[] = [];
      const before = Date.now();
      for (let i = 0; i < 50; i++) {
        const reply = (await client.call(['XADD', 'auto', '*', 'i', String(i)])).toString();
        const match = /^\$\d+\r\n(\d+)-(\d+)\r\n$/.exec(reply);
        assert.ok(match, `unexpected XADD reply ${JSON.stringify(reply)}`);
        ids.push(`${match[1]}-${match[2]}`);
      }
      const after = Date.now();
      const [firstMs] = ids[0].split('-').map(Number);
      assert.ok(firstMs >= before, `first ID ${ids[0]} is older than the test`);
      assert.ok(firstMs <= after, `first ID ${ids[0]} is in the future`);
      for (let i = 1; i < ids.length; i++) {
        const [ms, seq] = ids[i].split('-').map(Number);
        const [lastMs, lastSeq] = ids[i - 1].split('-').map(Number);
        assert.ok(
          ms > lastMs || (ms === lastMs && seq === lastSeq + 1),
          `${ids[i]} after ${ids[i - 1]}`,
        );
        if (ms > lastMs) assert.equal(seq, 0, `${ids[i]} starts a new millisecond at sequence 0`);
      }
    } finally {
      client.destroy();
    }
  });

  test('generated IDs follow an ID set in the future', async () => {
    const client = await RawClient.connect(damselfly.port);
    try {
      const future = Date.now() + 10_000_000;
      await client.call(['XADD', 'future', `${future}-5`, 'a', '1']);
      const reply = (await client.call(['XADD', 'future', '*', 'a', '1'])).toString();
      assert.equal(reply, `$${String(future).length + 2}\r\n${future}-6\r\n`);
      const sequenced = (await client.call(['XADD', 'future', `${future}-*`, 'a', '1'])).toString();
      assert.equal(sequenced, `$${String(future).length + 2}\r\n${future}-7\r\n`);
    } finally {
      client.destroy();
    }
  });
});
