/**
 * MONITOR: every executed command, as one status line per command sent to
 * each monitoring client, in Redis 7.0's format:
 * `+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`.
 * Secrets in AUTH, HELLO AUTH, MIGRATE AUTH/AUTH2, ACL SETUSER and CONFIG
 * SET of password settings are replaced by "(redacted)", as Redis does (also
 * in the slow log).
 */
import type { Client } from '../engine/client';
import type { RegisteredCommand } from '../engine/command';

const REDACTED = '(redacted)';

/** Returns the arguments with secrets replaced, or the same array when it has none. */
export function redactArguments(spec: RegisteredCommand, args: readonly string[]): string[] {
  const name = spec.name;
  if (name === 'auth') return [args[0], ...args.slice(1).map(() => REDACTED)];
  if (name === 'hello') return redactAfterOption(args, 'auth', 2);
  if (name === 'migrate') return redactMigrate(args);
  if (name === 'acl|setuser') return [...args.slice(0, 3), ...args.slice(3).map(() => REDACTED)];
  if (name === 'config|set') return redactConfigSet(args);
  return args as string[];
}

/** Settings whose values CONFIG SET must not show in MONITOR or the slow log. */
const SECRET_SETTINGS = new Set(['requirepass', 'masterauth', 'tls-key-file-pass']);

/** Replaces the values of secret settings in CONFIG SET name value [name value ...]. */
function redactConfigSet(args: readonly string[]): string[] {
  const result = [...args];
  for (let i = 2; i + 1 < result.length; i += 2) {
    if (SECRET_SETTINGS.has(result[i].toLowerCase())) result[i + 1] = REDACTED;
  }
  return result;
}

/** Replaces the `count` arguments after each `option` word. */
function redactAfterOption(args: readonly string[], option: string, count: number): string[] {
  const result = [...args];
  for (let i = 1; i < result.length; i++) {
    if (result[i].toLowerCase() !== option) continue;
    for (let j = i + 1; j <= i + count && j < result.length; j++) result[j] = REDACTED;
    i += count;
  }
  return result;
}

function redactMigrate(args: readonly string[]): string[] {
  const result = [...args];
  for (let i = 6; i < result.length; i++) {
    const word = result[i].toLowerCase();
    if (word === 'keys') break;
    const count = word === 'auth' ? 1 : word === 'auth2' ? 2 : 0;
    for (let j = i + 1; j <= i + count && j < result.length; j++) result[j] = REDACTED;
    i += count;
  }
  return result;
}

/** Quotes a byte string as Redis's sdscatrepr: printable ASCII as is, the rest escaped. */
export function quoteArgument(text: string): string {
  let quoted = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const char = text[i];
    if (char === '\\' || char === '"') quoted += `\\${char}`;
    else if (char === '\n') quoted += '\\n';
    else if (char === '\r') quoted += '\\r';
    else if (char === '\t') quoted += '\\t';
    else if (code === 7) quoted += '\\a';
    else if (code === 8) quoted += '\\b';
    else if (code >= 32 && code < 127) quoted += char;
    else quoted += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return `${quoted}"`;
}

/** Returns the client part of a monitor line: "lua", "unix:<path>" or "<ip>:<port>". */
function sourceOf(client: Client): string {
  if (client.internal) return 'lua';
  const address = client.transport.remoteAddress;
  if (address.startsWith('/')) return `unix:${address}`;
  return address;
}

/** Formats one MONITOR line (without the leading '+' that the status reply adds). */
export function formatMonitorLine(
  client: Client,
  args: readonly string[],
  nowMicros: number,
): string {
  const seconds = Math.floor(nowMicros / 1e6);
  const micros = String(Math.floor(nowMicros % 1e6)).padStart(6, '0');
  const quoted = args.map(quoteArgument).join(' ');
  return `${seconds}.${micros} [${client.db.id} ${sourceOf(client)}] ${quoted}`;
}

/**
 * The monitoring clients of one server.
 * NOTE: a monitoring client stays one until it disconnects; RESET does not
 * end monitoring as it does in Redis.
 */
export class MonitorFeed {
  readonly clients = new Set<Client>();

  /** Sends a command to every monitoring client, unless it is an admin command. */
  feed(client: Client, spec: RegisteredCommand, args: readonly string[]): void {
    if (spec.flags.includes('admin')) return;
    const nowMicros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const line = formatMonitorLine(client, redactArguments(spec, args), nowMicros);
    for (const monitor of this.clients) {
      monitor.writer.simple(line);
      monitor.transport.flushSoon();
    }
  }
}
