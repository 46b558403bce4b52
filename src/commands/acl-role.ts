/**
 * ACL ROLE: Damselfly's roles, named sets of ACL rules that users hold with
 * the `role:NAME` rule. Changing a role changes at once what every user
 * holding it may do, connected clients included.
 */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { byName } from '../security/acl-file';
import { applyAclChange, redactRules } from './acl';

/** ACL ROLE SET name [rule ...]: creates or changes a role, all rules or none; OK. */
function roleSet(client: Client, args: string[]): void {
  if (args.length < 4) throw new CommandError(ERR.aclSubcommandSyntax(args[1]));
  const name = args[3];
  applyAclChange(() => client.server.security.acl.setRole(name, args.slice(4)));
  client.server.security.audit?.record('acl.role.set', {
    by: client.user,
    addr: client.transport.remoteAddress,
    role: name,
    rules: redactRules(args.slice(4)),
  });
  client.reply.ok();
}

/** ACL ROLE DEL name [name ...]: deletes roles, taking them from their users; the count. */
function roleDel(client: Client, args: string[]): void {
  if (args.length < 4) throw new CommandError(ERR.aclSubcommandSyntax(args[1]));
  const acl = client.server.security.acl;
  const names = args.slice(3);
  let deleted = 0;
  applyAclChange(() => {
    for (const name of names) if (acl.deleteRole(name)) deleted++;
  });
  client.server.security.audit?.record('acl.role.del', {
    by: client.user,
    addr: client.transport.remoteAddress,
    roles: names,
    deleted,
  });
  client.reply.int(deleted);
}

/** ACL ROLE LIST: one `role NAME rules...` line per role, built-in ones included, by name. */
function roleList(client: Client, args: string[]): void {
  if (args.length !== 3) throw new CommandError(ERR.aclSubcommandSyntax(args[1]));
  const roles = [...client.server.security.acl.roles.values()].sort(byName);
  client.reply.bulkArray(roles.map((role) => `role ${role.name} ${role.describe()}`));
}

/** ACL ROLE SET | DEL | LIST ...: dispatches on the verb after ROLE. */
export function aclRoleCommand(client: Client, args: string[]): void {
  const verb = args[2].toLowerCase();
  if (verb === 'set') roleSet(client, args);
  else if (verb === 'del') roleDel(client, args);
  else if (verb === 'list') roleList(client, args);
  else throw new CommandError(ERR.aclSubcommandSyntax(args[1]));
}
