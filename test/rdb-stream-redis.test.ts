/**
 * Stream records checked against redis-server 7.0 alone: streams built with
 * commands on redis-server are DUMPed, decoded by Damselfly's reader,
 * written again by Damselfly's writer and RESTOREd under another key. Both
 * keys must then reply the same to XINFO STREAM FULL, XINFO GROUPS, XINFO
 * CONSUMERS and XPENDING, and a stream that never lost entries must get
 * Redis's listpack nodes byte for byte. The golden file written by
 * redis-server 7.0.15 is read the same way.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dumpPayload } from '../src/commands/persistence';
import { crc64 } from '../src/persistence/crc64';
import type { PlainStream } from '../src/persistence/plain-stream';
import { RdbDecoder } from '../src/persistence/rdb-decoder';
import { RdbEncoder, TYPE } from '../src/persistence/rdb-encoder';
import { RdbReader } from '../src/persistence/rdb-file';
import { encodeStream } from '../src/persistence/rdb-stream';
import { decodeValue } from '../src/persistence/rdb-values';
import { SCENARIOS } from './rdb-stream-scenarios';
import { RawClient } from './support/raw-client';
import {
  makeTempDir,
  redisServerSkipReason,
  startRedisServer,
  stopAllServers,
} from './support/servers';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures');
const skip = redisServerSkipReason();

/** Returns the bytes of a RESP bulk string reply. */
function bulkBytes(reply: Buffer): Buffer {
  const text = reply.toString('latin1');
  assert.ok(text.startsWith('$'), `expected a bulk string, got ${text.slice(0, 80)}`);
  const headerEnd = reply.indexOf('\r\n');
  const length = Number(text.slice(1, headerEnd));
  return reply.subarray(headerEnd + 2, headerEnd + 2 + length);
}

function decodePayload(payload: Buffer): PlainStream {
  const d = new RdbDecoder(payload.subarray(0, payload.length - 10));
  const value = decodeValue(d, d.byte());
  assert.equal(d.remaining, 0);
  assert.equal(value.type, 'stream');
  return value as PlainStream;
}

/** Returns the uncompressed listpacks of a DUMP payload of a stream. */
function listpacksOf(payload: Buffer): Buffer[] {
  const d = new RdbDecoder(payload, 1);
  const nodes = d.length();
  const listpacks: Buffer[] = [];
  for (let i = 0; i < nodes; i++) {
    d.stringBuffer();
    listpacks.push(d.stringBuffer());
  }
  return listpacks;
}

/** Builds a DUMP payload of RDB version 9 holding a type-15 stream (Redis 5 to 6.2). */
function form1Payload(stream: PlainStream): Buffer {
  const encoder = new RdbEncoder(true);
  encoder.byte(TYPE.streamListpacks);
  encodeStream(encoder, stream, 1);
  encoder.byte(9);
  encoder.byte(0);
  const body = encoder.take();
  const checksum = Buffer.alloc(8);
  checksum.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, checksum]);
}

const IDLE = /(idle|inactive)\r\n:\d+/g;
/** An entry of extended XPENDING: ID, consumer, idle time, delivery count. */
const PENDING_IDLE = /\*4\r\n(\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n):\d+/g;

/** Replaces the numbers that differ between a stream and its copy for known reasons. */
function normalize(reply: Buffer, deletions: boolean): string {
  let text = reply.toString('latin1').replace(IDLE, '$1\r\n:<ms>');
  text = text.replace(PENDING_IDLE, '*4\r\n$1:<ms>');
  if (deletions) text = text.replace(/(radix-tree-(keys|nodes))\r\n:\d+/g, '$1\r\n:<n>');
  return text.replace(/(radix-tree-nodes)\r\n:\d+/g, '$1\r\n:<n>');
}

describe('stream payloads through redis-server 7.0', { skip }, () => {
  let redis: RawClient;

  before(async () => {
    const server = await startRedisServer();
    assert.ok(server);
    redis = await RawClient.connect(server.port);
  });

  after(async () => {
    redis?.destroy();
    await stopAllServers();
  });

  async function call(...args: string[]): Promise<Buffer> {
    return redis.call(args.map((arg) => Buffer.from(arg, 'latin1')));
  }

  /** Returns the replies of the inspection commands for a key. */
  async function inspect(key: string, groups: string[]): Promise<Buffer[]> {
    const replies = [await call('XINFO', 'STREAM', key, 'FULL')];
    replies.push(await call('XINFO', 'GROUPS', key));
    for (const group of groups) {
      replies.push(await call('XINFO', 'CONSUMERS', key, group));
      replies.push(await call('XPENDING', key, group));
      replies.push(await call('XPENDING', key, group, '-', '+', '100'));
    }
    return replies;
  }

  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      await call('FLUSHALL');
      for (const command of scenario.commands) {
        const reply = await call(...command);
        assert.ok(reply[0] !== 0x2d, `${command.join(' ')}: ${reply.toString('latin1')}`);
      }
      const redisPayload = bulkBytes(await call('DUMP', 's'));
      const stream = decodePayload(redisPayload);
      const ours = dumpPayload(stream);
      const restored = await call('RESTORE', 'copy', '0', ours.toString('latin1'));
      assert.equal(restored.toString('latin1'), '+OK\r\n');

      const groups = stream.groups.map((group) => group.name);
      const original = await inspect('s', groups);
      const copy = await inspect('copy', groups);
      const deletions = scenario.deletions === true;
      for (let i = 0; i < original.length; i++) {
        assert.equal(normalize(copy[i], deletions), normalize(original[i], deletions));
      }
      if (!deletions) assert.deepEqual(listpacksOf(ours), listpacksOf(redisPayload));
      assert.deepEqual(decodePayload(bulkBytes(await call('DUMP', 'copy'))), stream);
    });
  }

  test('type 15 payload estimates entries read', async () => {
    await call('FLUSHALL');
    for (let i = 1; i <= 5; i++) await call('XADD', 's', `${i}-0`, 'f', String(i));
    const stream = decodePayload(bulkBytes(await call('DUMP', 's')));
    const ids = ['0-0', '1-0', '3-0', '5-0', '9-0'];
    stream.groups = ids.map((id, i) => {
      const [ms, seq] = id.split('-').map(BigInt);
      return {
        name: `g${i}`,
        lastDeliveredId: { ms, seq },
        entriesRead: 0,
        pending: [],
        consumers: [],
      };
    });
    const payload = form1Payload(stream);
    const restored = await call('RESTORE', 'old', '0', payload.toString('latin1'));
    assert.equal(restored.toString('latin1'), '+OK\r\n');
    const loadedByRedis = decodePayload(bulkBytes(await call('DUMP', 'old')));
    assert.deepEqual(decodePayload(payload), loadedByRedis);
  });

  test('golden file reads as redis-server loads it', async () => {
    const dir = makeTempDir('redis-streams-');
    fs.copyFileSync(path.join(FIXTURES, 'redis-7.0-streams.rdb'), path.join(dir, 'dump.rdb'));
    const loaded = await startRedisServer({ dir });
    assert.ok(loaded);
    const client = await RawClient.connect(loaded.port);
    try {
      const reader = new RdbReader(fs.readFileSync(path.join(dir, 'dump.rdb')));
      let count = 0;
      for (let entry = reader.next(); entry !== null; entry = reader.next()) {
        count++;
        await client.call(['SELECT', String(entry.dbIndex)]);
        const payload = bulkBytes(await client.call(['DUMP', entry.key]));
        assert.deepEqual(entry.value, decodePayload(payload), entry.key);
      }
      assert.equal(count, 8);
    } finally {
      client.destroy();
    }
  });
});
