/**
 * Unit tests of stream records in RDB form: round trips of every field, the
 * node layout Redis's XADD would produce, decoding of a payload written by
 * redis-server 7.0.15, and rejection of damaged records.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PlainStream, PlainStreamEntry, PlainStreamId } from '../src/persistence/plain-stream';
import { RdbDecoder, RdbFormatError } from '../src/persistence/rdb-decoder';
import { RdbEncoder, TYPE } from '../src/persistence/rdb-encoder';
import { decodeStream, encodeStream, type StreamForm } from '../src/persistence/rdb-stream';
import {
  canonicalInteger,
  ListpackCursor,
  ListpackWriter,
} from '../src/persistence/rdb-stream-listpack';
import { decodeValue, encodeValue, typeByteOf } from '../src/persistence/rdb-values';
import { readListpack } from '../src/persistence/rdb-decoder';

const FORM_TYPES: Record<StreamForm, number> = {
  1: TYPE.streamListpacks,
  2: TYPE.streamListpacks2,
  3: TYPE.streamListpacks3,
};

function id(ms: bigint | number, seq: bigint | number): PlainStreamId {
  return { ms: BigInt(ms), seq: BigInt(seq) };
}

/** Builds a stream with entries of two field layouts, a deletion record and two groups. */
function sampleStream(): PlainStream {
  return {
    type: 'stream',
    entries: [
      { id: id(5, 1), fields: ['a', '1', 'b', 'hello'] },
      { id: id(5, 3), fields: ['a', '-5000', 'b', ''] },
      { id: id(6, 0), fields: ['c', '3'] },
      { id: id(7, 0), fields: ['a', 'x'.repeat(70), 'b', '12345678901234567890'] },
    ],
    lastId: id(9, 4),
    maxDeletedId: id(5, 2),
    entriesAdded: 6,
    groups: [
      {
        name: 'workers',
        lastDeliveredId: id(6, 0),
        entriesRead: 4,
        pending: [
          { id: id(5, 1), consumer: 'alice', deliveryTime: 1700000000123, deliveryCount: 3 },
          { id: id(5, 3), consumer: 'bob', deliveryTime: 1700000000456, deliveryCount: 1 },
          { id: id(6, 0), consumer: 'alice', deliveryTime: 1700000000789, deliveryCount: 200 },
        ],
        consumers: [
          { name: 'alice', seenTime: 1700000001000, activeTime: 1700000000999 },
          { name: 'bob', seenTime: 1700000002000, activeTime: 1700000001999 },
          { name: 'idle', seenTime: 1700000003000, activeTime: -1 },
        ],
      },
      { name: 'fresh', lastDeliveredId: id(0, 0), entriesRead: -1, pending: [], consumers: [] },
    ],
  };
}

function encodeForm(stream: PlainStream, form: StreamForm): Buffer {
  const encoder = new RdbEncoder(true);
  encoder.byte(FORM_TYPES[form]);
  encodeStream(encoder, stream, form);
  return encoder.take();
}

function decodeBytes(bytes: Buffer): PlainStream {
  const d = new RdbDecoder(bytes);
  const value = decodeValue(d, d.byte());
  assert.equal(d.remaining, 0, 'bytes left after the record');
  assert.equal(value.type, 'stream');
  return value as PlainStream;
}

/** Builds `count` entries with IDs 1000-0, 1001-0, ... and the given fields. */
function entriesOf(count: number, fields: (i: number) => string[]): PlainStreamEntry[] {
  return Array.from({ length: count }, (_, i) => ({ id: id(1000 + i, 0), fields: fields(i) }));
}

function streamOf(entries: PlainStreamEntry[]): PlainStream {
  const last = entries[entries.length - 1];
  return {
    type: 'stream',
    entries,
    lastId: last === undefined ? id(0, 0) : last.id,
    maxDeletedId: id(0, 0),
    entriesAdded: entries.length,
    groups: [],
  };
}

/** Returns the node count and the listpacks of an encoded stream record (form 2). */
function nodesOf(bytes: Buffer): Buffer[] {
  const d = new RdbDecoder(bytes, 1);
  const count = d.length();
  const listpacks: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    d.stringBuffer();
    listpacks.push(d.stringBuffer());
  }
  return listpacks;
}

describe('stream record round trips', () => {
  test('form 2 keeps every field', () => {
    const stream = sampleStream();
    const decoded = decodeBytes(encodeForm(stream, 2));
    const expected = structuredClone(stream);
    for (const group of expected.groups) {
      for (const consumer of group.consumers) consumer.activeTime = -1;
    }
    assert.deepEqual(decoded, expected);
  });

  test('form 3 keeps active times', () => {
    const stream = sampleStream();
    assert.deepEqual(decodeBytes(encodeForm(stream, 3)), stream);
  });

  test('form 1 derives entries added and entries read', () => {
    const decoded = decodeBytes(encodeForm(sampleStream(), 1));
    assert.equal(decoded.entriesAdded, 4);
    assert.deepEqual(decoded.maxDeletedId, id(0, 0));
    // 6-0 is neither the first nor the last entry, so the count is unknown.
    assert.equal(decoded.groups[0].entriesRead, -1);
    // 0-0 is before the first entry: nothing read yet.
    assert.equal(decoded.groups[1].entriesRead, 0);
  });

  test('form 1 entries read at the edges', () => {
    const stream = streamOf(entriesOf(3, () => ['f', 'v']));
    const at = (lastDeliveredId: PlainStreamId) => {
      stream.groups = [{ name: 'g', lastDeliveredId, entriesRead: 99, pending: [], consumers: [] }];
      return decodeBytes(encodeForm(stream, 1)).groups[0].entriesRead;
    };
    assert.equal(at(id(1000, 0)), 1);
    assert.equal(at(id(1002, 0)), 3);
    assert.equal(at(id(1003, 0)), -1);
    assert.equal(at(id(999, 5)), 0);
    assert.equal(at(id(1001, 0)), -1);
  });

  test('empty stream with a group', () => {
    const stream = streamOf([]);
    stream.lastId = id(12, 3);
    stream.maxDeletedId = id(12, 3);
    stream.entriesAdded = 7;
    stream.groups = [
      { name: 'g', lastDeliveredId: id(12, 3), entriesRead: 7, pending: [], consumers: [] },
    ];
    assert.deepEqual(decodeBytes(encodeForm(stream, 2)), stream);
  });

  test('IDs at the 64-bit limits', () => {
    const max = 2n ** 64n - 1n;
    const stream = streamOf([
      { id: id(0, 1), fields: ['f', 'v'] },
      { id: id(2n ** 63n + 5n, max), fields: ['f', 'v'] },
      { id: id(max, 0), fields: ['f', 'v'] },
      { id: id(max, max), fields: ['f', 'v'] },
    ]);
    stream.maxDeletedId = id(max - 1n, 7);
    stream.entriesAdded = Number.MAX_SAFE_INTEGER;
    assert.deepEqual(decodeBytes(encodeForm(stream, 2)), stream);
  });

  test('counters rounded past 2^64 are capped', () => {
    const stream = sampleStream();
    stream.entriesAdded = 2 ** 64;
    // The unknown entries read of -1 is written as the same bytes.
    stream.groups = [];
    assert.equal(decodeBytes(encodeForm(stream, 2)).entriesAdded, 2 ** 64);
    const encoder = new RdbEncoder(false);
    encodeStream(encoder, stream);
    assert.ok(encoder.take().includes(Buffer.from('81ffffffffffffffff', 'hex')));
  });

  test('counters beyond 2^53 load rounded', () => {
    const stream = sampleStream();
    stream.entriesAdded = 2 ** 60;
    stream.groups[0].entriesRead = 2 ** 59;
    stream.groups[0].pending[0].deliveryCount = 2 ** 58;
    assert.deepEqual(decodeBytes(encodeForm(stream, 3)), stream);
  });

  test('binary fields and integer-like strings', () => {
    const values = ['0', '-0', '007', '+1', '-1', '4095', '4096', '-4097', '32768', '-8388609'];
    const more = ['2147483648', '9223372036854775807', '9223372036854775808', '\x00\xff\r\n'];
    const fields = [...values, ...more].flatMap((value, i) => [`f${i}`, value]);
    const stream = streamOf([
      { id: id(1, 1), fields },
      { id: id(1, 2), fields: ['', 'x'.repeat(5000)] },
    ]);
    assert.deepEqual(decodeBytes(encodeForm(stream, 2)), stream);
  });

  test('DUMP layout through encodeValue', () => {
    const stream = sampleStream();
    assert.equal(typeByteOf(stream), TYPE.streamListpacks2);
    const encoder = new RdbEncoder(true);
    encodeValue(encoder, stream);
    assert.deepEqual(encoder.take(), encodeForm(stream, 2));
  });
});

describe('stream node layout', () => {
  test('100 entries per node', () => {
    const bytes = encodeForm(streamOf(entriesOf(250, (i) => ['field', String(i)])), 2);
    const counts = nodesOf(bytes).map((listpack) => Number(readListpack(listpack, 0)[0]));
    assert.deepEqual(counts, [100, 100, 50]);
  });

  test('nodes stay under 4096 bytes', () => {
    const stream = streamOf(entriesOf(40, () => ['f', 'y'.repeat(500)]));
    const listpacks = nodesOf(encodeForm(stream, 2));
    for (const listpack of listpacks) assert.ok(listpack.length < 4096, `${listpack.length} bytes`);
    // A node takes an entry while its size plus the entry's fields stay below 4096.
    assert.deepEqual(
      listpacks.map((listpack) => Number(readListpack(listpack, 0)[0])),
      [7, 7, 7, 7, 7, 5],
    );
  });

  test('one oversized entry gets its own node', () => {
    const stream = streamOf(entriesOf(3, (i) => ['f', i === 1 ? 'z'.repeat(10000) : 'small']));
    assert.equal(nodesOf(encodeForm(stream, 2)).length, 3);
  });

  test('entries with the master fields store only values', () => {
    const stream = streamOf([
      { id: id(10, 0), fields: ['a', '1', 'b', '2'] },
      { id: id(10, 1), fields: ['a', '3', 'b', '4'] },
      { id: id(11, 0), fields: ['b', '5', 'a', '6'] },
    ]);
    const elements = readListpack(nodesOf(encodeForm(stream, 2))[0], 0);
    const master = ['3', '0', '2', 'a', 'b', '0'];
    const first = ['2', '0', '0', '1', '2', '5'];
    const second = ['2', '0', '1', '3', '4', '5'];
    const third = ['0', '1', '0', '2', 'b', '5', 'a', '6', '8'];
    assert.deepEqual(elements, [...master, ...first, ...second, ...third]);
  });
});

/** DUMP of a stream from redis-server 7.0.15, without its version and checksum footer. */
const REDIS_DUMP_HEX =
  '13011000000000000000050000000000000001404343000000190002010101020181610281620200' +
  '0102010001000101018568656c6c6f0605010301000101010201817802050100010101dfff020101' +
  '81630203010601ff0206000501050203010167050181ffffffffffffffff01000000000000000500' +
  '00000000000001dd3c7a42a2010000010105616c696365dd3c7a42a2010000010000000000000005' +
  '0000000000000001';
/** The delivery and seen time in that payload. */
const REDIS_DUMP_TIME = 1796411636957;

describe('stream written by redis-server 7.0', () => {
  test('decodes entries, deletion and group', () => {
    // XADD s 5-1 a 1 b hello; XADD s 5-2 a 2 b x; XADD s 6-0 c 3; XDEL s 5-2;
    // XGROUP CREATE s g 0; XREADGROUP GROUP g alice COUNT 1 STREAMS s >
    const stream = decodeBytes(Buffer.from(REDIS_DUMP_HEX, 'hex'));
    assert.deepEqual(stream.entries, [
      { id: id(5, 1), fields: ['a', '1', 'b', 'hello'] },
      { id: id(6, 0), fields: ['c', '3'] },
    ]);
    assert.deepEqual(stream.lastId, id(6, 0));
    assert.deepEqual(stream.maxDeletedId, id(5, 2));
    assert.equal(stream.entriesAdded, 3);
    assert.equal(stream.groups.length, 1);
    const [group] = stream.groups;
    assert.equal(group.name, 'g');
    assert.deepEqual(group.lastDeliveredId, id(5, 1));
    assert.equal(group.entriesRead, -1);
    assert.deepEqual(group.pending, [
      { id: id(5, 1), consumer: 'alice', deliveryTime: REDIS_DUMP_TIME, deliveryCount: 1 },
    ]);
    assert.deepEqual(group.consumers, [
      { name: 'alice', seenTime: REDIS_DUMP_TIME, activeTime: -1 },
    ]);
  });
});

describe('listpack writer', () => {
  test('integers read back through the list reader', () => {
    const values = [0, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768];
    const wide = [8388607, -8388608, 8388608, 2147483647, -2147483648, 2147483648];
    const all = [...values, ...wide, -(2n ** 63n), 2n ** 63n - 1n, Number.MAX_SAFE_INTEGER];
    const writer = new ListpackWriter();
    for (const value of all) writer.integer(value);
    assert.deepEqual(
      readListpack(writer.finish(), 0),
      all.map((value) => String(value)),
    );
  });

  test('canonical integers only', () => {
    assert.equal(canonicalInteger('0'), 0);
    assert.equal(canonicalInteger('-12'), -12);
    assert.equal(canonicalInteger('-9223372036854775808'), -(2n ** 63n));
    for (const text of ['', '-', '-0', '01', '+1', ' 1', '1.0', '9223372036854775808', '1e3']) {
      assert.equal(canonicalInteger(text), null, text);
    }
  });

  test('cursor rejects a wrong back-length', () => {
    const writer = new ListpackWriter();
    writer.string('abc');
    const blob = writer.finish();
    blob[blob.length - 2] = 9;
    const cursor = new ListpackCursor(blob, 0);
    assert.throws(() => cursor.next(), RdbFormatError);
  });
});

describe('damaged stream records', () => {
  const good = encodeForm(sampleStream(), 3);

  test('every truncation is a format error', () => {
    for (let length = 1; length < good.length; length++) {
      assert.throws(
        () => decodeBytes(good.subarray(0, length)),
        RdbFormatError,
        `length ${length}`,
      );
    }
  });

  test('random byte changes fail cleanly or decode', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const plain = encodeForm(sampleStream(), 3);
    for (let round = 0; round < 3000; round++) {
      const bytes = Buffer.from(plain);
      const changes = 1 + Math.floor(random() * 3);
      for (let i = 0; i < changes; i++) {
        bytes[1 + Math.floor(random() * (bytes.length - 1))] = Math.floor(random() * 256);
      }
      try {
        decodeBytes(bytes);
      } catch (error) {
        if (!(error instanceof RdbFormatError) && !(error instanceof assert.AssertionError)) {
          throw error;
        }
      }
    }
  });

  function failsWith(stream: PlainStream, pattern: RegExp): void {
    assert.throws(() => decodeBytes(encodeForm(stream, 2)), pattern);
  }

  /** Replaces the `occurrence`-th copy (0-based) of a 16-byte raw ID in the encoded sample. */
  function withRawId(from: PlainStreamId, to: PlainStreamId, occurrence: number): Buffer {
    const raw = (value: PlainStreamId) => {
      const bytes = Buffer.alloc(16);
      bytes.writeBigUInt64BE(value.ms, 0);
      bytes.writeBigUInt64BE(value.seq, 8);
      return bytes;
    };
    const bytes = encodeForm(sampleStream(), 2);
    let at = -1;
    for (let i = 0; i <= occurrence; i++) at = bytes.indexOf(raw(from), at + 1);
    assert.ok(at > 0);
    raw(to).copy(bytes, at);
    return bytes;
  }

  test('consumer pending entry missing from the group', () => {
    // The second copy of 5-3 is in bob's pending list.
    const bytes = withRawId(id(5, 3), id(5, 9), 1);
    assert.throws(() => decodeBytes(bytes), /consumer pending entry missing from the group/);
  });

  test('pending entry owned by two consumers', () => {
    const bytes = withRawId(id(5, 3), id(5, 1), 1);
    assert.throws(() => decodeBytes(bytes), /pending entry owned by two consumers/);
  });

  test('group pending entries out of order', () => {
    const bytes = withRawId(id(5, 3), id(9, 9), 0);
    assert.throws(() => decodeBytes(bytes), /not in ascending ID order/);
  });

  test('pending entry without a consumer', () => {
    const stream = sampleStream();
    stream.groups[0].pending[0].consumer = 'nobody';
    failsWith(stream, /group pending entry without a consumer/);
  });

  test('entries out of order', () => {
    const stream = sampleStream();
    stream.entries.reverse();
    failsWith(stream, /ascending/);
  });

  test('last ID below the last entry', () => {
    const stream = sampleStream();
    stream.lastId = id(6, 5);
    failsWith(stream, /last ID is smaller/);
  });

  test('entries added below the length', () => {
    const stream = sampleStream();
    stream.entriesAdded = 2;
    failsWith(stream, /entries added/);
  });

  test('duplicate group names', () => {
    const stream = sampleStream();
    stream.groups[1].name = 'workers';
    failsWith(stream, /duplicate consumer group/);
  });

  test('duplicate consumer names', () => {
    const stream = sampleStream();
    stream.groups[0].consumers[2].name = 'bob';
    failsWith(stream, /duplicate consumer name/);
  });

  test('form 3 decodes through decodeStream', () => {
    const d = new RdbDecoder(encodeForm(sampleStream(), 3));
    assert.equal(d.byte(), TYPE.streamListpacks3);
    assert.equal(decodeStream(d, TYPE.streamListpacks3).groups.length, 2);
  });
});
