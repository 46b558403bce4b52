/**
 * Real Memcached client libraries against the memcached port, end to end:
 * the `memcached` npm package (text protocol, flags for JSON and numbers)
 * and pymemcache from Debian's python3-pymemcache, driven by a Python script.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Memcached from 'memcached';

import { startDamselflyWithMemcached, type MemcacheServer } from './memcache-support';
import { makeTempDir, REQUIRE_REFERENCE_ENV } from './support/servers';

const run = promisify(execFile);

let server: MemcacheServer;

before(async () => {
  server = await startDamselflyWithMemcached();
});

/** Calls a callback-style method of the memcached client as a promise. */
function call<T>(client: Memcached, method: string, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const target = client as unknown as Record<string, (...rest: unknown[]) => void>;
    target[method].call(client, ...args, (error: Error | undefined, result: T) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
}

describe('memcached npm client', () => {
  let client: Memcached;

  before(() => {
    client = new Memcached(`127.0.0.1:${server.memcachedPort}`, { retries: 0, timeout: 2000 });
  });

  after(() => client.end());

  test('set and get a string', async () => {
    assert.equal(await call(client, 'set', 'greeting', 'hello', 100), true);
    assert.equal(await call(client, 'get', 'greeting'), 'hello');
  });

  test('objects and numbers keep their flags', async () => {
    await call(client, 'set', 'object', { a: [1, 2] }, 0);
    await call(client, 'set', 'number', 42, 0);
    assert.deepEqual(await call(client, 'get', 'object'), { a: [1, 2] });
    assert.equal(await call(client, 'get', 'number'), 42);
  });

  test('getMulti', async () => {
    await call(client, 'set', 'm1', 'one', 0);
    await call(client, 'set', 'm2', 'two', 0);
    assert.deepEqual(await call(client, 'getMulti', ['m1', 'm2', 'missing']), {
      m1: 'one',
      m2: 'two',
    });
  });

  test('gets and cas', async () => {
    await call(client, 'set', 'versioned', 'v1', 0);
    const first = await call<{ cas: string }>(client, 'gets', 'versioned');
    assert.equal(await call(client, 'cas', 'versioned', 'v2', first.cas, 0), true);
    assert.equal(await call(client, 'cas', 'versioned', 'v3', first.cas, 0), false);
    assert.equal(await call(client, 'get', 'versioned'), 'v2');
  });

  test('add replace append prepend', async () => {
    await call(client, 'del', 'edited');
    assert.equal(await call(client, 'replace', 'edited', 'x', 0).catch(() => false), false);
    assert.equal(await call(client, 'add', 'edited', 'b', 0), true);
    await assert.rejects(call(client, 'add', 'edited', 'z', 0));
    assert.equal(await call(client, 'append', 'edited', 'c'), true);
    assert.equal(await call(client, 'prepend', 'edited', 'a'), true);
    assert.equal(await call(client, 'get', 'edited'), 'abc');
  });

  test('incr decr del touch', async () => {
    await call(client, 'set', 'count', '10', 0);
    assert.equal(await call(client, 'incr', 'count', 5), 15);
    assert.equal(await call(client, 'decr', 'count', 20), 0);
    assert.equal(await call(client, 'touch', 'count', 100), true);
    assert.equal(await call(client, 'del', 'count'), true);
    assert.equal(await call(client, 'get', 'count'), undefined);
  });

  test('version and stats', async () => {
    const [version] = await call<{ version: string }[]>(client, 'version');
    assert.equal(version.version, '1.6.18');
    const [stats] = await call<Record<string, unknown>[]>(client, 'stats');
    assert.equal(typeof stats.curr_items, 'number');
    assert.ok('get_hits' in stats);
  });

  test('flush', async () => {
    await call(client, 'set', 'flushed', 'x', 0);
    await call(client, 'flush');
    assert.equal(await call(client, 'get', 'flushed'), undefined);
  });
});

/** Debian's python3 (where python3-pymemcache installs), else python3 on PATH. */
function pythonCommand(): string {
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

async function pymemcacheSkipReason(): Promise<string | undefined> {
  if (process.env[REQUIRE_REFERENCE_ENV] === '1') return undefined;
  try {
    await run(pythonCommand(), ['-c', 'import pymemcache']);
    return undefined;
  } catch {
    return 'pymemcache is not installed (apt-get install python3-pymemcache)';
  }
}

const PYMEMCACHE_SCRIPT = `
import sys
from pymemcache.client.base import Client
from pymemcache import serde
from pymemcache.exceptions import MemcacheServerError

port = int(sys.argv[1])
client = Client(('127.0.0.1', port), serde=serde.pickle_serde, default_noreply=False)
failures = []

def check(name, actual, expected):
    if actual != expected:
        failures.append('%s: expected %r, got %r' % (name, expected, actual))

check('set', client.set('py:a', 'text'), True)
check('get', client.get('py:a'), 'text')
client.set('py:obj', {'list': [1, 2]})
check('pickled object', client.get('py:obj'), {'list': [1, 2]})
client.set('py:int', 7)
check('int flag', client.get('py:int'), 7)
check('get_many', client.get_many(['py:a', 'py:int', 'py:none']), {'py:a': 'text', 'py:int': 7})
value, cas = client.gets('py:a')
check('gets', value, 'text')
check('cas ok', client.cas('py:a', 'new', cas), True)
check('cas stale', client.cas('py:a', 'newer', cas), False)
check('cas missing', client.cas('py:missing', 'x', b'1'), None)
check('add existing', client.add('py:a', 'x'), False)
check('replace missing', client.replace('py:missing', 'x'), False)
client.set('py:s', b'b')
check('append', client.append('py:s', b'c'), True)
check('prepend', client.prepend('py:s', b'a'), True)
check('appended', client.get('py:s'), b'abc')
client.set('py:n', b'10')
check('incr', client.incr('py:n', 5), 15)
check('decr', client.decr('py:n', 100), 0)
check('incr missing', client.incr('py:missing', 1), None)
check('touch', client.touch('py:n', 100), True)
check('delete', client.delete('py:n'), True)
check('delete missing', client.delete('py:n'), False)
check('version', client.version(), b'1.6.18')
stats = client.stats()
check('stats has curr_items', b'curr_items' in stats, True)
try:
    client.set('py:big', b'x' * (1024 * 1024 + 1))
    failures.append('too large: no error')
except MemcacheServerError as error:
    check('too large', str(error), "b'object too large for cache'")
check('usable after error', client.get('py:a'), 'new')
check('flush_all', client.flush_all(), True)
check('after flush', client.get('py:a'), None)
client.close()
if failures:
    print('\\n'.join(failures))
    sys.exit(1)
print('ok')
`;

describe('pymemcache client', async () => {
  const skip = await pymemcacheSkipReason();

  test('pymemcache script', { skip }, async () => {
    const script = path.join(makeTempDir('pymemcache-'), 'check.py');
    fs.writeFileSync(script, PYMEMCACHE_SCRIPT);
    const result = await run(pythonCommand(), [script, String(server.memcachedPort)]).catch(
      (error: { stdout?: string; stderr?: string }) => {
        throw new Error(`pymemcache script failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      },
    );
    assert.equal(result.stdout.trim(), 'ok');
  });
});
