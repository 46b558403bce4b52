/**
 * The entries of a stream as Redis stores them: a radix tree whose keys are
 * 16-byte big-endian master IDs (milliseconds, then sequence) and whose values
 * are listpacks. Each listpack starts with a master entry
 *
 *   count, deleted, field count, field 1 .. field N, 0
 *
 * (count and deleted count live and deleted entries) followed by entries
 *
 *   flags, ms delta, seq delta, [field count], fields and values, element count
 *
 * where the deltas are from the master ID, wrapped to signed 64 bits. An
 * entry flagged SAME_FIELDS has the master's field names and stores only its
 * values. The closing element count counts the entry's other elements.
 */
import type { RdbDecoder } from './rdb-decoder';
import type { RdbEncoder } from './rdb-encoder';
import { ListpackCursor, ListpackWriter } from './rdb-stream-listpack';
import type { PlainStreamEntry, PlainStreamId } from './plain-stream';

/*
 * NOTE: saved nodes always follow Redis's default limits below, not the
 * stream-node-max-bytes and stream-node-max-entries settings in force. Only
 * the node count (XINFO's radix-tree-keys after a load) shows the difference.
 */

/** Redis's default stream-node-max-bytes: a node takes no entry that would bring it this far. */
export const STREAM_NODE_MAX_BYTES = 4096;
/** Redis's default stream-node-max-entries. */
export const STREAM_NODE_MAX_ENTRIES = 100;

const FLAG_DELETED = 1;
const FLAG_SAME_FIELDS = 2;
const FLAGS_KNOWN = FLAG_DELETED | FLAG_SAME_FIELDS;
const NODE_KEY_BYTES = 16;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Returns a minus b wrapped to a signed 64-bit integer, as Redis stores ID deltas. */
function delta(a: bigint, b: bigint): number | bigint {
  // Common case without BigInt arithmetic: both fit a number, so the difference is exact.
  // A part of 2^53 or more converts to a number above MAX_SAFE_INTEGER, failing the test.
  const x = Number(a);
  const y = Number(b);
  if (x <= Number.MAX_SAFE_INTEGER && y <= Number.MAX_SAFE_INTEGER) return x - y;
  const wrapped = BigInt.asIntN(64, a - b);
  const exact = Number(wrapped);
  return Number.isSafeInteger(exact) ? exact : wrapped;
}

function nodeKey(id: PlainStreamId): Buffer {
  const key = Buffer.allocUnsafe(NODE_KEY_BYTES);
  key.writeBigUInt64BE(id.ms, 0);
  key.writeBigUInt64BE(id.seq, 8);
  return key;
}

function sameFieldNames(fields: readonly string[], master: readonly string[]): boolean {
  if (fields.length !== master.length * 2) return false;
  for (let i = 0; i < master.length; i++) {
    if (fields[i * 2] !== master[i]) return false;
  }
  return true;
}

function fieldBytes(fields: readonly string[]): number {
  let total = 0;
  for (const field of fields) total += field.length;
  return total;
}

/**
 * Writes the node count and then each node's key and listpack. Entries go
 * into nodes as Redis's XADD would put them with its default node limits, so
 * a stream that never lost entries gets Redis's node layout.
 */
export function encodeNodes(encoder: RdbEncoder, entries: readonly PlainStreamEntry[]): void {
  const nodes: Buffer[] = [];
  const writer = new ListpackWriter();
  let master: PlainStreamEntry | null = null;
  let masterFields: string[] = [];
  let count = 0;
  for (const entry of entries) {
    const full =
      writer.byteLength + fieldBytes(entry.fields) >= STREAM_NODE_MAX_BYTES ||
      count >= STREAM_NODE_MAX_ENTRIES;
    if (master === null || full) {
      if (master !== null) nodes.push(nodeKey(master.id), finishNode(writer, count));
      master = entry;
      masterFields = entry.fields.filter((_, i) => i % 2 === 0);
      startNode(writer, masterFields);
      count = 0;
    }
    appendEntry(writer, entry, master.id, masterFields);
    count++;
  }
  if (master !== null) nodes.push(nodeKey(master.id), finishNode(writer, count));
  encoder.length(nodes.length / 2);
  for (const part of nodes) encoder.string(part);
}

function startNode(writer: ListpackWriter, masterFields: readonly string[]): void {
  writer.reset();
  // The live count is set when the node is finished; it stays below 128.
  writer.integer(0);
  writer.integer(0);
  writer.integer(masterFields.length);
  for (const field of masterFields) writer.string(field);
  writer.integer(0);
}

function finishNode(writer: ListpackWriter, count: number): Buffer {
  writer.setFirstSmallInteger(count);
  return writer.finish();
}

function appendEntry(
  writer: ListpackWriter,
  entry: PlainStreamEntry,
  masterId: PlainStreamId,
  masterFields: readonly string[],
): void {
  const same = sameFieldNames(entry.fields, masterFields);
  writer.integer(same ? FLAG_SAME_FIELDS : 0);
  writer.integer(delta(entry.id.ms, masterId.ms));
  writer.integer(delta(entry.id.seq, masterId.seq));
  const pairs = entry.fields.length / 2;
  if (same) {
    for (let i = 1; i < entry.fields.length; i += 2) writer.string(entry.fields[i]);
    writer.integer(3 + pairs);
    return;
  }
  writer.integer(pairs);
  for (const item of entry.fields) writer.string(item);
  writer.integer(4 + pairs * 2);
}

/** Orders stream IDs: negative, zero or positive like a comparator. */
export function compareIds(a: PlainStreamId, b: PlainStreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** Reads the node count and every node; returns the live entries in ID order. */
export function decodeNodes(d: RdbDecoder): PlainStreamEntry[] {
  const entries: PlainStreamEntry[] = [];
  const nodes = d.length();
  let previous: PlainStreamId | null = null;
  for (let i = 0; i < nodes; i++) {
    const key = d.stringBuffer();
    if (key.length !== NODE_KEY_BYTES) d.fail('stream node key is not 16 bytes');
    const masterId = { ms: key.readBigUInt64BE(0), seq: key.readBigUInt64BE(8) };
    if (previous !== null && compareIds(masterId, previous) <= 0) {
      d.fail('stream node keys are not in ascending order');
    }
    const base = d.base + d.offset;
    const cursor = new ListpackCursor(d.stringBuffer(), base);
    previous = decodeNode(cursor, masterId, previous, entries);
  }
  return entries;
}

/** Reads one node into `entries`; returns the ID of its last entry, deleted ones included. */
function decodeNode(
  cursor: ListpackCursor,
  masterId: PlainStreamId,
  previous: PlainStreamId | null,
  entries: PlainStreamEntry[],
): PlainStreamId {
  if (cursor.done) cursor.fail('empty listpack in a stream node');
  const live = cursor.count();
  const deleted = cursor.count();
  const masterFields = readMasterFields(cursor);

  let last = previous;
  let seen = 0;
  let seenDeleted = 0;
  while (!cursor.done) {
    const flags = cursor.count();
    if ((flags & ~FLAGS_KNOWN) !== 0) cursor.fail(`invalid stream entry flags ${flags}`);
    const entry = decodeEntry(cursor, flags, masterId, masterFields);
    if (compareIds(entry.id, masterId) < 0 || (last !== null && compareIds(entry.id, last) <= 0)) {
      cursor.fail('stream entries are not in ascending ID order');
    }
    last = entry.id;
    if ((flags & FLAG_DELETED) !== 0) {
      seenDeleted++;
      continue;
    }
    seen++;
    entries.push(entry);
  }

  cursor.finish();
  if (seen !== live || seenDeleted !== deleted) {
    cursor.fail('stream node entry counts do not match its master entry');
  }
  if (last === null || seen + seenDeleted === 0) return cursor.fail('stream node without entries');
  return last;
}

/** Reads the field names of a master entry and its closing 0. */
function readMasterFields(cursor: ListpackCursor): string[] {
  const count = cursor.count();
  const fields: string[] = [];
  for (let i = 0; i < count; i++) fields.push(cursor.string());
  if (cursor.integer() !== 0) cursor.fail('stream master entry does not end with 0');
  return fields;
}

/** Adds a delta read from a node to a master ID part, wrapping at 64 bits as Redis does. */
function applyDelta(base: bigint, change: number | bigint): bigint {
  if (change === 0) return base;
  if (typeof change === 'number' && base <= MAX_SAFE) {
    const sum = Number(base) + change;
    if (sum >= 0 && sum <= Number.MAX_SAFE_INTEGER) return BigInt(sum);
  }
  return BigInt.asUintN(64, base + BigInt(change));
}

/** Reads an entry after its flags. */
function decodeEntry(
  cursor: ListpackCursor,
  flags: number,
  masterId: PlainStreamId,
  masterFields: readonly string[],
): PlainStreamEntry {
  const ms = applyDelta(masterId.ms, cursor.integer());
  const seq = applyDelta(masterId.seq, cursor.integer());
  const fields: string[] = [];
  let elements: number;
  if ((flags & FLAG_SAME_FIELDS) !== 0) {
    for (const field of masterFields) fields.push(field, cursor.string());
    elements = 3 + masterFields.length;
  } else {
    const pairs = cursor.count();
    for (let i = 0; i < pairs * 2; i++) fields.push(cursor.string());
    elements = 4 + pairs * 2;
  }
  if (cursor.count() !== elements) cursor.fail('stream entry element count is wrong');
  return { id: { ms, seq }, fields };
}
