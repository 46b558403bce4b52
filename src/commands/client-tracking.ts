/**
 * CLIENT subcommands of client-side caching (TRACKING, CACHING,
 * TRACKINGINFO, GETREDIR) and CLIENT REPLY.
 */
import { command, type CommandFlag, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { REPLY_OFF, REPLY_SKIP, REPLY_SKIP_NEXT } from '../engine/reply-mode';
import type { ClientTracking } from '../engine/tracking';
import { toBigInt64 } from './arguments';
import { resetHooks } from './connection';

/** The options of one CLIENT TRACKING request. */
interface TrackingRequest {
  redirect: number;
  bcast: boolean;
  optIn: boolean;
  optOut: boolean;
  noLoop: boolean;
  prefixes: string[];
}

/** Reads the REDIRECT id, which must name a connected client. */
function parseRedirect(client: Client, text: string, request: TrackingRequest): void {
  if (request.redirect !== 0) throw new CommandError(ERR.trackingRedirectTwice);
  const id = toBigInt64(text);
  if (id === null) throw new CommandError(ERR.notInteger);
  const found = id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER);
  if (!found || !client.server.clients.has(Number(id))) {
    throw new CommandError(ERR.trackingRedirectMissing);
  }
  request.redirect = Number(id);
}

/** Reads the options after ON|OFF, in Redis's order of checks. */
function parseTrackingOptions(client: Client, args: string[]): TrackingRequest {
  const request: TrackingRequest = {
    redirect: 0,
    bcast: false,
    optIn: false,
    optOut: false,
    noLoop: false,
    prefixes: [],
  };
  for (let i = 3; i < args.length; i++) {
    const option = args[i].toLowerCase();
    const hasValue = i + 1 < args.length;
    if (option === 'redirect' && hasValue) parseRedirect(client, args[++i], request);
    else if (option === 'prefix' && hasValue) request.prefixes.push(args[++i]);
    else if (option === 'bcast') request.bcast = true;
    else if (option === 'optin') request.optIn = true;
    else if (option === 'optout') request.optOut = true;
    else if (option === 'noloop') request.noLoop = true;
    else throw new CommandError(ERR.syntax);
  }
  return request;
}

function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** Rejects a BCAST prefix that overlaps one the client has or another one given. */
function checkPrefixOverlaps(client: Client, prefixes: readonly string[]): void {
  const existing = [...(client.tracking?.prefixes ?? [])].sort();
  for (let i = 0; i < prefixes.length; i++) {
    const clash = existing.find((other) => overlaps(prefixes[i], other));
    if (clash !== undefined) {
      throw new CommandError(ERR.trackingPrefixOverlapsExisting(prefixes[i], clash));
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlaps(prefixes[i], prefixes[j])) {
        throw new CommandError(ERR.trackingPrefixOverlapsGiven(prefixes[i], prefixes[j]));
      }
    }
  }
}

/** Rejects options that conflict with each other or with the tracking already on. */
function checkTrackingOn(client: Client, request: TrackingRequest): void {
  const current = client.tracking;
  if (!request.bcast && request.prefixes.length > 0) {
    throw new CommandError(ERR.trackingPrefixNeedsBcast);
  }
  if (current !== null && current.bcast !== request.bcast) {
    throw new CommandError(ERR.trackingBcastSwitch);
  }
  if (request.bcast && (request.optIn || request.optOut)) {
    throw new CommandError(ERR.trackingBcastWithOptIn);
  }
  if (request.optIn && request.optOut) throw new CommandError(ERR.trackingOptInWithOptOut);
  const switched = (request.optIn && current?.optOut) || (request.optOut && current?.optIn);
  if (switched) throw new CommandError(ERR.trackingOptModeSwitch);
  if (request.bcast) checkPrefixOverlaps(client, request.prefixes);
}

/**
 * CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN]
 * [OPTOUT] [NOLOOP]: OK after turning client-side caching on with these
 * options (replacing the earlier ones, but keeping earlier BCAST prefixes),
 * or off.
 */
function clientTracking(client: Client, args: string[]): void {
  const request = parseTrackingOptions(client, args);
  const mode = args[2].toLowerCase();
  const tracking = client.server.tracking;
  if (mode === 'on') {
    checkTrackingOn(client, request);
    const settings: ClientTracking = {
      bcast: request.bcast,
      optIn: request.optIn,
      optOut: request.optOut,
      noLoop: request.noLoop,
      caching: false,
      brokenRedirect: false,
      redirect: request.redirect,
      prefixes: new Set(),
    };
    tracking.enable(client, settings, request.prefixes);
  } else if (mode === 'off') {
    tracking.disable(client);
  } else {
    throw new CommandError(ERR.syntax);
  }
  client.reply.ok();
}

/**
 * CLIENT CACHING YES|NO: OK after marking the next command's reads as cached
 * (YES, in OPTIN mode) or not cached (NO, in OPTOUT mode).
 */
function clientCaching(client: Client, args: string[]): void {
  const settings = client.tracking;
  if (settings === null) throw new CommandError(ERR.cachingWithoutTracking);
  const answer = args[2].toLowerCase();
  if (answer === 'yes') {
    if (!settings.optIn) throw new CommandError(ERR.cachingYesWithoutOptIn);
  } else if (answer === 'no') {
    if (!settings.optOut) throw new CommandError(ERR.cachingNoWithoutOptOut);
  } else {
    throw new CommandError(ERR.syntax);
  }
  settings.caching = true;
  client.reply.ok();
}

/** Returns CLIENT TRACKINGINFO's flags, in Redis 7.0's order. */
function trackingFlags(settings: ClientTracking | null): string[] {
  if (settings === null) return ['off'];
  const flags = ['on'];
  if (settings.bcast) flags.push('bcast');
  if (settings.optIn) flags.push('optin');
  if (settings.optIn && settings.caching) flags.push('caching-yes');
  if (settings.optOut) flags.push('optout');
  if (settings.optOut && settings.caching) flags.push('caching-no');
  if (settings.noLoop) flags.push('noloop');
  if (settings.brokenRedirect) flags.push('broken_redirect');
  return flags;
}

/** CLIENT TRACKINGINFO: a map of the connection's tracking flags, redirect id and prefixes. */
function clientTrackingInfo(client: Client): void {
  const settings = client.tracking;
  const reply = client.reply;
  const flags = trackingFlags(settings);
  reply.map(3);
  reply.bulk('flags');
  reply.set(flags.length);
  for (const flag of flags) reply.bulk(flag);
  reply.bulk('redirect');
  reply.int(settings === null ? -1 : settings.redirect);
  reply.bulk('prefixes');
  reply.bulkArray([...(settings?.prefixes ?? [])].sort());
}

/** Returns the id invalidations go to: 0 for the client itself, -1 while tracking is off. */
export function trackingRedirect(client: Client): number {
  return client.tracking === null ? -1 : client.tracking.redirect;
}

/** CLIENT GETREDIR: the tracking redirect id, 0 without REDIRECT, -1 while tracking is off. */
function clientGetRedir(client: Client): void {
  client.reply.int(trackingRedirect(client));
}

/**
 * CLIENT REPLY ON|OFF|SKIP: ON replies OK and sends replies again; OFF drops
 * the replies of every later command until ON; SKIP drops the next
 * command's reply. OFF and SKIP get no reply themselves.
 */
function clientReply(client: Client, args: string[]): void {
  const mode = args[2].toLowerCase();
  if (mode === 'on') {
    client.replyMode = 0;
    client.reply.ok();
  } else if (mode === 'off') {
    client.replyMode |= REPLY_OFF;
  } else if (mode === 'skip') {
    if ((client.replyMode & REPLY_OFF) === 0) client.replyMode |= REPLY_SKIP_NEXT;
  } else {
    throw new CommandError(ERR.syntax);
  }
}

const PLAIN: CommandFlag[] = ['noscript', 'loading', 'stale'];

function sub(
  name: string,
  arity: number,
  since: string,
  summary: string,
  handler: (client: Client, args: string[]) => void,
): RegisteredCommand {
  return command({
    name: `client|${name}`,
    arity,
    flags: PLAIN,
    categories: ['connection'],
    group: 'connection',
    since,
    summary,
    complexity: 'O(1)',
    handler,
  });
}

export const clientTrackingSubcommands: RegisteredCommand[] = [
  sub('tracking', -3, '6.0.0', 'Turns client-side caching on or off.', clientTracking),
  sub('caching', 3, '6.0.0', "Marks the next command's reads as cached or not.", clientCaching),
  sub('trackinginfo', 2, '6.2.0', 'Describes client-side caching.', clientTrackingInfo),
  sub('getredir', 2, '6.0.0', 'Returns the tracking redirection id.', clientGetRedir),
  sub('reply', 3, '3.2.0', 'Turns replies off, on, or off for one command.', clientReply),
];

// RESET turns tracking off and replies back on, as in Redis, where a RESET
// right after CLIENT REPLY SKIP still gets no reply.
resetHooks.push((client) => {
  client.server.tracking.disable(client);
  client.replyMode &= REPLY_SKIP;
});
