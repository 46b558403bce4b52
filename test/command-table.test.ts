/**
 * The command table, read through COMMAND and COMMAND DOCS from a running
 * server: consistency checks on every row, whatever families are
 * registered, and a comparison of every command both servers know with
 * redis-server's COMMAND INFO. Also the replies of the COMMAND subcommands.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { assertDifferential, type Normalizer } from './support/differential';
import { findReplyEnd } from './support/resp';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** One COMMAND INFO entry, decoded. */
interface CommandInfo {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  categories: string[];
  subcommands: CommandInfo[];
}

type Raw = [string, number, string[], number, number, number, string[], unknown, unknown, Raw[]];

function decodeInfo(raw: Raw): CommandInfo {
  return {
    name: raw[0],
    arity: raw[1],
    flags: raw[2],
    firstKey: raw[3],
    lastKey: raw[4],
    step: raw[5],
    categories: raw[6],
    subcommands: (raw[9] ?? []).map(decodeInfo),
  };
}

/** Lists every row: each command, then its subcommands. */
function allRows(commands: CommandInfo[]): CommandInfo[] {
  return commands.flatMap((info) => [info, ...info.subcommands]);
}

async function readTable(port: number): Promise<CommandInfo[]> {
  const client = new Redis(port);
  try {
    return ((await client.call('COMMAND')) as Raw[]).map(decodeInfo);
  } finally {
    client.disconnect();
  }
}

/** COMMAND DOCS as a map from name to its fields (subcommands included as their own entries). */
async function readDocs(port: number): Promise<Map<string, Map<string, unknown>>> {
  const client = new Redis(port);
  const docs = new Map<string, Map<string, unknown>>();
  const add = (flat: unknown[]): void => {
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const fields = new Map<string, unknown>();
      const pairs = flat[i + 1] as unknown[];
      for (let j = 0; j + 1 < pairs.length; j += 2) fields.set(String(pairs[j]), pairs[j + 1]);
      docs.set(String(flat[i]), fields);
      const subcommands = fields.get('subcommands');
      if (Array.isArray(subcommands)) add(subcommands);
    }
  };
  try {
    add((await client.call('COMMAND', 'DOCS')) as unknown[]);
    return docs;
  } finally {
    client.disconnect();
  }
}

/** Problems with the key positions of a row for its arity; empty when consistent. */
function keyPositionProblems(info: CommandInfo): string[] {
  const problems: string[] = [];
  const { arity, firstKey, lastKey, step } = info;
  const minimum = Math.abs(arity);
  if (firstKey === 0) {
    if (lastKey !== 0 || step !== 0) problems.push('no first key but a last key or step');
    return problems;
  }
  if (step < 1) problems.push(`key step ${step} with first key ${firstKey}`);
  // Only a trailing, optional key list (SUNSUBSCRIBE's) may start past the minimum count.
  const optionalKeys = arity < 0 && lastKey < 0;
  if (firstKey >= minimum && !optionalKeys) {
    problems.push(`first key ${firstKey} beyond arity ${arity}`);
  }
  if (lastKey > 0 && lastKey < firstKey) problems.push(`last key ${lastKey} before first`);
  if (lastKey > 0 && arity > 0 && lastKey >= arity) {
    problems.push(`last key ${lastKey} beyond arity ${arity}`);
  }
  if (lastKey < 0 && arity > 0 && arity + lastKey < firstKey) {
    problems.push(`last key ${lastKey} before first key for arity ${arity}`);
  }
  return problems;
}

describe('command table', () => {
  let damselfly: ServerProcess;
  let table: CommandInfo[];
  let docs: Map<string, Map<string, unknown>>;

  before(async () => {
    damselfly = await startDamselfly();
    table = await readTable(damselfly.port);
    docs = await readDocs(damselfly.port);
  });

  after(stopAllServers);

  test('names are unique and lowercase', () => {
    const names = allRows(table).map((info) => info.name);
    assert.deepEqual(
      names.filter((name, index) => names.indexOf(name) !== index),
      [],
    );
    for (const name of names) assert.equal(name, name.toLowerCase());
    for (const info of table) {
      assert.doesNotMatch(info.name, /\|/, info.name);
      for (const sub of info.subcommands)
        assert.match(sub.name, new RegExp(`^${info.name}\\|[^|]+$`));
    }
  });

  test('arity agrees with key positions', () => {
    const problems: string[] = [];
    for (const info of allRows(table)) {
      if (info.arity === 0) problems.push(`${info.name}: arity 0`);
      if (info.name.includes('|') && Math.abs(info.arity) < 2) {
        problems.push(`${info.name}: a subcommand's arity counts both names`);
      }
      for (const problem of keyPositionProblems(info)) problems.push(`${info.name}: ${problem}`);
    }
    assert.deepEqual(problems, []);
  });

  test('write and read flags agree with ACL categories', () => {
    const problems: string[] = [];
    for (const info of allRows(table)) {
      const write = info.flags.includes('write');
      const readonly = info.flags.includes('readonly');
      if (write && readonly) problems.push(`${info.name}: both write and readonly`);
      if (write && !info.categories.includes('@write')) problems.push(`${info.name}: no @write`);
      if (!write && info.categories.includes('@write')) problems.push(`${info.name}: stray @write`);
      // Redis leaves read-only scripting commands out of @read.
      const scripting = info.categories.includes('@scripting');
      if (readonly && !scripting && !info.categories.includes('@read')) {
        problems.push(`${info.name}: no @read`);
      }
      const fast = info.flags.includes('fast');
      if (fast === info.categories.includes('@slow')) problems.push(`${info.name}: fast vs @slow`);
    }
    assert.deepEqual(problems, []);
  });

  test('every command is documented', () => {
    const problems: string[] = [];
    for (const info of allRows(table)) {
      const entry = docs.get(info.name);
      if (entry === undefined) {
        problems.push(`${info.name}: no COMMAND DOCS entry`);
        continue;
      }
      for (const field of ['summary', 'group', 'complexity']) {
        const value = entry.get(field);
        if (typeof value !== 'string' || value.trim() === '')
          problems.push(`${info.name}: ${field}`);
      }
      if (!/^\d+\.\d+\.\d+$/.test(String(entry.get('since')))) problems.push(`${info.name}: since`);
    }
    assert.deepEqual(problems, []);
  });

  test('COMMAND COUNT and COMMAND LIST agree with COMMAND', async () => {
    const client = new Redis(damselfly.port);
    try {
      assert.equal(await client.call('COMMAND', 'COUNT'), table.length);
      const listed = (await client.call('COMMAND', 'LIST')) as string[];
      assert.deepEqual(
        listed,
        allRows(table).map((info) => info.name),
      );
      const admin = (await client.call(
        'COMMAND',
        'LIST',
        'FILTERBY',
        'ACLCAT',
        'admin',
      )) as string[];
      const expected = allRows(table).filter((info) => info.categories.includes('@admin'));
      assert.deepEqual(
        admin,
        expected.map((info) => info.name),
      );
    } finally {
      client.disconnect();
    }
  });
});

/**
 * Arities that follow a newer Redis than the 7.0 reference on purpose,
 * because Damselfly has the newer option (ZRANK ... WITHSCORE is Redis 7.2).
 */
const NEWER_ARITY = new Map([
  ['zrank', -3],
  ['zrevrank', -3],
]);

/** Differences between one of our rows and Redis's, as readable lines. */
function compareRows(ours: CommandInfo, theirs: CommandInfo): string[] {
  const differences: string[] = [];
  const sameSet = (a: string[], b: string[]): boolean =>
    a.length === b.length && [...a].sort().every((value, i) => value === [...b].sort()[i]);
  const show = (field: string, a: unknown, b: unknown): void => {
    differences.push(
      `${ours.name} ${field}: damselfly ${JSON.stringify(a)}, redis ${JSON.stringify(b)}`,
    );
  };
  const expectedArity = NEWER_ARITY.get(ours.name) ?? theirs.arity;
  if (ours.arity !== expectedArity) show('arity', ours.arity, theirs.arity);
  if (!sameSet(ours.flags, theirs.flags)) show('flags', ours.flags, theirs.flags);
  const keys = [ours.firstKey, ours.lastKey, ours.step];
  const theirKeys = [theirs.firstKey, theirs.lastKey, theirs.step];
  if (keys.join() !== theirKeys.join()) show('first/last/step', keys, theirKeys);
  if (!sameSet(ours.categories, theirs.categories)) {
    show('categories', ours.categories, theirs.categories);
  }
  for (const sub of ours.subcommands) {
    const match = theirs.subcommands.find((candidate) => candidate.name === sub.name);
    if (match !== undefined) differences.push(...compareRows(sub, match));
  }
  return differences;
}

describe('command table against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('COMMAND INFO of every command both know', async (context) => {
    const ours = await readTable(damselfly.port);
    const theirs = new Map((await readTable(redis.port)).map((info) => [info.name, info]));
    const differences: string[] = [];
    let compared = 0;
    for (const info of ours) {
      const reference = theirs.get(info.name);
      if (reference === undefined) continue;
      compared++;
      differences.push(...compareRows(info, reference));
    }
    context.diagnostic(`compared ${compared} commands with redis-server`);
    for (const line of differences) context.diagnostic(line);
    assert.ok(compared > 0);
    assert.deepEqual(differences, []);
  });

  test('COMMAND DOCS groups and versions of every command both know', async (context) => {
    const ours = await readDocs(damselfly.port);
    const theirs = await readDocs(redis.port);
    const differences: string[] = [];
    for (const [name, fields] of ours) {
      const reference = theirs.get(name);
      if (reference === undefined) continue;
      for (const field of ['group', 'since']) {
        if (fields.get(field) !== reference.get(field)) {
          differences.push(
            `${name} ${field}: damselfly ${String(fields.get(field))}, ` +
              `redis ${String(reference.get(field))}`,
          );
        }
      }
    }
    for (const line of differences) context.diagnostic(line);
    assert.deepEqual(differences, []);
  });

  test('COMMAND INFO replies', async () => {
    await assertDifferential(
      damselfly,
      redis,
      [
        ['COMMAND', 'INFO', 'get'],
        ['COMMAND', 'INFO', 'GET', 'nosuch', 'CONFIG|RESETSTAT'],
        ['COMMAND', 'INFO', 'config|get'],
        ['COMMAND', 'INFO', 'CONFIG|SET|x'],
        ['COMMAND', 'INFO', 'nosuch'],
        ['COMMAND', 'DOCS', 'nosuch'],
        ['HELLO', '3'],
        ['COMMAND', 'INFO', 'get', 'nosuch'],
        ['COMMAND', 'INFO', 'client|id'],
        ['COMMAND', 'DOCS', 'nosuch'],
        ['HELLO', '2'],
      ],
      { normalize: [[/\$2\r\nid\r\n:\d+\r\n/, 'id']] },
    );
  });

  test('COMMAND GETKEYS and GETKEYSANDFLAGS replies', async () => {
    await assertDifferential(damselfly, redis, [
      ['COMMAND', 'GETKEYS'],
      ['COMMAND', 'GETKEYS', 'get'],
      ['COMMAND', 'GETKEYS', 'get', 'a'],
      ['COMMAND', 'GETKEYS', 'GET', 'a'],
      ['COMMAND', 'GETKEYS', 'set', 'a', 'b'],
      ['COMMAND', 'GETKEYS', 'set', 'a'],
      ['COMMAND', 'GETKEYS', 'mset', 'a', '1', 'b', '2'],
      ['COMMAND', 'GETKEYS', 'mset', 'a', 'b', 'c'],
      ['COMMAND', 'GETKEYS', 'mget', 'a', 'b', 'c'],
      ['COMMAND', 'GETKEYS', 'nosuch', 'a'],
      ['COMMAND', 'GETKEYS', 'ping', 'x'],
      ['COMMAND', 'GETKEYS', 'config', 'get', 'x'],
      ['COMMAND', 'GETKEYS', 'config', 'nosuch'],
      ['COMMAND', 'GETKEYS', 'object', 'encoding', 'k'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'mget', 'a', 'b'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'ping', 'x'],
    ]);
  });

  test('COMMAND LIST, COUNT, HELP and errors', async () => {
    /** Sorts the names of an array of bulk strings, which Redis lists in hash order. */
    const sortNames: Normalizer = (text) => {
      const bytes = Buffer.from(text, 'latin1');
      const header = /^\*(\d+)\r\n/.exec(text);
      if (header === null) return text;
      const items: string[] = [];
      let offset = header[0].length;
      for (let i = 0; i < Number(header[1]); i++) {
        const end = findReplyEnd(bytes, offset);
        items.push(text.slice(offset, end));
        offset = end;
      }
      return header[0] + items.sort().join('');
    };
    await assertDifferential(damselfly, redis, [
      { command: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config*'], normalize: sortNames },
      { command: ['COMMAND', 'LIST', 'FILTERBY', 'pattern', 'CONFIG|G*'], normalize: sortNames },
      ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch'],
      ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT'],
      ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'read', 'extra'],
      ['COMMAND', 'LIST', 'FILTERBY', 'FOO', 'x'],
      ['COMMAND', 'LIST', 'foo'],
      { command: ['COMMAND', 'COUNT'], normalize: [/^:\d+\r\n$/, 'COUNT'] },
      ['COMMAND', 'COUNT', 'x'],
      ['COMMAND', 'HELP', 'x'],
      ['COMMAND', 'foo'],
    ]);
  });
});
