/**
 * Hash field expiry, as Redis 7.4 documents it: HEXPIRE, HPEXPIRE,
 * HEXPIREAT, HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME and
 * HPERSIST. Each replies one integer per field named after FIELDS numfields.
 * Redis 7.0 has none of these commands.
 */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { HashValue } from '../store/hash';
import { isOption, toInteger } from './arguments';
import { deleteEmptiedKey, notifyFamily } from './collection-keys';
import { lookupHash, trackVolatileHash } from './hash-lookup';

/** Latest expiry time accepted, in Unix ms: Redis 7.4 keeps field expiry times below 2^46. */
const MAX_FIELD_EXPIRE_MS = 2 ** 46 - 1;

/** Per-field results of HEXPIRE and its variants. */
const NO_FIELD = -2;
const CONDITION_NOT_MET = 0;
const EXPIRE_SET = 1;
const FIELD_DELETED = 2;
/** HTTL and HPERSIST reply -1 for a field without an expiry time. */
const NO_EXPIRY = -1;

type Condition = 'NX' | 'XX' | 'GT' | 'LT' | null;

/**
 * Parses `FIELDS numfields field...` starting at `at` (the FIELDS keyword)
 * and returns the fields. `countError` is the error for a bad numfields.
 */
function parseFields(args: string[], at: number, countError: string): string[] {
  if (!isOption(args[at] ?? '', 'FIELDS')) throw new CommandError(ERR.fieldsMissing);
  const count = toInteger(args[at + 1] ?? '');
  if (count === null || count < 1) throw new CommandError(countError);
  if (count !== args.length - at - 2) throw new CommandError(ERR.numFieldsMismatch);
  return args.slice(at + 2);
}

/** Converts the time argument to an absolute Unix ms time, with Redis 7.4's range checks. */
function parseExpireTime(args: string[], unitMs: 1 | 1000, relative: boolean, now: number): number {
  const amount = toInteger(args[2]);
  if (amount === null) throw new CommandError(ERR.notInteger);
  if (amount < 0) throw new CommandError(ERR.negativeExpire);
  const invalid = ERR.invalidExpire(args[0].toLowerCase());
  if (unitMs === 1000 && amount > Math.floor(MAX_FIELD_EXPIRE_MS / 1000)) {
    throw new CommandError(invalid);
  }
  const base = relative ? now : 0;
  const milliseconds = amount * unitMs;
  if (milliseconds > MAX_FIELD_EXPIRE_MS - base) throw new CommandError(invalid);
  return milliseconds + base;
}

function parseCondition(text: string): Condition {
  const upper = text.toUpperCase();
  return upper === 'NX' || upper === 'XX' || upper === 'GT' || upper === 'LT' ? upper : null;
}

/** Returns whether NX, XX, GT or LT allows a field's expiry time (-1 for none) to become `when`. */
function conditionAllows(condition: Condition, current: number, when: number): boolean {
  if (current < 0) return condition !== 'XX' && condition !== 'GT';
  if (condition === 'NX') return false;
  if (condition === 'GT') return when > current;
  if (condition === 'LT') return when < current;
  return true;
}

interface ExpireOutcome {
  results: number[];
  updated: string[];
  deleted: string[];
}

function applyExpire(
  hash: HashValue,
  fields: string[],
  condition: Condition,
  when: number,
  now: number,
): ExpireOutcome {
  const outcome: ExpireOutcome = { results: [], updated: [], deleted: [] };
  for (const field of fields) {
    const current = hash.expireTime(field);
    if (current === undefined) {
      outcome.results.push(NO_FIELD);
    } else if (!conditionAllows(condition, current, when)) {
      outcome.results.push(CONDITION_NOT_MET);
    } else if (when <= now) {
      hash.delete(field);
      outcome.deleted.push(field);
      outcome.results.push(FIELD_DELETED);
    } else {
      hash.setExpireTime(field, when);
      outcome.updated.push(field);
      outcome.results.push(EXPIRE_SET);
    }
  }
  return outcome;
}

/** Sends the events of an expiry change and journals it as HDEL and HPEXPIREAT. */
function finishExpire(
  client: Client,
  args: string[],
  outcome: ExpireOutcome,
  hash: HashValue,
  condition: Condition,
  when: number,
): void {
  const key = args[1];
  const changes = outcome.updated.length + outcome.deleted.length;
  if (changes === 0) return;
  client.server.dirty += changes;
  notifyFamily(client, 'h', outcome.deleted.length > 0 ? 'hdel' : 'hexpire', key);
  if (hash.size() === 0) deleteEmptiedKey(client, key);
  else if (outcome.updated.length > 0) trackVolatileHash(client.server, client.db, key, hash);
  const journal = outcome.deleted.map((field) => ['HDEL', key, field]);
  if (outcome.updated.length > 0) {
    const conditionArgs = condition === null ? [] : [condition];
    journal.push([
      'HPEXPIREAT',
      key,
      String(when),
      ...conditionArgs,
      'FIELDS',
      String(outcome.updated.length),
      ...outcome.updated,
    ]);
  }
  client.propagateAs = journal;
}

function replyIntegers(client: Client, values: number[]): void {
  client.reply.array(values.length);
  for (const value of values) client.reply.int(value);
}

/**
 * Builds HEXPIRE, HPEXPIRE, HEXPIREAT or HPEXPIREAT: key time [NX|XX|GT|LT]
 * FIELDS numfields field... Replies per field: -2 no such field, 0 the
 * condition was not met, 1 the expiry time was set, 2 the field was deleted
 * because the time is not in the future. Deletes the key once empty.
 */
function expireHandler(unitMs: 1 | 1000, relative: boolean) {
  return (client: Client, args: string[]): void => {
    const now = Date.now();
    const hash = lookupHash(client, args[1], false, now);
    const when = parseExpireTime(args, unitMs, relative, now);
    const condition = parseCondition(args[3]);
    const fields = parseFields(args, condition === null ? 3 : 4, ERR.numFieldsNotPositive);
    if (hash === undefined) {
      replyIntegers(
        client,
        fields.map(() => NO_FIELD),
      );
      return;
    }
    const outcome = applyExpire(hash, fields, condition, when, now);
    finishExpire(client, args, outcome, hash, condition, when);
    replyIntegers(client, outcome.results);
  };
}

/**
 * Builds HTTL, HPTTL, HEXPIRETIME or HPEXPIRETIME: key FIELDS numfields
 * field... Replies per field: -2 no such field, -1 no expiry time, else the
 * time left (relative) or the expiry time (absolute), in seconds rounded up
 * or in milliseconds.
 */
function ttlHandler(unitMs: 1 | 1000, relative: boolean) {
  return (client: Client, args: string[]): void => {
    const now = Date.now();
    const hash = lookupHash(client, args[1], true, now);
    const fields = parseFields(args, 2, ERR.fieldCountNotPositive);
    const base = relative ? now : 0;
    replyIntegers(
      client,
      fields.map((field) => {
        const when = hash?.expireTime(field);
        if (when === undefined) return NO_FIELD;
        if (when < 0) return NO_EXPIRY;
        return unitMs === 1 ? when - base : Math.floor((when + 999 - base) / 1000);
      }),
    );
  };
}

/**
 * HPERSIST key FIELDS numfields field...: per field -2 no such field, -1 no
 * expiry time, 1 the expiry time was removed.
 */
function hpersist(client: Client, args: string[]): void {
  const key = args[1];
  const hash = lookupHash(client, key, false);
  const fields = parseFields(args, 2, ERR.fieldCountNotPositive);
  const results = fields.map((field) => {
    const when = hash?.expireTime(field);
    if (when === undefined) return NO_FIELD;
    return (hash as HashValue).persist(field) ? EXPIRE_SET : NO_EXPIRY;
  });
  if (results.includes(EXPIRE_SET)) {
    notifyFamily(client, 'h', 'hpersist', key);
    client.server.dirty++;
  }
  replyIntegers(client, results);
}

function expireCommand(
  name: string,
  unitMs: 1 | 1000,
  relative: boolean,
  summary: string,
): RegisteredCommand {
  return command({
    name,
    arity: -6,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: 'hash',
    since: '7.4.0',
    complexity: 'O(N) where N is the number of specified fields',
    summary,
    handler: expireHandler(unitMs, relative),
  });
}

function ttlCommand(
  name: string,
  unitMs: 1 | 1000,
  relative: boolean,
  summary: string,
): RegisteredCommand {
  return command({
    name,
    arity: -5,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: 'hash',
    since: '7.4.0',
    complexity: 'O(N) where N is the number of specified fields',
    summary,
    handler: ttlHandler(unitMs, relative),
  });
}

export const hashExpireCommands: RegisteredCommand[] = [
  expireCommand('hexpire', 1000, true, 'Sets the expiry time of hash fields in seconds from now.'),
  expireCommand(
    'hpexpire',
    1,
    true,
    'Sets the expiry time of hash fields in milliseconds from now.',
  ),
  expireCommand(
    'hexpireat',
    1000,
    false,
    'Sets the expiry time of hash fields as a Unix time in seconds.',
  ),
  expireCommand(
    'hpexpireat',
    1,
    false,
    'Sets the expiry time of hash fields as a Unix time in milliseconds.',
  ),
  ttlCommand('httl', 1000, true, 'Returns the time to live of hash fields in seconds.'),
  ttlCommand('hpttl', 1, true, 'Returns the time to live of hash fields in milliseconds.'),
  ttlCommand(
    'hexpiretime',
    1000,
    false,
    'Returns the expiry time of hash fields as a Unix time in seconds.',
  ),
  ttlCommand(
    'hpexpiretime',
    1,
    false,
    'Returns the expiry time of hash fields as a Unix time in milliseconds.',
  ),
  command({
    name: 'hpersist',
    arity: -5,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: 'hash',
    since: '7.4.0',
    complexity: 'O(N) where N is the number of specified fields',
    summary: 'Removes the expiry time of hash fields.',
    handler: hpersist,
  }),
];
