#!/usr/bin/env node
// Writes COUNT RESP-encoded SET commands to stdout, for `redis-cli --pipe`.
//
// Usage: node bench/set-commands.js COUNT VALUE_FORMAT
// Keys are key:%012d from 0 to COUNT - 1, the names redis-benchmark uses with
// -r. VALUE_FORMAT is "fixed3" for the 3-byte value "xxx" (redis-benchmark's
// default size) or "numbered10" for a distinct 10-byte value v%09d per key.
'use strict';

const BATCH_COMMANDS = 10_000;

function encodeSet(key, value) {
  return `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
}

function valueFor(index, format) {
  return format === 'fixed3' ? 'xxx' : `v${String(index).padStart(9, '0')}`;
}

/** Writes the commands in batches, waiting for 'drain' so memory stays flat. */
async function writeCommands(count, format) {
  for (let start = 0; start < count; start += BATCH_COMMANDS) {
    let batch = '';
    const end = Math.min(count, start + BATCH_COMMANDS);
    for (let index = start; index < end; index++) {
      batch += encodeSet(`key:${String(index).padStart(12, '0')}`, valueFor(index, format));
    }

    if (!process.stdout.write(batch)) {
      await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
}

const count = Number(process.argv[2]);
const format = process.argv[3];
if (!Number.isInteger(count) || count < 0 || !['fixed3', 'numbered10'].includes(format)) {
  console.error('usage: node bench/set-commands.js COUNT fixed3|numbered10');
  process.exit(2);
}

writeCommands(count, format).catch((error) => {
  console.error(`writing SET commands failed: ${error.message}`);
  process.exit(1);
});
