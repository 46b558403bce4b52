import { globMatch } from '../store/glob';

/** Tests a key or channel name against one glob pattern. */
export type Matcher = (text: string) => boolean;

const SPECIAL = /[*?[\\]/;

/**
 * Compiles a glob pattern into a matcher. The common shapes (a literal name,
 * a literal prefix followed by `*`, a lone `*`) avoid the general matcher,
 * because the ACL check runs for every key of every command.
 */
export function compilePattern(pattern: string): Matcher {
  if (pattern === '*') return () => true;
  if (!SPECIAL.test(pattern)) return (text) => text === pattern;
  const prefix = pattern.slice(0, -1);
  if (pattern.endsWith('*') && !SPECIAL.test(prefix)) return (text) => text.startsWith(prefix);
  return (text) => globMatch(pattern, text, false);
}
