/**
 * Damselfly's own security features, over real sockets: roles, rate limits,
 * the brute-force delay, the audit log and its verifier, the admin port,
 * rename-command, users in config and ACL files, and CL.THROTTLE.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import Redis from 'ioredis';

import { RawClient } from './support/raw-client';
import {
  DAMSELFLY_ENTRY,
  findFreePort,
  makeTempDir,
  sleep,
  startDamselfly,
  stopAllServers,
} from './support/servers';

after(stopAllServers);

/** Opens an ioredis client that reports errors as rejected promises, without retrying. */
async function connect(port: number, options: Record<string, unknown> = {}): Promise<Redis> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...options,
  });
  await client.connect();
  return client;
}

/** Sends one command and returns the reply text, or the error message. */
async function send(client: Redis, ...args: string[]): Promise<unknown> {
  try {
    return await client.call(args[0], ...args.slice(1));
  } catch (error) {
    return (error as Error).message;
  }
}

describe('roles', () => {
  test('built-in roles and role changes apply at once', async () => {
    const server = await startDamselfly();
    const admin = await connect(server.port);
    assert.equal(await send(admin, 'ACL', 'SETUSER', 'r1', 'on', '>pw', 'role:readonly'), 'OK');
    const user = await connect(server.port, { username: 'r1', password: 'pw' });
    assert.equal(await send(admin, 'SET', 'k1', 'v1'), 'OK');
    assert.equal(await send(user, 'GET', 'k1'), 'v1');
    assert.match(String(await send(user, 'SET', 'k1', 'x')), /^NOPERM .*'set' command/);
    assert.match(String(await send(user, 'KEYS', '*')), /^NOPERM .*'keys' command/);

    assert.equal(await send(admin, 'ACL', 'ROLE', 'SET', 'writers', '~k*', '+set'), 'OK');
    assert.equal(await send(admin, 'ACL', 'SETUSER', 'r1', 'role:writers'), 'OK');
    assert.equal(await send(user, 'SET', 'k1', 'x'), 'OK');
    assert.match(String(await send(user, 'SET', 'other', 'x')), /^NOPERM .*keys/);

    // Changing the role changes what the connected user may do.
    assert.equal(await send(admin, 'ACL', 'ROLE', 'SET', 'writers', '-set'), 'OK');
    assert.match(String(await send(user, 'SET', 'k1', 'x')), /^NOPERM .*'set' command/);

    const details = (await send(admin, 'ACL', 'GETUSER', 'r1')) as unknown[];
    const roles = details[details.indexOf('roles') + 1];
    assert.deepEqual(roles, ['readonly', 'writers']);
    const list = (await send(admin, 'ACL', 'ROLE', 'LIST')) as string[];
    assert.ok(list.includes('role writers ~k* resetchannels -@all'), list.join('\n'));
    assert.ok(list.some((line) => line.startsWith('role admin ~* &* +@all')));

    assert.equal(await send(admin, 'ACL', 'ROLE', 'DEL', 'writers'), 1);
    const after = (await send(admin, 'ACL', 'GETUSER', 'r1')) as unknown[];
    assert.deepEqual(after[after.indexOf('roles') + 1], ['readonly']);
    assert.match(String(await send(admin, 'ACL', 'ROLE', 'DEL', 'admin')), /built in/);
    assert.match(String(await send(admin, 'ACL', 'ROLE', 'SET', 'admin', '+get')), /built in/);
    assert.match(
      String(await send(admin, 'ACL', 'SETUSER', 'r1', 'role:nosuch')),
      /^ERR Error in ACL SETUSER modifier 'role:nosuch': No such role 'nosuch'$/,
    );
    assert.match(String(await send(admin, 'ACL', 'ROLE', 'SET', 'x', 'on')), /cannot hold/);
    user.disconnect();
    admin.disconnect();
  });

  test('ACL SAVE and LOAD keep roles and rate limits', async () => {
    const dir = makeTempDir();
    const aclfile = path.join(dir, 'users.acl');
    fs.writeFileSync(
      aclfile,
      'role ops ~app:* +@read\nuser ann on >pw role:ops ratelimit:50/100\n',
    );
    const server = await startDamselfly({ args: ['--aclfile', aclfile] });
    const admin = await connect(server.port);
    const users = (await send(admin, 'ACL', 'LIST')) as string[];
    assert.ok(
      users.some((line) => line.endsWith('role:ops ratelimit:50/100')),
      users.join('\n'),
    );
    assert.equal(await send(admin, 'ACL', 'SETUSER', 'bob', 'on', 'nopass', 'role:admin'), 'OK');
    assert.equal(await send(admin, 'ACL', 'SAVE'), 'OK');
    const saved = fs.readFileSync(aclfile, 'latin1');
    assert.match(saved, /^role ops ~app:\* resetchannels -@all \+@read\n/);
    assert.match(saved, /\nuser bob on nopass ~?.*role:admin\n/);
    assert.equal(fs.statSync(aclfile).mode & 0o777, 0o600);

    fs.writeFileSync(aclfile, 'user carl on >pw ~* +@nosuch\n');
    const error = String(await send(admin, 'ACL', 'LOAD'));
    assert.match(error, /^ERR users\.acl:1: Error in applying operation '\+@nosuch'/);
    assert.ok(!error.includes(dir), 'the error names no directory');
    assert.ok(((await send(admin, 'ACL', 'USERS')) as string[]).includes('bob'));
    admin.disconnect();
  });

  test('config file users, roles and rename-command', async () => {
    const dir = makeTempDir();
    const conf = path.join(dir, 'damselfly.conf');
    fs.writeFileSync(
      conf,
      [
        'role reader ~* +@read',
        'user default on nopass ~* &* +@all',
        'user alice on >pw role:reader',
        'rename-command FLUSHALL WIPE-EVERYTHING',
        'rename-command DEBUG ""',
        '',
      ].join('\n'),
    );
    const server = await startDamselfly({ configFile: conf });
    const client = await connect(server.port);
    assert.match(String(await send(client, 'FLUSHALL')), /^ERR unknown command 'FLUSHALL'/);
    assert.match(String(await send(client, 'DEBUG', 'SLEEP', '0')), /^ERR unknown command/);
    assert.equal(await send(client, 'WIPE-EVERYTHING'), 'OK');
    const alice = await connect(server.port, { username: 'alice', password: 'pw' });
    assert.equal(await send(alice, 'GET', 'x'), null);
    assert.match(String(await send(alice, 'SET', 'x', 'y')), /^NOPERM/);
    alice.disconnect();
    client.disconnect();
  });

  test('users in both the config file and aclfile stop start-up', () => {
    const dir = makeTempDir();
    const conf = path.join(dir, 'both.conf');
    fs.writeFileSync(path.join(dir, 'users.acl'), 'user a on nopass\n');
    fs.writeFileSync(conf, `aclfile ${path.join(dir, 'users.acl')}\nuser b on nopass\n`);
    const result = spawnSync(process.execPath, [DAMSELFLY_ENTRY, conf, '--port', '0'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stdout + result.stderr, /both in the config file and in aclfile/);
  });
});

describe('user changes reach connected clients', () => {
  test('SETUSER applies at once and DELUSER disconnects', async () => {
    const server = await startDamselfly();
    const admin = await connect(server.port);
    await send(admin, 'ACL', 'SETUSER', 'c1', 'on', '>pw', '~*', '+@all');
    const raw = await RawClient.connect(server.port);
    assert.equal((await raw.call(['AUTH', 'c1', 'pw'])).toString(), '+OK\r\n');
    await send(admin, 'ACL', 'SETUSER', 'c1', '-get');
    const denied = (await raw.call(['GET', 'k'])).toString();
    assert.equal(denied, "-NOPERM this user has no permissions to run the 'get' command\r\n");
    assert.equal(await send(admin, 'ACL', 'DELUSER', 'c1'), 1);
    await raw.waitForClose(2000);
    assert.ok(raw.closed);
    admin.disconnect();
  });
});

describe('rate limits', () => {
  test('a user rule limits that user only', async () => {
    const server = await startDamselfly();
    const admin = await connect(server.port);
    await send(admin, 'ACL', 'SETUSER', 'slow', 'on', '>pw', '~*', '+@all', 'ratelimit:1/5');
    const limited = await RawClient.connect(server.port);
    await limited.call(['AUTH', 'slow', 'pw']);
    const replies: string[] = [];
    for (let i = 0; i < 8; i++) replies.push((await limited.call(['PING'])).toString());
    const refused = replies.filter((reply) => reply.startsWith('-RATELIMIT'));
    assert.ok(refused.length >= 2, replies.join(''));
    assert.equal(
      refused[0],
      "-RATELIMIT too many commands for user 'slow': the limit is 1 per second with bursts of " +
        '5; retry later\r\n',
    );
    // Others are served as usual meanwhile.
    for (let i = 0; i < 20; i++) assert.equal(await send(admin, 'PING'), 'PONG');
    const info = String(await send(admin, 'INFO', 'stats'));
    assert.match(info, /ratelimited_commands:[1-9]/);
    const user = (await send(admin, 'ACL', 'GETUSER', 'slow')) as unknown[];
    assert.equal(user[user.indexOf('ratelimit') + 1], '1/5');
    limited.destroy();
    admin.disconnect();
  });

  test('per-address limit from settings', async () => {
    const server = await startDamselfly({ args: ['--ratelimit-per-address', '1/5'] });
    const first = await RawClient.connect(server.port);
    const second = await RawClient.connect(server.port);
    // The start-up probe may have taken a token too, so count until the first refusal.
    let allowed = 0;
    while (allowed < 10 && (await first.call(['PING'])).toString() === '+PONG\r\n') allowed++;
    assert.ok(allowed >= 3, `${allowed} commands allowed`);
    assert.ok(allowed <= 5, `${allowed} commands allowed`);
    // The bucket is shared by every connection from the address.
    const other = (await second.call(['PING'])).toString();
    assert.match(other, /^-RATELIMIT too many commands from this client address/);
    assert.match(
      (await first.call(['CONFIG', 'SET', 'ratelimit-per-address', 'x'])).toString(),
      /^-(ERR CONFIG SET failed|RATELIMIT)/,
    );
    first.destroy();
    second.destroy();
  });
});

describe('brute-force delay', () => {
  test('failures slow down one address while others are served', async () => {
    const args = ['--auth-failure-grace', '1', '--auth-failure-delay', '200'];
    const server = await startDamselfly({ args: [...args, '--requirepass', 'right'] });
    const admin = await connect(server.port, { password: 'right' });
    const attacker = await RawClient.connect(server.port);
    const timings: number[] = [];
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const reply = (await attacker.call(['AUTH', 'default', `guess${i}`])).toString();
      timings.push(Date.now() - started);
      assert.equal(reply, '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    }
    // 1 free failure, then 200, 400, 800 ms.
    assert.ok(timings[1] >= 150, `second failure waited ${timings[1]} ms`);
    assert.ok(timings[3] >= 600, `fourth failure waited ${timings[3]} ms`);
    // While the attacker waits, another client gets its reply at once.
    const pending = attacker.call(['AUTH', 'default', 'again']);
    const started = Date.now();
    assert.equal(await send(admin, 'PING'), 'PONG');
    assert.ok(Date.now() - started < 500);
    await pending;
    const info = String(await send(admin, 'INFO', 'stats'));
    assert.match(info, /auth_failures_delayed:4/);
    assert.match(info, /acl_access_denied_auth:5/);
    assert.equal((await attacker.call(['AUTH', 'right'])).toString(), '+OK\r\n');
    attacker.destroy();
    admin.disconnect();
  });
});

describe('audit log', () => {
  test('events are hash-chained and verified', async () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'audit.log');
    const server = await startDamselfly({
      args: ['--audit-log-file', file, '--auth-failure-delay', '0'],
    });
    const client = await connect(server.port);
    await send(client, 'ACL', 'SETUSER', 'au', 'on', '>topsecret', '~*', '+@all');
    await send(client, 'AUTH', 'au', 'wrongpassword');
    await send(client, 'AUTH', 'au', 'topsecret');
    await send(client, 'CONFIG', 'SET', 'requirepass', 'hidden-value', 'maxmemory', '0');
    await send(client, 'AUTH', 'default', 'hidden-value');
    await send(client, 'FLUSHALL');
    await send(client, 'ACL', 'DELUSER', 'au');
    await sleep(300);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const events = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).event);
    for (const event of ['acl.setuser', 'auth.failure', 'auth.success', 'command.config.set']) {
      assert.ok(events.includes(event), `${event} in ${events.join(',')}`);
    }
    assert.ok(events.includes('command.flushall'));
    assert.ok(events.includes('acl.deluser'));
    for (const secret of ['topsecret', 'wrongpassword', 'hidden-value']) {
      assert.ok(!text.includes(secret), `the audit log leaks ${secret}`);
    }
    const verify = (target: string) =>
      spawnSync(process.execPath, [DAMSELFLY_ENTRY, 'audit', 'verify', target], {
        encoding: 'utf8',
      });
    const intact = verify(file);
    assert.equal(intact.status, 0, intact.stdout + intact.stderr);
    assert.match(intact.stdout, /hash chain intact/);

    const lines = text.trim().split('\n');
    lines[2] = lines[2].replace('"auth.', '"AUTH.');
    const tampered = path.join(dir, 'tampered.log');
    fs.writeFileSync(tampered, `${lines.join('\n')}\n`);
    const broken = verify(tampered);
    assert.equal(broken.status, 1);
    assert.match(broken.stdout, /broken at line 4/);
    client.disconnect();
  });
});

describe('admin commands', () => {
  test('admin-port mode allows them only on the admin port', async () => {
    const adminPort = await findFreePort();
    const server = await startDamselfly({
      args: ['--admin-commands', 'admin-port', '--admin-port', String(adminPort)],
    });
    const client = await connect(server.port);
    assert.equal(
      await send(client, 'CONFIG', 'GET', 'maxmemory'),
      'NOPERM this command is only allowed on connections to the admin port (admin-commands)',
    );
    assert.match(String(await send(client, 'KEYS', '*')), /^NOPERM .*admin port/);
    assert.equal(await send(client, 'ACL', 'WHOAMI'), 'default');
    assert.equal(await send(client, 'SET', 'k', 'v'), 'OK');
    const admin = await connect(adminPort);
    assert.deepEqual(await send(admin, 'KEYS', '*'), ['k']);
    assert.deepEqual(await send(admin, 'CONFIG', 'GET', 'maxmemory'), ['maxmemory', '0']);
    const log = (await send(admin, 'ACL', 'LOG', '1')) as unknown[][];
    assert.equal(log[0][log[0].indexOf('object') + 1], 'keys');
    client.disconnect();
    admin.disconnect();
  });

  test('admin-users mode allows them only to holders of the admin role', async () => {
    const server = await startDamselfly({ args: ['--admin-commands', 'admin-users'] });
    const client = await connect(server.port);
    assert.match(String(await send(client, 'FLUSHDB')), /^NOPERM .*admin role/);
    // ACL SETUSER is restricted too, so the default user cannot grant itself the role.
    assert.match(String(await send(client, 'ACL', 'SETUSER', 'default', 'role:admin')), /^NOPERM/);
    client.disconnect();
  });
});

describe('protected settings', () => {
  test('CONFIG SET refuses security settings', async () => {
    const server = await startDamselfly();
    const client = await connect(server.port);
    for (const name of ['tls-cert-file', 'tls-key-file', 'tls-ca-cert-file', 'admin-commands']) {
      assert.equal(
        await send(client, 'CONFIG', 'SET', name, 'x'),
        `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set protected config`,
      );
    }
    for (const name of ['aclfile', 'audit-log-file', 'tls-port', 'admin-port']) {
      assert.equal(
        await send(client, 'CONFIG', 'SET', name, '1'),
        `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`,
      );
    }
    client.disconnect();
  });
});

describe('CL.THROTTLE', () => {
  test('GCRA replies like redis-cell', async () => {
    const server = await startDamselfly();
    const client = await connect(server.port);
    const first = await send(client, 'CL.THROTTLE', 'user1', '15', '30', '60');
    assert.deepEqual(first, [0, 16, 15, -1, 2]);
    const replies: unknown[] = [];
    for (let i = 0; i < 16; i++)
      replies.push(await send(client, 'CL.THROTTLE', 'user1', '15', '30', '60'));
    const last = replies[replies.length - 1] as number[];
    assert.equal(last[0], 1, 'the 17th request within the burst is limited');
    assert.equal(last[2], 0);
    assert.ok(last[3] >= 1, `retry_after ${last[3]}`);
    assert.ok(last[3] <= 2, `retry_after ${last[3]}`);
    // A quantity above the burst is refused for good: retry_after is -1.
    assert.deepEqual(
      await send(client, 'CL.THROTTLE', 'user2', '0', '1', '1', '5'),
      [1, 1, 1, -1, 0],
    );
    assert.equal(
      await send(client, 'CL.THROTTLE', 'user3', '1', '0', '60'),
      'ERR CL.THROTTLE needs count_per_period and period of at least 1, and max_burst and ' +
        'quantity of at least 0',
    );
    assert.equal(
      await send(client, 'CL.THROTTLE', 'user3', 'x', '1', '60'),
      'ERR value is not an integer or out of range',
    );
    for (const extreme of [
      ['t1', '9223372036854775807', '1', '1'],
      ['t2', '1', '1', '9223372036854775807'],
      ['t5', '1', '1000000000', '1'],
    ]) {
      assert.match(
        String(await send(client, 'CL.THROTTLE', ...extreme)),
        /^ERR CL.THROTTLE rate or burst is out of range/,
        extreme.join(' '),
      );
    }
    assert.equal(await send(client, 'EXISTS', 't1', 't2', 't5'), 0);
    assert.match(String(await send(client, 'CL.THROTTLE', 'u')), /wrong number of arguments/);
    await send(client, 'LPUSH', 'list1', 'a');
    assert.match(String(await send(client, 'CL.THROTTLE', 'list1', '1', '1', '1')), /^WRONGTYPE/);
    const ttl = Number(await send(client, 'PTTL', 'user1'));
    assert.ok(ttl > 0, `ttl ${ttl}`);
    assert.ok(ttl <= 34_000, `ttl ${ttl}`);
    client.disconnect();
  });
});

describe('audit verify command line', () => {
  test('usage errors exit with 2', () => {
    const result = spawnSync(process.execPath, [DAMSELFLY_ENTRY, 'audit', 'check'], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: damselfly audit verify FILE/);
    const output = execFileSync(process.execPath, [DAMSELFLY_ENTRY, '--help'], {
      encoding: 'utf8',
    });
    assert.match(output, /damselfly audit verify FILE/);
  });
});
