#!/usr/bin/env node
// Writes RESP-encoded commands that build COUNT hashes, COUNT lists, COUNT
// sets and COUNT sorted sets of 100 elements each, for `redis-cli --pipe`.
//
// Usage: node bench/collection-commands.js COUNT
// Keys are hash:%06d, list:%06d, set:%06d and zset:%06d. Each key is built by
// one command (HSET, RPUSH, SADD, ZADD), so the load ends with 4 * COUNT
// replies. Members are short strings, and sorted-set scores are decimals, so
// no collection gets an integer-only encoding.
'use strict';

const ELEMENTS = 100;
const BATCH_KEYS = 200;

function encodeCommand(words) {
  let text = `*${words.length}\r\n`;
  for (const word of words) text += `$${word.length}\r\n${word}\r\n`;
  return text;
}

function pad(number, width) {
  return String(number).padStart(width, '0');
}

/** Returns the four commands that build the collections numbered `index`. */
function commandsFor(index) {
  const id = pad(index, 6);
  const hash = ['HSET', `hash:${id}`];
  const list = ['RPUSH', `list:${id}`];
  const set = ['SADD', `set:${id}`];
  const zset = ['ZADD', `zset:${id}`];
  for (let element = 0; element < ELEMENTS; element++) {
    const member = `m:${id}:${pad(element, 3)}`;
    hash.push(`field:${pad(element, 3)}`, `v${pad(index * ELEMENTS + element, 9)}`);
    list.push(member);
    set.push(member);
    zset.push(`${element}.5`, member);
  }
  return [hash, list, set, zset].map(encodeCommand).join('');
}

/** Writes the commands in batches, waiting for 'drain' so memory stays flat. */
async function writeCommands(count) {
  for (let start = 0; start < count; start += BATCH_KEYS) {
    let batch = '';
    const end = Math.min(count, start + BATCH_KEYS);
    for (let index = start; index < end; index++) batch += commandsFor(index);

    if (!process.stdout.write(batch)) {
      await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
}

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 0) {
  console.error('usage: node bench/collection-commands.js COUNT');
  process.exit(2);
}

writeCommands(count).catch((error) => {
  console.error(`writing collection commands failed: ${error.message}`);
  process.exit(1);
});
