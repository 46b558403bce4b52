/**
 * CL.THROTTLE: a rate limiter with the generic cell rate algorithm (GCRA),
 * compatible with the redis-cell module and DragonflyDB. The key holds the
 * theoretical arrival time (TAT) in microseconds since the epoch, and
 * expires when the limiter is back to full capacity.
 */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { toInteger } from './arguments';
import { writableString } from './lookup';

const MICROS_PER_SECOND = 1_000_000;

interface ThrottleArguments {
  maxBurst: number;
  count: number;
  periodSeconds: number;
  quantity: number;
}

function parseThrottle(args: string[]): ThrottleArguments {
  if (args.length > 6) throw new CommandError(ERR.syntax);
  const numbers = args.slice(2).map((text) => {
    const value = toInteger(text);
    if (value === null) throw new CommandError(ERR.notInteger);
    return value;
  });
  const [maxBurst, count, periodSeconds, quantity = 1] = numbers;
  if (maxBurst < 0 || count < 1 || periodSeconds < 1 || quantity < 0) {
    throw new CommandError(ERR.throttleArguments);
  }
  // Times are microseconds in doubles: refuse what would not stay exact, and
  // rates finer than one request per microsecond.
  const emission = (periodSeconds * MICROS_PER_SECOND) / count;
  const span = emission * (Math.max(maxBurst, quantity) + 1);
  if (emission < 1 || Date.now() * 1000 + 2 * span > Number.MAX_SAFE_INTEGER) {
    throw new CommandError(ERR.throttleRange);
  }
  return { maxBurst, count, periodSeconds, quantity };
}

/** Reads the stored TAT; a key that holds no integer string is an error. */
function storedArrivalTime(client: Client, key: string): number | null {
  const value = writableString(client, key);
  if (value === undefined) return null;
  const tat = toInteger(typeof value === 'string' ? value : value.toString('latin1'));
  if (tat === null) throw new CommandError(ERR.notInteger);
  return tat;
}

/**
 * CL.THROTTLE key max_burst count_per_period period [quantity]: takes
 * `quantity` (default 1) from the limiter at `key`, which allows
 * `count_per_period` per `period` seconds with bursts of `max_burst + 1`.
 * Replies [limited (0/1), limit, remaining, retry_after seconds (-1 when
 * allowed), reset_after seconds]. An allowed request updates the key.
 */
function throttle(client: Client, args: string[]): void {
  const key = args[1];
  const { maxBurst, count, periodSeconds, quantity } = parseThrottle(args);
  const now = Date.now() * 1000;
  const emission = (periodSeconds * MICROS_PER_SECOND) / count;
  const tolerance = emission * (maxBurst + 1);
  const increment = emission * quantity;
  const tat = Math.max(storedArrivalTime(client, key) ?? now, now);
  const newTat = tat + increment;
  const wait = newTat - tolerance - now;
  let limited = 0;
  let retryAfter = -1;
  let ttl: number;
  if (wait > 0) {
    limited = 1;
    if (increment <= tolerance) retryAfter = Math.ceil(wait / MICROS_PER_SECOND);
    ttl = tat - now;
  } else {
    ttl = newTat - now;
    if (ttl > 0) store(client, key, newTat);
  }
  const room = tolerance - ttl;
  const remaining = room > -emission ? Math.floor(room / emission) : 0;
  const reply = client.reply;
  reply.array(5);
  reply.int(limited);
  reply.int(maxBurst + 1);
  reply.int(Math.max(0, remaining));
  reply.int(retryAfter);
  reply.int(Math.ceil(ttl / MICROS_PER_SECOND));
}

function store(client: Client, key: string, tat: number): void {
  const value = String(Math.round(tat));
  const expiresAt = Math.ceil(tat / 1000);
  client.db.set(key, value);
  client.db.setExpire(key, expiresAt);
  client.server.dirty++;
  client.propagateAs = [['SET', key, value, 'PXAT', String(expiresAt)]];
}

export const throttleCommands: RegisteredCommand[] = [
  command({
    name: 'cl.throttle',
    arity: -5,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['string'],
    group: 'string',
    since: '7.0.0',
    summary: 'Rate limiting with GCRA: takes from a limiter and says whether to allow the action.',
    handler: throttle,
  }),
];
