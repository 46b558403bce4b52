/**
 * The reply cache of the memcached port keeps ready-made `VALUE` entries of
 * fetched items in a ring buffer. These tests check the ring, its eviction
 * order and its admission rate. Over real sockets they check that a get
 * shows each change to an item, made through either protocol, and never an
 * outdated cached entry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import pino from 'pino';

import { registerAllCommands } from '../src/commands/registry';
import { Config } from '../src/config/config';
import { Server } from '../src/engine/server';
import { ItemMeta, ItemStore } from '../src/protocol/memcache/items';
import { MemcacheSession } from '../src/protocol/memcache/session';
import type { StatsSource } from '../src/protocol/memcache/stats';
import { ReplyCache } from '../src/protocol/memcache/reply-cache';
import { MemcacheWriter } from '../src/protocol/memcache/writer';
import {
  MemcacheLineClient,
  startDamselflyWithMemcached,
  type MemcacheServer,
} from './memcache-support';

/** Bytes of an entry in the ring: its 2-byte length, then the entry. */
function ringSize(entry: string): number {
  return 2 + entry.length;
}

/** Caches `entry` as the entry of `meta`, in a ring of `limit` bytes (made if there is none). */
function remember(cache: ReplyCache, meta: ItemMeta, entry: string, limit: number): void {
  if (cache.capacity === 0) cache.restart(limit);
  const writer = new MemcacheWriter();
  writer.text('unrelated bytes before the entry');
  const mark = writer.length;
  writer.text(entry);
  cache.remember(meta, writer, mark);
}

/** Returns the cached entry of `meta`, or null when it has none. */
function cached(cache: ReplyCache, meta: ItemMeta): string | null {
  const writer = new MemcacheWriter();
  if (!cache.writeTo(writer, meta)) return null;
  return writer.take().toString('latin1');
}

function items(count: number): ItemMeta[] {
  return Array.from({ length: count }, (_, i) => new ItemMeta('value', 0, i, 0));
}

const ENTRY = 'VALUE key 0 5\r\nvalue\r\n';

describe('reply cache ring', () => {
  test('entry round trip', () => {
    const cache = new ReplyCache();
    const [meta] = items(1);
    remember(cache, meta, ENTRY, 1000);
    assert.equal(cached(cache, meta), ENTRY);
    assert.equal(cache.capacity, 1000);
  });

  test('entries of all byte values', () => {
    const cache = new ReplyCache();
    const [meta] = items(1);
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    remember(cache, meta, bytes + 'xyz', 1000);
    assert.equal(cached(cache, meta), bytes + 'xyz');
  });

  test('oldest entries overwritten first', () => {
    const cache = new ReplyCache();
    const metas = items(5);
    const limit = 3 * ringSize(ENTRY);
    for (const meta of metas) remember(cache, meta, ENTRY, limit);
    assert.deepEqual(
      metas.map((meta) => cached(cache, meta) !== null),
      [false, false, true, true, true],
    );
  });

  test('entry past the end starts a lap', () => {
    const cache = new ReplyCache();
    const metas = items(3);
    // Room for two and a half entries: the third overwrites the first, not the second.
    const limit = Math.floor(2.5 * ringSize(ENTRY));
    for (const meta of metas) remember(cache, meta, ENTRY, limit);
    assert.deepEqual(
      metas.map((meta) => cached(cache, meta)),
      [null, ENTRY, ENTRY],
    );
  });

  test('entry larger than the ring', () => {
    const cache = new ReplyCache();
    const [meta] = items(1);
    remember(cache, meta, ENTRY, ringSize(ENTRY) - 1);
    assert.equal(cached(cache, meta), null);
  });

  test('forget and restart', () => {
    const cache = new ReplyCache();
    const metas = items(3);
    for (const meta of metas) remember(cache, meta, ENTRY, 1000);
    cache.forget(metas[0]);
    assert.equal(cached(cache, metas[0]), null);
    assert.equal(cached(cache, metas[1]), ENTRY);
    for (const meta of metas) cache.forget(meta);
    cache.restart(2000);
    assert.equal(cache.capacity, 2000);
    assert.deepEqual(
      metas.map((meta) => cached(cache, meta)),
      [null, null, null],
    );
    remember(cache, metas[2], 'VALUE k 0 1\r\nz\r\n', 2000);
    assert.equal(cached(cache, metas[2]), 'VALUE k 0 1\r\nz\r\n');
    cache.restart(0);
    assert.equal(cache.capacity, 0);
  });

  test('exhausted past the head limit', () => {
    const cache = new ReplyCache(10 * ringSize(ENTRY));
    const metas = items(12);
    const exhausted = metas.map((meta) => {
      remember(cache, meta, ENTRY, 1000);
      return cache.exhausted;
    });
    assert.deepEqual(exhausted.indexOf(true), 10);
  });

  test('admission while most lookups miss', () => {
    const cache = new ReplyCache();
    const first = Array.from({ length: 4096 }, () => cache.admit());
    assert.ok(first.every((admitted) => admitted));
    const second = Array.from({ length: 4096 }, () => cache.admit());
    assert.equal(second.filter((admitted) => admitted).length, 2048);
  });

  test('admission recovers when lookups hit', () => {
    const cache = new ReplyCache();
    const [meta] = items(1);
    for (let i = 0; i < 3 * 4096; i++) cache.admit();
    remember(cache, meta, ENTRY, 1000);
    for (let i = 0; i < 4 * 4096; i++) cached(cache, meta);
    const admitted = Array.from({ length: 4096 }, () => cache.admit());
    assert.ok(admitted.every((value) => value));
  });
});

describe('item store restarting the reply cache', () => {
  function session(replies: ReplyCache): { run: (line: string) => string; server: Server } {
    const server = new Server(new Config(), pino({ level: 'silent' }), 'test-run-id');
    registerAllCommands(server);
    const store = new ItemStore(server, replies);
    // These tests send no `stats` command, so the session never reads its stats source.
    const host = { store, statsSource: {} as StatsSource, verbosity: 0 };
    const memcache = new MemcacheSession(host);
    const run = (line: string): string => {
      memcache.feed(Buffer.from(line, 'latin1'));
      return memcache.writer.take().toString('latin1');
    };
    return { run, server };
  }

  test('gets across position restarts', () => {
    // A head limit of 500 bytes makes the positions start over every few gets.
    const { run } = session(new ReplyCache(500));
    const keys = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    for (const key of keys) run(`set ${key} 0 0 ${key.length + 1}\r\n${key}!\r\n`);
    for (let round = 0; round < 50; round++) {
      for (const key of keys) {
        assert.equal(
          run(`get ${key}\r\n`),
          `VALUE ${key} 0 ${key.length + 1}\r\n${key}!\r\nEND\r\n`,
        );
      }
    }
  });

  test('gets across size changes', () => {
    const { run, server } = session(new ReplyCache());
    const keys = ['x', 'yy', 'zzz'];
    for (const key of keys) run(`set ${key} 1 0 ${key.length}\r\n${key}\r\n`);
    for (const size of ['100', '7', '0', '1000', '64', '8mb']) {
      for (const key of keys) run(`get ${key}\r\n`);
      server.config.set('memcached-reply-cache', size);
      for (const key of keys) {
        assert.equal(run(`get ${key}\r\n`), `VALUE ${key} 1 ${key.length}\r\n${key}\r\nEND\r\n`);
      }
    }
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
    ['Redis COPY from database 1', (key) => copyFromOtherDatabase(key), 'VALUE {k} 0 3\r\nold'],
    ['Redis DEL', (key) => redis.del(key), ''],
    ['delete', (key) => memcache.call(`delete ${key}\r\n`), ''],
    ['flush_all', () => memcache.call('flush_all\r\n'), ''],
    ['Redis FLUSHALL', () => redis.flushall(), ''],
  ];

  /** Copies the same content from database 1, which must still drop the flags. */
  async function copyFromOtherDatabase(key: string): Promise<void> {
    await redis.select(1);
    await redis.set(`${key}-source`, 'old');
    await redis.copy(`${key}-source`, key, 'DB', 0, 'REPLACE');
    await redis.select(0);
  }

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
