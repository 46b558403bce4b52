/** Audit log lines for the commands that change or stop the whole server. */
import type { Client } from '../engine/client';
import type { RegisteredCommand } from '../engine/command';
import { findSetting } from '../config/settings';

const AUDITED = new Set(['flushall', 'flushdb', 'shutdown', 'debug', 'config|set']);

/** Records an audited command after it ran; values of secret settings are left out. */
export function auditCommand(
  client: Client,
  spec: RegisteredCommand,
  args: readonly string[],
  failed: boolean,
): void {
  const audit = client.server.security.audit;
  const name = spec.name.startsWith('debug|') ? 'debug' : spec.name;
  if (audit === null || !AUDITED.has(name)) return;
  audit.record(`command.${name.replace('|', '.')}`, {
    user: client.user,
    addr: client.transport.remoteAddress,
    args: name === 'config|set' ? redactSettings(args) : args.slice(1),
    result: failed ? 'error' : 'ok',
  });
}

function redactSettings(args: readonly string[]): string[] {
  const shown: string[] = [];
  for (let i = 2; i < args.length; i += 2) {
    const secret = findSetting(args[i])?.secret === true;
    shown.push(args[i], secret ? '<redacted>' : (args[i + 1] ?? ''));
  }
  return shown;
}
