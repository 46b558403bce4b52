/**
 * Security set-up at start-up: the config file's `user`, `role` and
 * `rename-command` lines, the ACL file, and the audit log.
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Directive } from '../config/load';
import type { Server } from '../engine/server';
import { buildDefinitions, splitAclText, type AclLine } from './acl-file';

/** Config file lines that are not settings: users, roles and command renames. */
export interface SecurityDirectives {
  aclLines: AclLine[];
  renames: Directive[];
}

export function emptySecurityDirectives(): SecurityDirectives {
  return { aclLines: [], renames: [] };
}

/** Thrown for unusable security configuration; the message is for the operator. */
export class SecuritySetupError extends Error {}

/** Moves `user`, `role` and `rename-command` lines out of the directives into `into`. */
export function takeSecurityDirectives(
  directives: readonly Directive[],
  into: SecurityDirectives,
): Directive[] {
  return directives.filter((directive) => {
    if (directive.name === 'user' || directive.name === 'role') {
      into.aclLines.push({
        words: [directive.name, ...directive.values],
        source: directive.source,
      });
      return false;
    }
    if (directive.name === 'rename-command') {
      into.renames.push(directive);
      return false;
    }
    return true;
  });
}

/**
 * Applies `rename-command NAME NEWNAME` lines: the command answers to the
 * new name only, and an empty new name disables it. ACL rules keep using the
 * original name, as in Redis.
 */
export function applyRenames(server: Server, renames: readonly Directive[]): void {
  for (const { values, source } of renames) {
    if (values.length !== 2) {
      throw new SecuritySetupError(`${source}: rename-command takes a command name and a new name`);
    }
    const [from, to] = [values[0].toLowerCase(), values[1].toLowerCase()];
    const spec = server.commands.get(from);
    if (spec === undefined)
      throw new SecuritySetupError(`${source}: no such command '${values[0]}'`);
    if (to !== '' && server.commands.has(to)) {
      throw new SecuritySetupError(`${source}: a command named '${values[1]}' already exists`);
    }
    server.commands.delete(from);
    if (to !== '') server.commands.set(to, spec);
    server.logger.info({ command: from, to: to === '' ? '(disabled)' : to }, 'command renamed');
  }
}

/**
 * Loads users and roles from the config file's lines or from `aclfile`
 * (not both, as in Redis), then opens the audit log.
 */
export function setUpSecurity(server: Server, directives: SecurityDirectives): void {
  applyRenames(server, directives.renames);
  const aclfile = server.config.string('aclfile');
  if (aclfile !== '' && directives.aclLines.some((line) => line.words[0] === 'user')) {
    throw new SecuritySetupError(
      'users are defined both in the config file and in aclfile; keep them in one place',
    );
  }
  const errors: string[] = [];
  let lines = directives.aclLines;
  if (aclfile !== '') {
    let text: string;
    try {
      text = readFileSync(aclfile, 'latin1');
    } catch (error) {
      throw new SecuritySetupError(`cannot read aclfile ${aclfile}: ${(error as Error).message}`);
    }
    lines = [...lines, ...splitAclText(text, basename(aclfile), errors)];
  }
  if (lines.length > 0) {
    const acl = server.security.acl;
    const definitions = buildDefinitions(acl, lines, errors);
    if (errors.length > 0) throw new SecuritySetupError(errors.join(' '));
    acl.replaceAll(definitions.users, definitions.roles);
  }
  try {
    server.security.openAuditLog();
  } catch (error) {
    throw new SecuritySetupError(`cannot open audit-log-file: ${(error as Error).message}`);
  }
}
