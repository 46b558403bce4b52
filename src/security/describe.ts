/**
 * Describes selectors as rule text, the way Redis 7.0's ACL LIST and ACL
 * GETUSER show them: the commands as `+@all` or `-@all`, then the categories
 * that fit the allowed commands best, then single commands for what remains.
 * Single commands follow the command table's order (Redis's order depends on
 * its hash table, so it varies between servers).
 */
import { KEY_READ, KEY_WRITE, ACL_CATEGORIES } from './command-index';
import { Selector } from './selector';

/** Describes the command permissions: `+@all -@admin -keys`, `-@all +get`, ... */
export function describeCommands(selector: Selector): string {
  const index = selector.index;
  const additive = !selector.allowsFuture;
  const rules = [additive ? '-@all' : '+@all'];
  const fake = new Selector(index);
  fake.setAllCommands(!additive);
  // Greedy fit: take the category that matches most commands while wrongly
  // changing the fewest, until none matches more than it gets wrong.
  const remaining = selector.clone();
  const applied = new Set<string>();
  for (;;) {
    let best: string | null = null;
    let fewestWrong = Infinity;
    let mostRight = 0;
    for (const category of ACL_CATEGORIES) {
      if (applied.has(category)) continue;
      const ids = index.category(category) ?? [];
      let on = 0;
      for (const id of ids) on += remaining.commands[id];
      const wrong = additive ? ids.length - on : on;
      const right = ids.length - wrong;
      if (right > wrong && (wrong < fewestWrong || (wrong === fewestWrong && right > mostRight))) {
        best = category;
        fewestWrong = wrong;
        mostRight = right;
      }
    }
    if (best === null) break;
    fake.apply(`${additive ? '+' : '-'}@${best}`);
    remaining.apply(`${additive ? '-' : '+'}@${best}`);
    rules.push(`${additive ? '+' : '-'}@${best}`);
    applied.add(best);
  }
  addSingleCommands(selector, fake, rules);
  addFirstArgs(selector, rules);
  return rules.join(' ');
}

/** Adds `+cmd`, `-cmd`, `+cmd|sub`, `-cmd|sub` until the fake selector matches the real one. */
function addSingleCommands(selector: Selector, fake: Selector, rules: string[]): void {
  for (const command of selector.index.commands) {
    const name = command.spec.name;
    if (selector.commands[command.id] !== fake.commands[command.id]) {
      const sign = selector.commands[command.id] === 1 ? '+' : '-';
      fake.apply(`${sign}${name}`);
      rules.push(`${sign}${name}`);
    }
    for (const [subName, sub] of command.subcommands) {
      if (selector.commands[sub.id] === fake.commands[sub.id]) continue;
      const sign = selector.commands[sub.id] === 1 ? '+' : '-';
      fake.commands[sub.id] = selector.commands[sub.id];
      rules.push(`${sign}${name}|${subName}`);
    }
  }
}

function addFirstArgs(selector: Selector, rules: string[]): void {
  if (selector.firstArgs === null) return;
  for (const [id, args] of selector.firstArgs) {
    const name = selector.index.row(id).name;
    for (const arg of args) rules.push(`+${name}|${arg}`);
  }
}

/** Describes the key patterns: `~*`, `~a %R~b %W~c`, or '' for none. */
export function describeKeys(selector: Selector): string {
  if (selector.allKeys) return '~*';
  const parts = selector.keys.map((pattern) => {
    if (pattern.flags === (KEY_READ | KEY_WRITE)) return `~${pattern.text}`;
    return `%${pattern.flags === KEY_READ ? 'R' : 'W'}~${pattern.text}`;
  });
  return parts.join(' ');
}

/** Describes the channel patterns for ACL GETUSER: `&*`, `&a &b`, or ''. */
export function describeChannels(selector: Selector): string {
  if (selector.allChannels) return '&*';
  return selector.channels.map((pattern) => `&${pattern.text}`).join(' ');
}

/** Describes a whole selector as ACL LIST writes it: keys, channels, then commands. */
export function describeSelector(selector: Selector): string {
  const parts: string[] = [];
  const keys = describeKeys(selector);
  if (keys !== '') parts.push(keys);
  if (selector.allChannels) parts.push('&*');
  else parts.push(['resetchannels', ...selector.channels.map((p) => `&${p.text}`)].join(' '));
  parts.push(describeCommands(selector));
  return parts.join(' ');
}
