/**
 * CLIENT REPLY OFF|SKIP|ON and the per-request work of tracking clients,
 * wrapped around a request only for clients that need it, so other clients'
 * requests take the plain path.
 */
import type { Client } from './client';

/** CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON. */
export const REPLY_OFF = 1;
/** Set by CLIENT REPLY SKIP: the next request's reply is dropped. */
export const REPLY_SKIP_NEXT = 2;
/** The running request's reply is dropped (it followed CLIENT REPLY SKIP). */
export const REPLY_SKIP = 4;

/** Commands whose confirmations Redis 7.0 sends as pub/sub messages, even under CLIENT REPLY OFF. */
const SUBSCRIPTION_COMMANDS = new Set([
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'ssubscribe',
  'sunsubscribe',
]);

/**
 * Runs one request of a client whose replies are off or skipped, or that
 * tracks keys. Pub/sub messages and invalidations reach the client even while
 * its replies are off, as in Redis 7.0, because they are written outside the
 * dropped span.
 * NOTE: a blocking command's late reply is sent even under CLIENT REPLY OFF,
 * which Redis drops.
 */
export function dispatchWithReplyMode(
  client: Client,
  args: string[],
  run: (client: Client, args: string[]) => void,
): void {
  const tracking = client.server.tracking;
  const began = client.tracking !== null && tracking.beginRequest(client, args);
  const mark = client.writer.length;
  run(client, args);
  settleReplyMode(client, mark);
  if (began) tracking.endRequest(client);
}

/** Drops the reply of a muted request and moves SKIP on to the next request. */
export function settleReplyMode(client: Client, mark: number): void {
  const mode = client.replyMode;
  if (mode === 0) return;
  if ((mode & (REPLY_OFF | REPLY_SKIP)) !== 0 && !isConfirmation(client, mark)) {
    if (client.writer.length >= mark) client.writer.truncate(mark);
  }
  let next = mode & REPLY_OFF;
  if ((mode & REPLY_SKIP_NEXT) !== 0) next |= REPLY_SKIP;
  client.replyMode = next;
}

/** Checks whether the output since `mark` is the confirmations of a subscription command. */
function isConfirmation(client: Client, mark: number): boolean {
  if (client.transaction !== null || !SUBSCRIPTION_COMMANDS.has(client.lastCommand)) return false;
  const writer = client.writer;
  // An error reply (wrong arity, NOAUTH) is dropped like any other reply.
  return writer.length > mark && writer.buffer[mark] !== 0x2d;
}
