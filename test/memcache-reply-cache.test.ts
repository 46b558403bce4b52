/**
 * The reply cache of the memcached port keeps ready-made `VALUE` entries of
 * fetched items. These tests check its byte budget and eviction order. Over
 * real sockets they check that a get shows each change to an item, made
 * through either protocol, and never an outdated cached entry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';

import { ItemMeta } from '../src/protocol/memcache/items';
import { ENTRY_OVERHEAD, ReplyCache } from '../src/protocol/memcache/reply-cache';
import {
  MemcacheLineClient,
  startDamselflyWithMemcached,
  type MemcacheServer,
} from './memcache-support';

function entryOf(key: string, value: string): Buffer {
  return Buffer.from(`VALUE ${key} 0 ${value.length}\r\n${value}\r\n`, 'latin1');
}

describe('reply cache budget', () => {
  test('stores a copy of the entry', () => {
    const cache = new ReplyCache();
    const meta = new ItemMeta('abc', 0, 1, 0);
    const entry = entryOf('k', 'abc');
    cache.remember(meta, entry, 10_000);
    entry.fill(0);
    assert.equal(meta.reply?.toString('latin1'), 'VALUE k 0 3\r\nabc\r\n');
    assert.equal(cache.bytes, entry.length + ENTRY_OVERHEAD);
  });

  test('full cache drops oldest entries', () => {
    const cache = new ReplyCache();
    const entry = entryOf('key', 'value');
    const limit = 3 * (entry.length + ENTRY_OVERHEAD);
    const items = Array.from({ length: 5 }, (_, i) => new ItemMeta('value', 0, i, 0));
    for (const meta of items) cache.remember(meta, entry, limit);
    assert.deepEqual(
      items.map((meta) => meta.reply !== null),
      [false, false, true, true, true],
    );
    assert.equal(cache.bytes, limit);
    assert.equal(cache.size, 3);
  });

  test('trim to a lower limit', () => {
    const cache = new ReplyCache();
    const entry = entryOf('key', 'value');
    const cost = entry.length + ENTRY_OVERHEAD;
    const items = Array.from({ length: 4 }, (_, i) => new ItemMeta('value', 0, i, 0));
    for (const meta of items) cache.remember(meta, entry, 10 * cost);
    cache.trim(2 * cost);
    assert.deepEqual(
      items.map((meta) => meta.reply !== null),
      [false, false, true, true],
    );
    assert.equal(cache.bytes, 2 * cost);
    cache.trim(0);
    assert.equal(cache.bytes, 0);
    assert.ok(items.every((meta) => meta.reply === null));
  });

  test('forgotten entry counted once', () => {
    const cache = new ReplyCache();
    const meta = new ItemMeta('one', 0, 1, 0);
    const limit = 10_000;
    cache.remember(meta, entryOf('k', 'one'), limit);
    cache.forget(meta);
    assert.equal(cache.bytes, 0);
    cache.remember(meta, entryOf('k', 'two'), limit);
    const other = new ItemMeta('x', 0, 2, 0);
    // A tight limit makes room by dropping both list places of `meta`.
    cache.remember(other, entryOf('k', 'x'), entryOf('k', 'x').length + ENTRY_OVERHEAD);
    assert.equal(meta.reply, null);
    assert.equal(cache.bytes, entryOf('k', 'x').length + ENTRY_OVERHEAD);
  });

  test('oversized entry and clear', () => {
    const cache = new ReplyCache();
    const meta = new ItemMeta('v', 0, 1, 0);
    cache.remember(meta, entryOf('k', 'v'), ENTRY_OVERHEAD);
    assert.equal(meta.reply, null);
    cache.remember(meta, entryOf('k', 'v'), 10_000);
    cache.clear();
    assert.equal(meta.reply, null);
    assert.equal(cache.bytes, 0);
    assert.equal(cache.size, 0);
  });
});

describe('gets after changes, through the memcached and Redis ports', () => {
  let server: MemcacheServer;
  let redis: Redis;
  let memcache: MemcacheLineClient;

  before(async () => {
    server = await startDamselflyWithMemcached();
    redis = new Redis({ port: server.port, lazyConnect: true });
    await redis.connect();
    memcache = await MemcacheLineClient.connect(server.memcachedPort);
  });

  after(async () => {
    memcache.close();
    redis.disconnect();
    await server.process.stop();
  });

  /** Gets a key twice, so that the second reply comes from the cache, and checks both agree. */
  async function getTwice(key: string): Promise<string> {
    const first = await memcache.retrieve(`get ${key}\r\n`);
    const second = await memcache.retrieve(`get ${key}\r\n`);
    assert.equal(second, first);
    return second;
  }

  async function store(line: string, value: string): Promise<void> {
    assert.equal(await memcache.call(`${line} ${value.length}\r\n${value}\r\n`), 'STORED');
  }

  const changes: [string, (key: string) => Promise<unknown>, string][] = [
    ['set with new flags', (key) => store(`set ${key} 7 0`, 'new'), 'VALUE {k} 7 3\r\nnew'],
    ['append', (key) => store(`append ${key} 0 0`, '+'), 'VALUE {k} 3 4\r\nold+'],
    ['prepend', (key) => store(`prepend ${key} 0 0`, '-'), 'VALUE {k} 3 4\r\n-old'],
    ['Redis SET', (key) => redis.set(key, 'redis'), 'VALUE {k} 0 5\r\nredis'],
    ['Redis APPEND', (key) => redis.append(key, '!'), 'VALUE {k} 0 4\r\nold!'],
    ['Redis SETRANGE', (key) => redis.setrange(key, 0, 'N'), 'VALUE {k} 0 3\r\nNld'],
    ['Redis RENAME onto it', (key) => rename(key), 'VALUE {k} 0 5\r\nother'],
    ['Redis DEL', (key) => redis.del(key), ''],
    ['delete', (key) => memcache.call(`delete ${key}\r\n`), ''],
    ['flush_all', () => memcache.call('flush_all\r\n'), ''],
    ['Redis FLUSHALL', () => redis.flushall(), ''],
  ];

  async function rename(key: string): Promise<void> {
    await redis.set(`${key}-source`, 'other');
    await redis.rename(`${key}-source`, key);
  }

  for (const [name, change, expected] of changes) {
    test(`a cached item after ${name}`, async () => {
      const key = `cached-${name.replace(/\W+/g, '-')}`;
      await store(`set ${key} 3 0`, 'old');
      assert.equal(await getTwice(key), `VALUE ${key} 3 3\r\nold\r\nEND\r\n`);
      await change(key);
      const expectedEntry = expected === '' ? '' : `${expected.replace('{k}', key)}\r\n`;
      assert.equal(await getTwice(key), `${expectedEntry}END\r\n`);
    });
  }

  test('cached item after incr and decr', async () => {
    await store('set counter 0 0', '10');
    await getTwice('counter');
    assert.equal(await memcache.call('incr counter 5\r\n'), '15');
    assert.equal(await getTwice('counter'), 'VALUE counter 0 2\r\n15\r\nEND\r\n');
    assert.equal(await memcache.call('decr counter 6\r\n'), '9');
    assert.equal(await getTwice('counter'), 'VALUE counter 0 1\r\n9\r\nEND\r\n');
  });

  test('gets of a cached item shows CAS', async () => {
    await store('set versioned 0 0', 'a');
    await getTwice('versioned');
    const before = await memcache.retrieve('gets versioned\r\n');
    await store('set versioned 0 0', 'b');
    const afterChange = await memcache.retrieve('gets versioned\r\n');
    assert.match(afterChange, /^VALUE versioned 0 1 \d+\r\nb\r\nEND\r\n$/);
    assert.notEqual(afterChange.split(' ')[4], before.split(' ')[4]);
  });

  test('cached item after expiry', async () => {
    await store('set short-lived 0 0', 'soon');
    await getTwice('short-lived');
    await redis.pexpire('short-lived', 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(await getTwice('short-lived'), 'END\r\n');
  });

  test('cache sizes 1kb, 0 and 8mb', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `turnover:${i}`);
    for (const key of keys) await store(`set ${key} ${key.length} 0`, `${key}=value`);
    const expected = (key: string): string =>
      `VALUE ${key} ${key.length} ${key.length + 6}\r\n${key}=value\r\n`;
    for (const size of ['1kb', '0', '8mb']) {
      await redis.config('SET', 'memcached-reply-cache', size);
      for (let round = 0; round < 2; round++) {
        const reply = await memcache.retrieve(`get ${keys.join(' ')}\r\n`);
        assert.equal(reply, `${keys.map(expected).join('')}END\r\n`);
      }
    }
    await redis.config('SET', 'memcached-reply-cache', '8mb');
  });
});
