/**
 * The ACL file format (ACL LOAD, ACL SAVE, `aclfile`) and `user` lines of
 * the config file: one `user NAME rules...` per line, as Redis writes it,
 * plus Damselfly's `role NAME rules...` lines, which must come before the
 * users that hold the role. Empty lines and lines starting with `#` are skipped.
 */
import { splitInlineArguments } from '../protocol/resp/parser';
import type { Acl } from './acl';
import { RuleError } from './selector';
import { mergeSelectorWords, Role, UnmatchedParenthesisError, User } from './user';

/** Users and roles read from a file, not yet in force. */
export interface AclDefinitions {
  users: Map<string, User>;
  roles: Map<string, Role>;
}

/** One line of an ACL file or config file, with the label its errors start with. */
export interface AclLine {
  words: string[];
  /** Where the line came from, such as `users.acl:3`. */
  source: string;
}

/** Splits ACL file text into lines of words; returns the errors of lines that do not split. */
export function splitAclText(text: string, label: string, errors: string[]): AclLine[] {
  const lines: AclLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const source = `${label}:${index + 1}`;
    const words = splitInlineArguments(line);
    if (words === null) errors.push(`${source}: unbalanced quotes in acl line.`);
    else lines.push({ words, source });
  });
  return lines;
}

/**
 * Builds users and roles from lines, starting from the built-in roles.
 * Every error is collected, as `source: reason.`, so that one message can
 * list them all; the caller applies nothing when there is any.
 */
export function buildDefinitions(
  acl: Acl,
  lines: readonly AclLine[],
  errors: string[],
): AclDefinitions {
  const roles = new Map([...acl.roles].filter(([, role]) => role.builtIn));
  const users = new Map<string, User>();
  for (const { words, source } of lines) {
    const kind = words[0]?.toLowerCase();
    if ((kind !== 'user' && kind !== 'role') || words.length < 2) {
      errors.push(`${source} should start with user keyword followed by the username.`);
      continue;
    }
    const name = words[1];
    if (kind === 'role') {
      const role = roles.get(name) ?? new Role(name, acl.index);
      if (role.builtIn) errors.push(`${source}: the built-in role '${name}' cannot be redefined.`);
      else if (applyLine(words, (rule) => role.apply(rule), source, errors)) roles.set(name, role);
      continue;
    }
    if (users.has(name)) {
      errors.push(`${source}: duplicate user '${name}' found.`);
      continue;
    }
    const user = new User(name, acl.index);
    if (applyLine(words, (rule) => user.apply(rule, (role) => roles.get(role)), source, errors)) {
      users.set(name, user);
    }
  }
  return { users, roles };
}

function applyLine(
  words: readonly string[],
  apply: (rule: string) => void,
  source: string,
  errors: string[],
): boolean {
  let rules: string[];
  try {
    rules = mergeSelectorWords(words.slice(2));
  } catch (error) {
    if (!(error instanceof UnmatchedParenthesisError)) throw error;
    errors.push(`${source}: Unmatched parenthesis in acl selector starting at '${error.word}'.`);
    return false;
  }
  for (const rule of rules) {
    try {
      apply(rule);
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
      errors.push(`${source}: Error in applying operation '${rule}': ${error.message}.`);
      return false;
    }
  }
  return true;
}

/** Writes every custom role, then every user, sorted by name, as ACL SAVE stores them. */
export function formatAclFile(acl: Acl): string {
  const lines: string[] = [];
  for (const role of [...acl.roles.values()].sort(byName)) {
    if (!role.builtIn) lines.push(`role ${role.name} ${role.describe()}`);
  }
  for (const user of [...acl.users.values()].sort(byName)) {
    lines.push(`user ${user.name} ${user.describe()}`);
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** Orders names by their bytes, as Redis lists users. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
