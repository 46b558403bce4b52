/**
 * SCAN tests. Replies are compared with redis-server where both servers must
 * agree: errors, and a scan that fits in one call. Full iterations run through
 * ioredis and node-redis while other clients add and remove keys. The cursor
 * guarantee of scanIterable, which HSCAN, SSCAN and ZSCAN share, is checked
 * on random interleavings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';
import Redis from 'ioredis';
import { createClient } from 'redis';

import { scanIterable, scanMap, scanSet } from '../src/store/scan';
import { assertDifferential, type Normalizer, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import { findReplyEnd } from './support/resp';
import { sleep } from './support/server-process';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Sorts the key list of a SCAN reply, which each server returns in its own order. */
const sortScanKeys: Normalizer = (text) => {
  const prefix = /^\*2\r\n\$\d+\r\n\d+\r\n\*(\d+)\r\n/.exec(text);
  if (prefix === null) return text;
  const bytes = Buffer.from(text, 'latin1');
  const items: string[] = [];
  let offset = prefix[0].length;
  for (let i = 0; i < Number(prefix[1]); i++) {
    const end = findReplyEnd(bytes, offset);
    if (end < 0) return text;
    items.push(text.slice(offset, end));
    offset = end;
  }
  return prefix[0] + items.sort().join('') + text.slice(offset);
};

/** Sends SCAN until the cursor returns to 0; returns every key of every page, in order. */
async function scanAll(client: RawClient, options: string[] = [], start = '0'): Promise<string[]> {
  const keys: string[] = [];
  let cursor = start;
  do {
    const page = await scanPage(client, ['SCAN', cursor, ...options]);
    cursor = page.cursor;
    keys.push(...page.keys);
  } while (cursor !== '0');
  return keys;
}

/** Sends one SCAN-style request and decodes [cursor, keys]. */
async function scanPage(
  client: RawClient,
  args: string[],
): Promise<{ cursor: string; keys: string[] }> {
  const text = (await client.call(args)).toString('latin1');
  const parts = text.split('\r\n');
  assert.equal(parts[0], '*2', `unexpected reply ${JSON.stringify(text)}`);
  const count = Number(parts[3].slice(1));
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(parts[5 + 2 * i]);
  return { cursor: parts[2], keys };
}

/** Adds keys prefix:0 .. prefix:count-1 with one pipelined write. */
async function addKeys(client: RawClient, prefix: string, count: number, from = 0): Promise<void> {
  let requests = '';
  for (let i = from; i < from + count; i++) {
    const key = `${prefix}:${i}`;
    requests += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$1\r\nv\r\n`;
  }
  await client.send(requests);
  await client.readBytes(5 * count, 10_000);
}

describe('SCAN against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('cursor and option errors', async () => {
    await assertDifferential(damselfly, redis, [
      ['SCAN', 'abc'],
      ['SCAN', '-1'],
      ['SCAN', '+0'],
      ['SCAN', ' 0'],
      ['SCAN', '0 '],
      ['SCAN', ''],
      ['SCAN', '+'],
      ['SCAN', '-'],
      ['SCAN', '0x10'],
      ['SCAN', '18446744073709551616'],
      ['SCAN', '18446744073709551615'],
      ['SCAN', '-18446744073709551616'],
      ['SCAN', '1.5'],
      ['SCAN', '0', 'COUNT', '0'],
      ['SCAN', '0', 'COUNT', '-1'],
      ['SCAN', '0', 'COUNT', 'abc'],
      ['SCAN', '0', 'COUNT', '99999999999999999999'],
      ['SCAN', '0', 'COUNT'],
      ['SCAN', '0', 'MATCH'],
      ['SCAN', '0', 'TYPE'],
      ['SCAN', '0', 'foo', 'bar'],
      ['SCAN', '0', 'COUNT', '0', 'MATCH'],
      ['SCAN', 'abc', 'COUNT', '0'],
      ['SCAN', '0', 'MATCH', '*', 'COUNT', 'x'],
      ['SCAN', '0', 'count', '10', 'match', 'x', 'type', 'string', 'count', '20'],
      ['SCAN'],
    ]);
  });

  test('a scan that fits in one call', async () => {
    const setup: Step[] = [];
    for (let i = 0; i < 60; i++) setup.push(['SET', `key:${i}`, 'v']);
    setup.push(['SET', 'other', 'v'], ['SET', 'gone', 'v', 'PX', '1']);
    await assertDifferential(damselfly, redis, setup);
    await sleep(20);
    const sorted = { normalize: sortScanKeys };
    const steps: Step[] = [
      { command: ['SCAN', '0', 'COUNT', '1000'], ...sorted },
      { command: ['SCAN', '0', 'COUNT', '1000', 'MATCH', 'key:1*'], ...sorted },
      { command: ['SCAN', '0', 'COUNT', '1000', 'MATCH', 'nothing'], ...sorted },
      { command: ['SCAN', '0', 'COUNT', '1000', 'MATCH', '*'], ...sorted },
      { command: ['SCAN', '0', 'COUNT', '1000', 'TYPE', 'string', 'MATCH', 'o*'], ...sorted },
      { command: ['SCAN', '0', 'COUNT', '1000', 'TYPE', 'STRING', 'MATCH', 'o*'], ...sorted },
      { command: ['SCAN', '0', 'COUNT', '1000', 'TYPE', 'list'], ...sorted },
      { command: ['SCAN', '0', 'COUNT', '1000', 'TYPE', 'unknown'], ...sorted },
      ['DBSIZE'],
      ['FLUSHALL'],
      ['SCAN', '0'],
      ['SCAN', '0', 'MATCH', 'x', 'COUNT', '5', 'TYPE', 'hash'],
    ];
    await assertDifferential(damselfly, redis, steps, { flush: false });
  });
});

describe('SCAN iteration', () => {
  let server: ServerProcess;
  let client: RawClient;

  before(async () => {
    server = await startDamselfly();
    client = await RawClient.connect(server.port);
  });

  after(async () => {
    client.destroy();
    await stopAllServers();
  });

  test('returns every key once and ends with cursor 0', async () => {
    await client.call(['FLUSHALL']);
    await addKeys(client, 'k', 1000);
    const keys = await scanAll(client, ['COUNT', '7']);
    assert.equal(keys.length, 1000);
    assert.equal(new Set(keys).size, 1000);
  });

  test('COUNT bounds the keys of one call', async () => {
    await client.call(['FLUSHALL']);
    await addKeys(client, 'k', 100);
    const first = await scanPage(client, ['SCAN', '0', 'COUNT', '30']);
    assert.equal(first.keys.length, 30);
    assert.notEqual(first.cursor, '0');
    const whole = await scanPage(client, ['SCAN', '0', 'COUNT', '100']);
    assert.equal(whole.keys.length, 100);
    assert.equal(whole.cursor, '0');
    const defaultCount = await scanPage(client, ['SCAN', '0']);
    assert.equal(defaultCount.keys.length, 10);
  });

  test('MATCH filters after stepping, so pages may be empty', async () => {
    await client.call(['FLUSHALL']);
    await addKeys(client, 'noise', 200);
    await addKeys(client, 'wanted', 3);
    const first = await scanPage(client, ['SCAN', '0', 'MATCH', 'wanted:*', 'COUNT', '50']);
    assert.deepEqual(first.keys, []);
    assert.notEqual(first.cursor, '0');
    const keys = await scanAll(client, ['MATCH', 'wanted:*', 'COUNT', '50']);
    assert.deepEqual(keys.sort(), ['wanted:0', 'wanted:1', 'wanted:2']);
  });

  test('expired keys are skipped and removed', async () => {
    await client.call(['FLUSHALL']);
    await addKeys(client, 'live', 20);
    for (let i = 0; i < 20; i++) await client.call(['SET', `dead:${i}`, 'v', 'PX', '1']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const keys = await scanAll(client, ['COUNT', '1000']);
    assert.equal(keys.length, 20);
    assert.ok(keys.every((key) => key.startsWith('live:')));
    assert.equal((await client.call(['DBSIZE'])).toString(), ':20\r\n');
  });

  test('a stale cursor restarts from the position it encodes', async () => {
    await client.call(['FLUSHALL']);
    await addKeys(client, 'k', 2000);
    const first = await scanPage(client, ['SCAN', '0', 'COUNT', '500']);
    // Start enough other scans to push the first one out of the saved table.
    let requests = '';
    for (let i = 0; i < 1100; i++)
      requests += '*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nCOUNT\r\n$1\r\n1\r\n';
    await client.send(requests);
    for (let i = 0; i < 1100; i++) await client.readReply();
    const rest = await scanAll(client, ['COUNT', '500'], first.cursor);
    assert.equal(new Set([...first.keys, ...rest]).size, 2000);

    // Deleting keys already returned shifts positions, so a stale cursor then
    // misses at most as many keys as were deleted.
    const again = await scanPage(client, ['SCAN', '0', 'COUNT', '500']);
    await client.send(requests);
    for (let i = 0; i < 1100; i++) await client.readReply();
    const deleted = again.keys.slice(0, 10);
    await client.call(['DEL', ...deleted]);
    const after = await scanAll(client, ['COUNT', '500'], again.cursor);
    const seen = new Set([...again.keys, ...after]);
    const missing = Array.from({ length: 2000 }, (_, i) => `k:${i}`).filter(
      (key) => !seen.has(key),
    );
    assert.ok(missing.length <= deleted.length, `${missing.length} keys missed`);
  });

  test('a cursor survives FLUSHDB, SWAPDB and SELECT without errors', async () => {
    await client.call(['FLUSHALL']);
    await addKeys(client, 'k', 100);
    const first = await scanPage(client, ['SCAN', '0', 'COUNT', '10']);
    await client.call(['FLUSHDB']);
    await addKeys(client, 'n', 30);
    const afterFlush = await scanAll(client, ['COUNT', '10'], first.cursor);
    assert.ok(afterFlush.every((key) => key.startsWith('n:')));
    const second = await scanPage(client, ['SCAN', '0', 'COUNT', '10']);
    await client.call(['SELECT', '1']);
    const otherDb = await scanAll(client, ['COUNT', '10'], second.cursor);
    assert.deepEqual(otherDb, []);
    await client.call(['SWAPDB', '0', '1']);
    const swapped = await scanAll(client, ['COUNT', '10'], second.cursor);
    assert.equal(swapped.length, 20);
    await client.call(['SELECT', '0']);
  });

  test('cursors beyond the keyspace end the scan', async () => {
    await client.call(['FLUSHALL']);
    await addKeys(client, 'k', 10);
    for (const cursor of ['18446744073709551615', '-1', '99999999999999999']) {
      assert.deepEqual(await scanPage(client, ['SCAN', cursor]), { cursor: '0', keys: [] });
    }
  });
});

/**
 * Runs `mutate` in a loop until `scan` finishes, so the two interleave on the
 * server, and returns what the scan collected.
 */
async function scanWhileMutating(
  scan: () => Promise<string[]>,
  mutate: (round: number) => Promise<void>,
): Promise<string[]> {
  let done = false;
  const mutator = (async () => {
    for (let round = 0; !done; round++) await mutate(round);
  })();
  try {
    return await scan();
  } finally {
    done = true;
    await mutator;
  }
}

describe('SCAN while other clients write', () => {
  let server: ServerProcess;
  let setup: RawClient;
  const stableCount = 5000;
  const churnCount = 2000;

  before(async () => {
    server = await startDamselfly();
    setup = await RawClient.connect(server.port);
  });

  after(async () => {
    setup.destroy();
    await stopAllServers();
  });

  /** Fills the keyspace: stable keys that stay, churn keys that the writer deletes. */
  async function fill(): Promise<void> {
    await setup.call(['FLUSHALL']);
    await addKeys(setup, 'stable', stableCount);
    await addKeys(setup, 'churn', churnCount);
  }

  /** Checks the guarantee: stable keys exactly once, nothing that never existed. */
  function checkScan(keys: string[], insertedUpTo: number): void {
    const stable = keys.filter((key) => key.startsWith('stable:'));
    assert.equal(stable.length, stableCount, 'stable keys returned a wrong number of times');
    assert.equal(new Set(stable).size, stableCount);
    for (const key of keys) {
      const [prefix, index] = key.split(':');
      const known = { stable: stableCount, churn: churnCount, new: insertedUpTo }[prefix];
      assert.notEqual(known, undefined, `unexpected key ${key}`);
      assert.ok(Number(index) < (known ?? 0), `key ${key} was never added`);
    }
  }

  test('ioredis scanStream returns every stable key', async () => {
    await fill();
    const scanner = new Redis({ port: server.port, enableReadyCheck: false });
    const writer = new Redis({ port: server.port, enableReadyCheck: false });
    let inserted = 0;
    try {
      const keys = await scanWhileMutating(
        () =>
          new Promise<string[]>((resolve, reject) => {
            const found: string[] = [];
            const stream = scanner.scanStream({ count: 50 });
            stream.on('data', (page: string[]) => found.push(...page));
            stream.on('end', () => resolve(found));
            stream.on('error', reject);
          }),
        async (round) => {
          const pipeline = writer.pipeline();
          for (let i = 0; i < 20; i++) pipeline.set(`new:${inserted++}`, 'v');
          for (let i = 0; i < 10; i++) pipeline.del(`churn:${(round * 10 + i) % churnCount}`);
          await pipeline.exec();
        },
      );
      checkScan(keys, inserted);
      assert.ok(inserted >= 60, 'the writer ran fewer than two rounds during the scan');
    } finally {
      scanner.disconnect();
      writer.disconnect();
    }
  });

  test('node-redis scanIterator returns every stable key', async () => {
    await fill();
    const scanner = createClient({ socket: { port: server.port, host: '127.0.0.1' } });
    const writer = createClient({ socket: { port: server.port, host: '127.0.0.1' } });
    await scanner.connect();
    await writer.connect();
    let inserted = 0;
    try {
      const keys = await scanWhileMutating(
        async () => {
          const found: string[] = [];
          for await (const key of scanner.scanIterator({ COUNT: 100 })) found.push(key);
          return found;
        },
        async (round) => {
          const batch = writer.multi();
          for (let i = 0; i < 30; i++) batch.set(`new:${inserted++}`, 'v');
          for (let i = 0; i < 10; i++) batch.del(`churn:${(round * 10 + i) % churnCount}`);
          await batch.exec();
        },
      );
      checkScan(keys, inserted);
      assert.ok(inserted >= 60, 'the writer ran fewer than two rounds during the scan');
    } finally {
      await scanner.quit();
      await writer.quit();
    }
  });
});

// scanIterable is the engine of SCAN and of the collection scans (HSCAN,
// SSCAN, ZSCAN), so its guarantee is also checked directly, on random
// interleavings of steps, inserts and deletes.
describe('scanIterable', () => {
  type Operation = { kind: 'step'; count: number } | { kind: 'add' | 'delete'; item: number };

  const operation = fc.oneof(
    fc.record({ kind: fc.constant('step' as const), count: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ kind: fc.constant('add' as const), item: fc.integer({ min: 0, max: 300 }) }),
    fc.record({ kind: fc.constant('delete' as const), item: fc.integer({ min: 0, max: 300 }) }),
  );

  test('returns every member present throughout, once, and ends', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 150 }),
        fc.array(operation, { maxLength: 200 }),
        (initial, operations: Operation[]) => {
          const set = new Set(initial);
          const touched = new Set<number>();
          const returned: number[] = [];
          let cursor = 0n;
          let calls = 0;
          const apply = (op: Operation): void => {
            if (op.kind === 'step') return;
            touched.add(op.item);
            if (op.kind === 'add') set.add(op.item);
            else set.delete(op.item);
          };
          for (let i = 0; ; i++) {
            const op = operations[i] ?? { kind: 'step', count: 10 };
            if (op.kind !== 'step') {
              apply(op);
              continue;
            }
            const page = scanSet(set, cursor, op.count);
            returned.push(...page.items);
            calls++;
            if (page.cursor === '0') break;
            cursor = BigInt(page.cursor);
            assert.ok(calls < 1000, 'the scan did not end');
          }
          const counts = new Map<number, number>();
          for (const item of returned) counts.set(item, (counts.get(item) ?? 0) + 1);
          for (const item of initial) {
            if (touched.has(item)) continue;
            assert.equal(counts.get(item), 1, `member ${item} returned ${counts.get(item)} times`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('ends even while members keep being added', () => {
    const map = new Map<number, string>();
    for (let i = 0; i < 100; i++) map.set(i, 'v');
    let cursor = 0n;
    let calls = 0;
    let next = 100;
    do {
      const page = scanMap(map, cursor, 5);
      for (let i = 0; i < 50; i++) map.set(next++, 'v');
      cursor = BigInt(page.cursor);
      calls++;
    } while (cursor !== 0n && calls < 1000);
    assert.equal(cursor, 0n);
    assert.ok(calls <= 20, `${calls} calls for 100 members`);
  });

  test('a cursor from another collection starts at its position there', () => {
    const first = new Set([1, 2, 3, 4, 5, 6]);
    const second = new Set([10, 20, 30, 40, 50, 60]);
    const page = scanSet(first, 0n, 2);
    assert.deepEqual(page.items, [1, 2]);
    const elsewhere = scanIterable(
      second,
      () => second.values(),
      second.size,
      BigInt(page.cursor),
      10,
    );
    assert.deepEqual(elsewhere, { cursor: '0', items: [30, 40, 50, 60] });
  });
});
