/**
 * RESTORE of damaged payloads. Each payload of every type and encoding the
 * decoder reads is damaged at every byte position (bits flipped, bytes set,
 * removed or inserted) and its CRC-64 recomputed, so the damage reaches the
 * decoder.
 * The server must either store a value that every read command of its type
 * serves and that DUMP and RESTORE round-trip, or reply exactly
 * `-ERR Bad data format` and leave no key behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc64 } from '../src/persistence/crc64';
import { RdbDecoder } from '../src/persistence/rdb-decoder';
import { RDB_VERSION, RdbEncoder, TYPE } from '../src/persistence/rdb-encoder';
import { buildRdb } from '../src/persistence/rdb-file';
import { encodeStream } from '../src/persistence/rdb-stream';
import { decodeValue, encodeListpack, type PlainValue } from '../src/persistence/rdb-values';
import type { PlainStream } from '../src/persistence/plain-stream';
import { RawClient } from './support/raw-client';
import { makeTempDir, sleep, startDamselfly, stopAllServers } from './support/servers';

after(stopAllServers);

const BAD_DATA = '-ERR Bad data format\r\n';
const OK = '+OK\r\n';

/** Read commands sent for each type after a RESTORE succeeded. */
const READS: Record<string, string[][]> = {
  string: [
    ['GET', 'r'],
    ['STRLEN', 'r'],
    ['GETRANGE', 'r', '0', '-1'],
  ],
  list: [
    ['LRANGE', 'r', '0', '-1'],
    ['LLEN', 'r'],
    ['LINDEX', 'r', '-1'],
    ['LPOP', 'r'],
  ],
  set: [
    ['SMEMBERS', 'r'],
    ['SCARD', 'r'],
    ['SRANDMEMBER', 'r', '-3'],
    ['SPOP', 'r'],
  ],
  hash: [
    ['HGETALL', 'r'],
    ['HLEN', 'r'],
    ['HRANDFIELD', 'r', '-3', 'WITHVALUES'],
  ],
  zset: [
    ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'],
    ['ZRANGEBYSCORE', 'r', '-inf', '+inf'],
    ['ZCARD', 'r'],
    ['ZPOPMIN', 'r'],
  ],
  stream: [
    ['XRANGE', 'r', '-', '+'],
    ['XREVRANGE', 'r', '+', '-'],
    ['XLEN', 'r'],
    ['XINFO', 'STREAM', 'r', 'FULL'],
    ['XINFO', 'GROUPS', 'r'],
  ],
};

/** Appends the RDB version and the CRC-64, as DUMP does. */
function withFooter(body: Buffer): Buffer {
  const version = Buffer.alloc(2);
  version.writeUInt16LE(RDB_VERSION);
  const signed = Buffer.concat([body, version]);
  const checksum = Buffer.alloc(8);
  checksum.writeBigUInt64LE(crc64(signed));
  return Buffer.concat([signed, checksum]);
}

/** Builds a payload from a type byte and a function that writes the value after it. */
function payload(type: number, write: (encoder: RdbEncoder) => void): Buffer {
  const encoder = new RdbEncoder(false);
  encoder.byte(type);
  write(encoder);
  return withFooter(encoder.take());
}

/** Builds a ziplist of short strings and small integers (0 to 12). */
function ziplist(entries: (string | number)[]): Buffer {
  const parts: Buffer[] = [];
  let previousLength = 0;
  let tail = 10;
  let offset = 10;
  for (const entry of entries) {
    const encoded =
      typeof entry === 'number'
        ? Buffer.from([0xf1 + entry])
        : Buffer.concat([Buffer.from([entry.length]), Buffer.from(entry, 'latin1')]);
    const part = Buffer.concat([Buffer.from([previousLength]), encoded]);
    parts.push(part);
    tail = offset;
    offset += part.length;
    previousLength = part.length;
  }
  const header = Buffer.alloc(10);
  header.writeUInt32LE(offset + 1, 0);
  header.writeUInt32LE(tail, 4);
  header.writeUInt16LE(entries.length, 8);
  return Buffer.concat([header, ...parts, Buffer.from([0xff])]);
}

function intset(members: number[]): Buffer {
  const blob = Buffer.alloc(8 + members.length * 2);
  blob.writeUInt32LE(2, 0);
  blob.writeUInt32LE(members.length, 4);
  members.forEach((member, i) => blob.writeInt16LE(member, 8 + i * 2));
  return blob;
}

function zipmap(pairs: [string, string][]): Buffer {
  const parts: Buffer[] = [Buffer.from([pairs.length])];
  for (const [field, value] of pairs) {
    parts.push(Buffer.from([field.length]), Buffer.from(field, 'latin1'));
    parts.push(Buffer.from([value.length, 1]), Buffer.from(value, 'latin1'), Buffer.from([0]));
  }
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

function textDouble(encoder: RdbEncoder, value: string): void {
  encoder.byte(value.length);
  encoder.raw(Buffer.from(value, 'latin1'));
}

/** Payloads of the encodings Damselfly never writes, built byte by byte. */
function builtPayloads(): [string, Buffer][] {
  return [
    ['list plain', payload(TYPE.list, (e) => [e.length(2), e.string('a'), e.string('bc')])],
    ['list ziplist', payload(TYPE.listZiplist, (e) => e.string(ziplist(['a', 7, 'xyz'])))],
    [
      'list quicklist 1',
      payload(TYPE.listQuicklist, (e) => {
        e.length(2);
        e.string(ziplist(['a', 3]));
        e.string(ziplist(['bb']));
      }),
    ],
    [
      'list quicklist 2 plain node',
      payload(TYPE.listQuicklist2, (e) => {
        e.length(2);
        e.length(1);
        e.string('big element');
        e.length(2);
        e.string(encodeListpack(['x', '12']));
      }),
    ],
    ['set intset', payload(TYPE.setIntset, (e) => e.string(intset([-5, 2, 300])))],
    ['set listpack', payload(TYPE.setListpack, (e) => e.string(encodeListpack(['a', 'b', '7'])))],
    ['hash ziplist', payload(TYPE.hashZiplist, (e) => e.string(ziplist(['f1', 'v1', 'f2', 4])))],
    [
      'hash listpack',
      payload(TYPE.hashListpack, (e) => e.string(encodeListpack(['f1', 'v1', 'f2', '9']))),
    ],
    [
      'hash zipmap',
      payload(TYPE.hashZipmap, (e) =>
        e.string(
          zipmap([
            ['f1', 'v1'],
            ['f2', 'value'],
          ]),
        ),
      ),
    ],
    [
      'hash listpack with expiry times',
      payload(25, (e) => {
        e.uint64(4102444800000);
        e.string(encodeListpack(['f1', 'v1', '0', 'f2', 'v2', '4102444800000']));
      }),
    ],
    ['zset ziplist', payload(TYPE.zsetZiplist, (e) => e.string(ziplist(['m1', 1, 'm2', '2.5'])))],
    [
      'zset listpack',
      payload(TYPE.zsetListpack, (e) => e.string(encodeListpack(['m1', '1', 'm2', '-inf']))),
    ],
    [
      'zset text scores',
      payload(TYPE.zset, (e) => {
        e.length(2);
        e.string('m1');
        textDouble(e, '1.5');
        e.string('m2');
        textDouble(e, '-3');
      }),
    ],
  ];
}

/** Commands that create one key `r` of each kind Damselfly dumps in its own forms. */
const DUMPED: [string, string[][]][] = [
  ['string short', [['SET', 'r', 'hello']]],
  ['string int8', [['SET', 'r', '-7']]],
  ['string int16', [['SET', 'r', '3000']]],
  ['string int32', [['SET', 'r', '100000']]],
  ['string lzf', [['SET', 'r', 'abcdefghij'.repeat(6)]]],
  ['list quicklist 2', [['RPUSH', 'r', 'a', '1', 'ccc', 'a'.repeat(30)]]],
  ['set plain', [['SADD', 'r', 'a', 'b', '3']]],
  ['hash plain', [['HSET', 'r', 'f1', 'v1', 'f2', '2']]],
  [
    'hash with field expiry times',
    [
      ['HSET', 'r', 'f1', 'v1', 'f2', 'v2'],
      ['HPEXPIREAT', 'r', '4102444800000', 'FIELDS', '1', 'f1'],
    ],
  ],
  ['zset binary scores', [['ZADD', 'r', '1.5', 'm1', '-2', 'm2', 'inf', 'm3']]],
  [
    'stream with groups',
    [
      ['XADD', 'r', '1-1', 'f', 'v'],
      ['XADD', 'r', '1-2', 'f', 'w', 'g', 'x'],
      ['XADD', 'r', '5-0', 'f', 'v'],
      ['XDEL', 'r', '1-2'],
      ['XGROUP', 'CREATE', 'r', 'grp', '0'],
      ['XREADGROUP', 'GROUP', 'grp', 'alice', 'COUNT', '1', 'STREAMS', 'r', '>'],
      ['XGROUP', 'CREATECONSUMER', 'r', 'grp', 'bob'],
    ],
  ],
];

/** Yields every damaged variant of a payload, with a label for failure messages. */
function* mutations(original: Buffer): Generator<[string, Buffer]> {
  const body = original.subarray(0, original.length - 10);
  const replace = (at: number, value: number): Buffer => {
    const copy = Buffer.from(body);
    copy[at] = value;
    return copy;
  };
  for (let at = 0; at < body.length; at++) {
    const byte = body[at];
    const variants: [string, Buffer][] = [
      ['flip low bit', replace(at, byte ^ 0x01)],
      ['flip high bit', replace(at, byte ^ 0x80)],
      ['set 0x00', replace(at, 0x00)],
      ['set 0xff', replace(at, 0xff)],
      ['add one', replace(at, (byte + 1) & 0xff)],
      ['remove', Buffer.concat([body.subarray(0, at), body.subarray(at + 1)])],
      ['insert 0x01', Buffer.concat([body.subarray(0, at), Buffer.from([1]), body.subarray(at)])],
    ];
    for (const [name, damaged] of variants) {
      yield [`${name} at byte ${at}`, withFooter(damaged)];
    }
  }
}

/** Returns the bytes of a bulk string reply. */
function bulkBytes(reply: Buffer): Buffer {
  const headerEnd = reply.indexOf('\r\n');
  return reply.subarray(headerEnd + 2, reply.length - 2);
}

/**
 * Restores one payload into `r`, checks the outcome and returns the RESTORE
 * reply. `label` names the case in failure messages.
 */
async function restoreAndCheck(client: RawClient, label: string, bytes: Buffer): Promise<string> {
  const reply = (await client.call(['RESTORE', 'r', '0', bytes, 'REPLACE'])).toString('latin1');
  if (reply !== OK) {
    assert.equal(reply, BAD_DATA, `${label}: RESTORE reply`);
    assert.equal((await client.call(['EXISTS', 'r'])).toString(), ':0\r\n', `${label}: key left`);
    return reply;
  }
  const type = (await client.call(['TYPE', 'r'])).toString('latin1').slice(1, -2);
  const reads = READS[type];
  assert.ok(reads !== undefined, `${label}: unexpected type ${type}`);
  const dumped = await client.call(['DUMP', 'r']);
  assert.equal(dumped[0], 0x24, `${label}: DUMP reply ${dumped.toString('latin1')}`);
  const encoding = await client.call(['OBJECT', 'ENCODING', 'r']);
  assert.equal(encoding[0], 0x24, `${label}: OBJECT ENCODING ${encoding.toString('latin1')}`);
  for (const read of reads) {
    const result = (await client.call(read)).toString('latin1');
    assert.notEqual(result[0], '-', `${label}: ${read.join(' ')} replied ${result}`);
  }
  const again = await client.call(['RESTORE', 'copy', '0', bulkBytes(dumped), 'REPLACE']);
  assert.equal(again.toString('latin1'), OK, `${label}: RESTORE of its own DUMP`);
  await client.call(['DEL', 'r', 'copy']);
  return reply;
}

/**
 * Restores every damaged variant of a payload and checks that the decoder
 * rejected some of them, so the damage reached it.
 */
async function fuzzPayload(client: RawClient, name: string, original: Buffer): Promise<void> {
  assert.equal(await restoreAndCheck(client, `${name} undamaged`, original), OK);
  let rejected = 0;
  for (const [label, damaged] of mutations(original)) {
    if ((await restoreAndCheck(client, `${name}: ${label}`, damaged)) !== OK) rejected++;
  }
  assert.ok(rejected > 0, `${name}: no damaged variant was rejected`);
}

describe('RESTORE of damaged payloads', () => {
  let client: RawClient;

  before(async () => {
    const server = await startDamselfly();
    client = await RawClient.connect(server.port);
  });

  after(() => client.destroy());

  test('reproduction: empty LZF listpack node', async () => {
    const hex = '120102c315220e220000000900ff02816202816e3102e0090800ff0a00c3df7b3ddb3775ef';
    const reply = await client.call(['RESTORE', 'r', '0', Buffer.from(hex, 'hex'), 'REPLACE']);
    assert.equal(reply.toString(), BAD_DATA);
    assert.equal((await client.call(['EXISTS', 'r'])).toString(), ':0\r\n');
    assert.equal((await client.call(['LPOP', 'r'])).toString(), '$-1\r\n');
  });

  test('failed RESTORE keeps the old value', async () => {
    await client.call(['SET', 'r', 'before']);
    const damaged = payload(TYPE.set, (e) => [e.length(2), e.string('a'), e.string('a')]);
    const reply = await client.call(['RESTORE', 'r', '0', damaged, 'REPLACE']);
    assert.equal(reply.toString(), BAD_DATA);
    assert.equal((await client.call(['GET', 'r'])).toString(), '$6\r\nbefore\r\n');
    await client.call(['DEL', 'r']);
  });

  const inconsistent: [string, Buffer][] = [
    ['empty plain set', payload(TYPE.set, (e) => e.length(0))],
    ['empty quicklist', payload(TYPE.listQuicklist2, (e) => e.length(0))],
    ['empty intset', payload(TYPE.setIntset, (e) => e.string(intset([])))],
    ['unsorted intset', payload(TYPE.setIntset, (e) => e.string(intset([3, 1])))],
    ['duplicate set member', payload(TYPE.set, (e) => [e.length(2), e.string('a'), e.string('a')])],
    [
      'duplicate hash field',
      payload(TYPE.hashListpack, (e) => e.string(encodeListpack(['f', '1', 'f', '2']))),
    ],
    ['odd hash listpack', payload(TYPE.hashListpack, (e) => e.string(encodeListpack(['f'])))],
    [
      'duplicate zset member',
      payload(TYPE.zsetZiplist, (e) => e.string(ziplist(['m', 1, 'm', 2]))),
    ],
    [
      'zset score not a number',
      payload(TYPE.zsetListpack, (e) => e.string(encodeListpack(['m', 'nan']))),
    ],
    [
      'NaN binary score',
      payload(TYPE.zset2, (e) => [e.length(1), e.string('m'), e.binaryDouble(NaN)]),
    ],
  ];
  for (const [name, bytes] of inconsistent) {
    test(`${name} is rejected`, async () => {
      assert.equal(await restoreAndCheck(client, name, bytes), BAD_DATA);
    });
  }

  for (const [name, commands] of DUMPED) {
    test(`${name} survives damage`, async () => {
      await client.call(['DEL', 'r']);
      for (const command of commands) await client.call(command);
      const original = bulkBytes(await client.call(['DUMP', 'r']));
      await client.call(['DEL', 'r']);
      await fuzzPayload(client, name, original);
    });
  }

  for (const [name, bytes] of builtPayloads()) {
    test(`${name} survives damage`, async () => {
      await fuzzPayload(client, name, bytes);
    });
  }

  test('stream forms 1 and 3 survive damage', async () => {
    for (const command of DUMPED[DUMPED.length - 1][1]) await client.call(command);
    const dumped = bulkBytes(await client.call(['DUMP', 'r']));
    await client.call(['DEL', 'r']);
    const decoder = new RdbDecoder(dumped.subarray(0, dumped.length - 10));
    const stream = decodeValue(decoder, decoder.byte()) as PlainStream;
    for (const [form, type] of [
      [1, TYPE.streamListpacks],
      [3, TYPE.streamListpacks3],
    ] as const) {
      const bytes = payload(type, (e) => encodeStream(e, stream, form));
      await fuzzPayload(client, `stream form ${form}`, bytes);
    }
  });
});

describe('snapshot load of inconsistent values', () => {
  function writeSnapshot(entries: [string, PlainValue, number][]): string {
    const dir = makeTempDir('restore-validation-');
    fs.writeFileSync(path.join(dir, 'dump.rdb'), buildRdb([], [{ index: 0, entries }]));
    return dir;
  }

  test('duplicate set member fails the load', async () => {
    const dir = writeSnapshot([['s', { type: 'set', members: ['a', 'a'] }, -1]]);
    const server = await startDamselfly({ dir, waitUntilReady: false });
    const timeout = sleep(10_000).then(() => ({ code: 'still running after 10 s' }));
    const status = await Promise.race([server.exited, timeout]);
    assert.equal(status.code, 1);
    assert.match(server.stdout(), /dump\.rdb is corrupt: duplicate set member at byte offset/);
  });

  test('empty collections are skipped', async () => {
    const dir = writeSnapshot([
      ['empty', { type: 'list', elements: [] }, -1],
      ['kept', { type: 'list', elements: ['x'] }, -1],
    ]);
    const server = await startDamselfly({ dir });
    const loaded = await RawClient.connect(server.port);
    assert.equal((await loaded.call(['EXISTS', 'empty'])).toString(), ':0\r\n');
    assert.equal(
      (await loaded.call(['LRANGE', 'kept', '0', '-1'])).toString(),
      '*1\r\n$1\r\nx\r\n',
    );
    assert.match(server.stdout(), /skipped empty keys/);
    loaded.destroy();
  });
});
