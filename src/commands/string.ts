/** String commands: GET and SET with every option. */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { parseInteger } from './arguments';
import { readString, writableString } from './lookup';

/** The largest expiry in milliseconds that Redis accepts (its mstime_t limit). */
const MAX_EXPIRE_MS = Number.MAX_SAFE_INTEGER;

interface SetOptions {
  condition: 'NX' | 'XX' | null;
  get: boolean;
  keepTtl: boolean;
  /** Absolute expiry in Unix ms, or null for none. */
  expireAt: number | null;
}

/** Converts an EX/PX/EXAT/PXAT argument to an absolute time in Unix ms. */
export function expireArgument(unit: string, text: string, command: string, now: number): number {
  const amount = parseInteger(text);
  const milliseconds = unit === 'EX' || unit === 'EXAT' ? amount * 1000 : amount;
  if (amount <= 0 || !Number.isSafeInteger(milliseconds)) {
    throw new CommandError(ERR.invalidExpire(command));
  }
  const absolute = unit === 'EX' || unit === 'PX' ? now + milliseconds : milliseconds;
  if (absolute > MAX_EXPIRE_MS) throw new CommandError(ERR.invalidExpire(command));
  return absolute;
}

function parseSetOptions(args: string[], now: number): SetOptions {
  const options: SetOptions = { condition: null, get: false, keepTtl: false, expireAt: null };
  let expireSeen = false;
  for (let i = 3; i < args.length; i++) {
    const option = args[i].toUpperCase();
    if ((option === 'NX' || option === 'XX') && options.condition === null) {
      options.condition = option;
    } else if (option === 'GET' && !options.get) {
      options.get = true;
    } else if (option === 'KEEPTTL' && !expireSeen && !options.keepTtl) {
      options.keepTtl = true;
    } else if (
      (option === 'EX' || option === 'PX' || option === 'EXAT' || option === 'PXAT') &&
      !expireSeen && !options.keepTtl && i + 1 < args.length
    ) {
      expireSeen = true;
      options.expireAt = expireArgument(option, args[++i], 'set', now);
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return options;
}

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]: OK, nil
 * when NX/XX stopped it, or with GET the old value. Journals a relative expiry
 * as PXAT.
 */
function set(client: Client, args: string[]): void {
  const key = args[1];
  const value = args[2];
  if (args.length === 3) {
    client.db.set(key, value);
    client.server.dirty++;
    client.reply.ok();
    return;
  }
  const options = parseSetOptions(args, Date.now());
  const db = client.db;
  const old = options.get ? writableString(client, key) : undefined;
  const exists = options.get ? old !== undefined : db.get(key) !== undefined;
  const blocked = (options.condition === 'NX' && exists) || (options.condition === 'XX' && !exists);
  if (!blocked) {
    if (options.keepTtl) db.replace(key, value);
    else db.set(key, value);
    if (options.expireAt !== null) db.setExpire(key, options.expireAt);
    client.server.dirty++;
    client.propagateAs = [journalForm(key, value, options)];
  }
  if (options.get) {
    if (old === undefined) client.reply.nil();
    else client.reply.bulk(old);
  } else if (blocked) {
    client.reply.nil();
  } else {
    client.reply.ok();
  }
}

function journalForm(key: string, value: string, options: SetOptions): string[] {
  const entry = ['SET', key, value];
  if (options.expireAt !== null) entry.push('PXAT', String(options.expireAt));
  else if (options.keepTtl) entry.push('KEEPTTL');
  return entry;
}

/** GET key: the value, or nil. */
function get(client: Client, args: string[]): void {
  const value = readString(client, args[1]);
  if (value === undefined) client.reply.nil();
  else client.reply.bulk(value);
}

export const stringCommands: RegisteredCommand[] = [
  command({ name: 'get', arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1],
    categories: ['string'], group: 'string', summary: 'Returns the string value of a key.',
    handler: get }),
  command({ name: 'set', arity: -3, flags: ['write', 'denyoom'], keys: [1, 1, 1],
    categories: ['string'], group: 'string',
    summary: 'Sets the string value of a key, with optional condition and expiry.',
    complexity: 'O(1)', handler: set }),
];
